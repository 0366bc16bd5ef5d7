"""Exceptions raised by tether_sdk.

Every class is importable from ``tether_sdk`` and ``tether_sdk.errors``::

    Exception
    └── LangGraphError                      root of the errors this package defines
        ├── APIError                        also an httpx.HTTPStatusError
        │   ├── APIStatusError              the server answered 4xx or 5xx
        │   │   ├── BadRequestError             400
        │   │   ├── AuthenticationError         401
        │   │   ├── PermissionDeniedError       403
        │   │   ├── NotFoundError               404
        │   │   ├── ConflictError               409
        │   │   ├── UnprocessableEntityError    422
        │   │   ├── RateLimitError              429
        │   │   └── InternalServerError         5xx
        │   ├── APIConnectionError          (defined for compatibility, not raised)
        │   │   └── APITimeoutError         (defined for compatibility, not raised)
        │   └── APIResponseValidationError  (defined for compatibility, not raised)
        └── StreamResumeError               also an httpx.TransportError: a dropped stream
                                            cannot be resumed without losing events

Because ``APIError`` subclasses ``httpx.HTTPStatusError``, code that catches
``httpx.HTTPStatusError`` keeps working. Network failures surface as the usual
``httpx.TransportError`` subclasses (``httpx.ConnectError``, ``httpx.ReadTimeout``…).
"""

from __future__ import annotations

from typing import Any, Literal, cast

import httpx
import orjson


class LangGraphError(Exception):
    """Root of the exceptions defined by tether_sdk."""


class APIError(httpx.HTTPStatusError, LangGraphError):
    """An error reported by, or about, an API request.

    Attributes:
        message: Human-readable message (also ``str(error)``).
        request: The request that failed.
        body: The decoded error body (JSON value, text, or ``None``).
        code, param, type: The string fields of the same names in a JSON error body, if any.
    """

    message: str
    request: httpx.Request
    body: object | None
    code: str | None
    param: str | None
    type: str | None

    def __init__(
        self,
        message: str,
        response_or_request: httpx.Response | httpx.Request,
        *,
        body: object | None,
    ) -> None:
        if isinstance(response_or_request, httpx.Response):
            request, response = response_or_request.request, response_or_request
        else:
            request, response = response_or_request, None
        # httpx types `response` as required; connection errors genuinely have none.
        httpx.HTTPStatusError.__init__(
            self, message, request=request, response=cast(httpx.Response, response)
        )
        LangGraphError.__init__(self, message)
        self.request = request
        self.message = message
        self.body = body
        fields = cast(dict[str, Any], body) if isinstance(body, dict) else {}
        self.code = _str_or_none(fields.get("code"))
        self.param = _str_or_none(fields.get("param"))
        self.type = _str_or_none(fields.get("type"))


class APIStatusError(APIError):
    """The server answered with a 4xx or 5xx status.

    Attributes:
        response: The HTTP response.
        status_code: Its status code.
        request_id: The ``x-request-id`` response header, if the server sent one.
    """

    response: httpx.Response
    status_code: int
    request_id: str | None

    def __init__(self, message: str, *, response: httpx.Response, body: object | None) -> None:
        super().__init__(message, response, body=body)
        self.response = response
        self.status_code = response.status_code
        self.request_id = response.headers.get("x-request-id")


class APIConnectionError(APIError):
    """Could not reach the server (kept for compatibility; httpx errors are raised instead)."""

    def __init__(self, *, message: str = "Connection error.", request: httpx.Request) -> None:
        super().__init__(message, request, body=None)


class APITimeoutError(APIConnectionError):
    """The request timed out (kept for compatibility; httpx errors are raised instead)."""

    def __init__(self, request: httpx.Request) -> None:
        super().__init__(message="Request timed out.", request=request)


class APIResponseValidationError(APIError):
    """The response did not have the expected shape (kept for compatibility)."""

    response: httpx.Response
    status_code: int

    def __init__(
        self, response: httpx.Response, body: object | None, *, message: str | None = None
    ) -> None:
        super().__init__(
            message or "Data returned by API invalid for expected schema.", response, body=body
        )
        self.response = response
        self.status_code = response.status_code


class BadRequestError(APIStatusError):
    """400: the request is malformed."""

    status_code: Literal[400] = 400


class AuthenticationError(APIStatusError):
    """401: missing or invalid credentials."""

    status_code: Literal[401] = 401


class PermissionDeniedError(APIStatusError):
    """403: the credentials do not allow this."""

    status_code: Literal[403] = 403


class NotFoundError(APIStatusError):
    """404: no such assistant, thread, run, cron or item."""

    status_code: Literal[404] = 404


class ConflictError(APIStatusError):
    """409: already exists, or the thread is busy and the run was rejected."""

    status_code: Literal[409] = 409


class UnprocessableEntityError(APIStatusError):
    """422: the request body or parameters failed validation."""

    status_code: Literal[422] = 422


class RateLimitError(APIStatusError):
    """429: too many requests."""

    status_code: Literal[429] = 429


class InternalServerError(APIStatusError):
    """5xx: the server failed."""


class StreamResumeError(httpx.TransportError, LangGraphError):
    """A dropped stream or long-poll cannot be resumed without losing or repeating events.

    Raised instead of silently continuing when the connection dropped after events were
    delivered and either the server sent no ``Location`` header to reconnect to, the
    events carried no ids to resume from, or the server refused to resume (for instance
    because the run's event log expired).

    Attributes:
        last_event_id: The id of the last event delivered, if any; pass it to
            ``runs.join_stream(..., last_event_id=...)`` to retry by hand.
        location: The URL the stream would have reconnected to, if known.
    """

    def __init__(
        self,
        message: str,
        *,
        last_event_id: str | None = None,
        location: str | None = None,
    ) -> None:
        super().__init__(message)
        self.last_event_id = last_event_id
        self.location = location


_STATUS_ERRORS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def decode_error_body(content: bytes) -> object | None:
    """The JSON value of an error body, else its text, else ``None``."""
    if not content:
        return None
    try:
        decoded: object = orjson.loads(content)
    except orjson.JSONDecodeError:
        try:
            return content.decode()
        except UnicodeDecodeError:
            return None
    return decoded


def error_message(body: object | None, fallback: str) -> str:
    """The first non-empty message the server put in its error body."""
    if isinstance(body, dict):
        fields = cast(dict[str, Any], body)
        for key in ("message", "detail", "error"):
            if isinstance(value := fields.get(key), str) and value:
                return value
        if isinstance(nested := fields.get("error"), dict):
            for key in ("message", "detail"):
                if isinstance(value := nested.get(key), str) and value:
                    return value
    return fallback


def status_error(response: httpx.Response, content: bytes) -> APIStatusError:
    """The typed exception for an error response whose body is ``content``."""
    status = response.status_code
    body = decode_error_body(content)
    message = error_message(body, f"{status} {response.reason_phrase or 'HTTP Error'}")
    if status >= 500:
        return InternalServerError(message, response=response, body=body)
    return _STATUS_ERRORS.get(status, APIStatusError)(message, response=response, body=body)


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None
