"""Defaults used by ``get_client`` and ``get_sync_client``."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, cast

import httpx

from tether_sdk._core.wire import NOT_PROVIDED
from tether_sdk._version import __version__

DEFAULT_URL = "http://localhost:2024"
"""Where ``get_client()`` / ``get_sync_client()`` connect when no ``url`` is given."""

USER_AGENT = f"tether-sdk-py/{__version__}"
API_KEY_VARIABLES = ("LANGGRAPH_API_KEY", "LANGSMITH_API_KEY", "LANGCHAIN_API_KEY")
RESERVED_HEADERS = ("x-api-key",)
TRANSPORT_RETRIES = 5
"""Connection attempts of the HTTP transport (httpx retries connects, not requests)."""

TimeoutTypes = (
    None
    | float
    | tuple[float | None, float | None]
    | tuple[float | None, float | None, float | None, float | None]
    | httpx.Timeout
)


def resolve_api_key(api_key: str | None = NOT_PROVIDED) -> str | None:
    """The API key to send: the one given, none for ``None``, else the first one set in
    ``LANGGRAPH_API_KEY``, ``LANGSMITH_API_KEY``, ``LANGCHAIN_API_KEY`` (quotes stripped)."""
    if isinstance(api_key, str):
        return api_key
    if api_key is NOT_PROVIDED:
        for variable in API_KEY_VARIABLES:
            if value := os.getenv(variable):
                return value.strip().strip('"').strip("'")
    return None


def client_headers(api_key: str | None, headers: Mapping[str, str] | None) -> dict[str, str]:
    """Default headers of the HTTP client: user agent, custom headers, then the API key."""
    custom = dict(headers or {})
    for name in RESERVED_HEADERS:
        # Exact-key check, like langgraph-sdk: code that passes another casing keeps working.
        if name in custom:
            raise ValueError(f"Cannot set reserved header '{name}'")
    result = {"User-Agent": USER_AGENT, **custom}
    if key := resolve_api_key(api_key):
        result["x-api-key"] = key
    return result


def client_timeout(timeout: TimeoutTypes) -> httpx.Timeout:
    """``timeout`` as an ``httpx.Timeout``; by default 5 s to connect or get a pooled
    connection and 300 s to read or write."""
    if timeout is None:
        return httpx.Timeout(connect=5, read=300, write=300, pool=5)
    return httpx.Timeout(cast(Any, timeout))
