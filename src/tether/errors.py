"""Domain errors raised by services and mapped to HTTP responses by the API layer.

TetherError
├── NotFound          404
├── Forbidden         403
├── Conflict          409
├── InvalidInput      422 (400 where the official server uses 400)
├── StorageFailed     503: the write was not stored (disk full, read-only or deleted data)
└── Gone              410-like: a stream cursor older than the retained log
"""

from __future__ import annotations


class TetherError(Exception):
    status_code = 500

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(TetherError):
    status_code = 404


class Forbidden(TetherError):
    status_code = 403


class Conflict(TetherError):
    status_code = 409


class InvalidInput(TetherError):
    status_code = 422


class BadRequest(TetherError):
    status_code = 400


class StorageFailed(TetherError):
    """The storage failed a request: it cannot be reached, or could not store a write (or
    lost it). Nothing was acknowledged."""

    status_code = 503
