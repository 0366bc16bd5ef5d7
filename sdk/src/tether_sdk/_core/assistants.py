"""Requests of the assistants resource."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from tether_sdk._core.wire import truthy, with_params
from tether_sdk._schema import QueryParamTypes


def graph_query(xray: int | bool, params: QueryParamTypes | None) -> dict[str, Any]:
    return with_params({"xray": xray}, params)


def subgraphs_query(recurse: bool, params: QueryParamTypes | None) -> dict[str, Any]:
    return with_params({"recurse": recurse}, params)


def create_body(graph_id: str | None, **fields: Any) -> dict[str, Any]:
    # graph_id is always sent, even null; the other fields only when truthy.
    return {"graph_id": graph_id, **truthy(fields)}


def update_body(
    *, graph_id: str | None, config: Any, context: Any, **fields: Any
) -> dict[str, Any]:
    # config and context are sent whenever given, so `{}` clears them.
    body = truthy({"graph_id": graph_id})
    body.update({k: v for k, v in (("config", config), ("context", context)) if v is not None})
    body.update(truthy(fields))
    return body


def delete_query(delete_threads: bool, params: QueryParamTypes | None) -> dict[str, Any] | None:
    query: dict[str, Any] = {"delete_threads": True} if delete_threads else {}
    return with_params(query, params) or None


def search_body(*, limit: int, offset: int, response_format: str, **fields: Any) -> dict[str, Any]:
    if response_format not in ("array", "object"):
        raise ValueError(f"response_format must be 'array' or 'object', got {response_format!r}")
    return {"limit": limit, "offset": offset, **truthy(fields)}


class PageCursor:
    """Captures ``X-Pagination-Next`` from a search response."""

    def __init__(self) -> None:
        self.next: str | None = None

    def capture(self, response: httpx.Response) -> None:
        self.next = response.headers.get("X-Pagination-Next")

    def hook(self, response_format: str) -> Callable[[httpx.Response], None] | None:
        return self.capture if response_format == "object" else None

    def result(self, assistants: Any, response_format: str) -> Any:
        if response_format == "object":
            return {"assistants": assistants, "next": self.next}
        return assistants


def versions_body(metadata: Any, limit: int, offset: int) -> dict[str, Any]:
    return {"limit": limit, "offset": offset, **truthy({"metadata": metadata})}


def count_body(**fields: Any) -> dict[str, Any]:
    return truthy(fields)
