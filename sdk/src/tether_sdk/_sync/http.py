# Generated from tether_sdk/_async/http.py by tests/sdk/unasync.py; do not edit.
# Edit the async module, then run: uv run python tests/sdk/unasync.py
"""The HTTP layer of the sync client: JSON requests, long-polls and resumable SSE streams."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import httpx

from tether_sdk._core.resume import (
    ReconnectPolicy,
    StreamSession,
    is_retryable,
    run_check_cause,
    validate_reconnect_location,
)
from tether_sdk._core.wire import decode_json, encode_json, merge_headers
from tether_sdk._errors import (
    InternalServerError,
    RateLimitError,
    StreamResumeError,
    status_error,
)
from tether_sdk._schema import QueryParamTypes, StreamPart
from tether_sdk._sse import BytesLineDecoder

logger = logging.getLogger("tether_sdk")

_SSE_HEADERS = {"Accept": "text/event-stream", "Cache-Control": "no-store"}


class SyncHttpClient:
    """Sends requests for the resource clients and maps errors to typed exceptions.

    Attributes:
        client: The underlying ``httpx.Client`` (base URL, auth headers, timeouts).
        reconnect: How dropped streams and long-polls are retried.

    Example:
        >>> import httpx
        >>> from tether_sdk import SyncHttpClient
        >>> http = SyncHttpClient(httpx.Client(base_url="http://localhost:2024"))
        >>> # info = http.get("/info")
    """

    def __init__(self, client: httpx.Client, *, reconnect: ReconnectPolicy | None = None) -> None:
        self.client = client
        self.reconnect = reconnect or ReconnectPolicy()

    def get(
        self,
        path: str,
        *,
        params: QueryParamTypes | None = None,
        headers: Mapping[str, str] | None = None,
        on_response: Callable[[httpx.Response], None] | None = None,
    ) -> Any:
        """Send ``GET path`` and return the decoded JSON body.

        ``on_response`` sees the raw response before its status is checked. Raises an
        ``APIStatusError`` subclass on a 4xx/5xx answer.
        """
        response = self.client.get(path, params=params, headers=headers)
        return _finish(response, on_response)

    def post(
        self,
        path: str,
        *,
        json: dict[str, Any] | list[Any] | None,
        params: QueryParamTypes | None = None,
        headers: Mapping[str, str] | None = None,
        on_response: Callable[[httpx.Response], None] | None = None,
    ) -> Any:
        """Send ``POST path`` with a JSON body (no body at all when ``json`` is ``None``)."""
        json_headers, content = encode_json(json)
        response = self.client.post(
            path,
            headers=merge_headers(json_headers, headers),
            content=content or b"",
            params=params,
        )
        return _finish(response, on_response)

    def put(
        self,
        path: str,
        *,
        json: dict[str, Any],
        params: QueryParamTypes | None = None,
        headers: Mapping[str, str] | None = None,
        on_response: Callable[[httpx.Response], None] | None = None,
    ) -> Any:
        """Send ``PUT path`` with a JSON body and return the decoded JSON answer."""
        json_headers, content = encode_json(json)
        response = self.client.put(
            path, headers=merge_headers(json_headers, headers), content=content, params=params
        )
        return _finish(response, on_response)

    def patch(
        self,
        path: str,
        *,
        json: dict[str, Any],
        params: QueryParamTypes | None = None,
        headers: Mapping[str, str] | None = None,
        on_response: Callable[[httpx.Response], None] | None = None,
    ) -> Any:
        """Send ``PATCH path`` with a JSON body and return the decoded JSON answer."""
        json_headers, content = encode_json(json)
        response = self.client.patch(
            path, headers=merge_headers(json_headers, headers), content=content, params=params
        )
        return _finish(response, on_response)

    def delete(
        self,
        path: str,
        *,
        json: Any | None = None,
        params: QueryParamTypes | None = None,
        headers: Mapping[str, str] | None = None,
        on_response: Callable[[httpx.Response], None] | None = None,
    ) -> None:
        """Send ``DELETE path`` (with a JSON body if ``json`` is given); the answer is ignored."""
        response = self.client.request("DELETE", path, json=json, params=params, headers=headers)
        if on_response is not None:
            on_response(response)
        _raise_for_status(response)

    def request_reconnect(
        self,
        path: str,
        method: str,
        *,
        json: dict[str, Any] | None = None,
        params: QueryParamTypes | None = None,
        headers: Mapping[str, str] | None = None,
        on_response: Callable[[httpx.Response], None] | None = None,
        reconnect_limit: int = 5,
    ) -> Any:
        """Send a long-poll request (``runs.wait``, ``runs.join``…) and return its JSON.

        If the body is cut off and the response named a ``Location`` (the run's ``join``
        URL), ``GET`` it again, up to ``reconnect_limit`` times with the client's backoff,
        retrying network errors, 429 and 5xx. If the body is cut off and there is no
        ``Location``, raise ``StreamResumeError``.
        """
        json_headers, content = encode_json(json)
        with self.client.stream(
            method,
            path,
            headers=merge_headers(json_headers, headers),
            content=content,
            params=params,
        ) as response:
            if on_response is not None:
                on_response(response)
            _raise_for_status(response)
            location = response.headers.get("location")
            if reconnect_limit <= 0:
                return decode_json(response.read())
            if location:
                validate_reconnect_location(self.client.base_url, location)
            try:
                return decode_json(response.read())
            except httpx.HTTPError as exc:
                if not location:
                    raise StreamResumeError(
                        f"The response to {method} {path} was cut off and the server sent no "
                        "Location header to fetch the result from.",
                    ) from exc
        assert location is not None  # the body was cut off and a Location was given
        logger.warning("Response cut off, reconnecting to %s", location)
        for attempt in range(reconnect_limit):
            time.sleep(self.reconnect.delay(attempt))
            try:
                return self.request_reconnect(location, "GET", headers=headers, reconnect_limit=0)
            except Exception as exc:
                if attempt == reconnect_limit - 1 or not is_retryable(exc):
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def stream(
        self,
        path: str,
        method: str,
        *,
        json: dict[str, Any] | None = None,
        params: QueryParamTypes | None = None,
        headers: Mapping[str, str] | None = None,
        on_response: Callable[[httpx.Response], None] | None = None,
    ) -> Iterator[StreamPart]:
        """Send a request answered with server-sent events and yield them as ``StreamPart``.

        When the connection drops (or closes while the run is still pending or running),
        reconnect to the response's ``Location`` with ``Last-Event-ID`` and go on from
        the last event delivered, skipping any event delivered before. Raises
        ``StreamResumeError`` when that cannot be done without losing events.
        """
        json_headers, content = encode_json(json)
        session = StreamSession(
            base_url=self.client.base_url,
            method=method,
            path=path,
            headers=merge_headers({**json_headers, **_SSE_HEADERS}, headers),
            content=content,
            params=params,
            policy=self.reconnect,
        )
        while True:
            request = session.next_request()
            cause: Exception | None = None
            try:
                with self.client.stream(
                    request.method,
                    request.url,
                    headers=request.headers,
                    content=request.content,
                    params=request.params,
                ) as response:
                    if request.first and on_response is not None:
                        on_response(response)
                    _raise_for_status(response)
                    session.open(response.headers)
                    try:
                        for chunk in response.iter_bytes():
                            for part in session.feed(chunk):
                                yield part
                    except StreamResumeError:
                        raise
                    except httpx.HTTPError as exc:  # the body was cut off
                        cause = exc
                    else:
                        for part in session.close():
                            yield part
            except StreamResumeError:
                raise
            except (httpx.TransportError, RateLimitError, InternalServerError) as exc:
                cause = exc  # could not (re)open: refused, 429, 5xx or not an SSE answer
            if cause is None:
                if (check := session.run_check()) is None:
                    return
                cause = self._check_run(*check)
                if cause is None:
                    return
            time.sleep(session.reconnect_delay(cause))

    def _check_run(self, url: str, headers: dict[str, str]) -> Exception | None:
        # A stream also closes cleanly when a proxy or a restart cuts it: ask the run.
        try:
            response = self.client.get(url, headers=headers)
        except httpx.TransportError as exc:
            return exc
        return run_check_cause(response)


def iter_lines_raw(response: httpx.Response) -> Iterator[bytes]:
    """Yield the lines of a response body, split on CRLF, LF or CR."""
    lines = BytesLineDecoder()
    for chunk in response.iter_bytes():
        for line in lines.decode(chunk):
            yield line
    for line in lines.flush():
        yield line


def _raise_for_status(response: httpx.Response) -> None:
    if response.status_code < 400:
        return
    try:
        content = response.read()
    except httpx.HTTPError:
        content = b""
    raise status_error(response, content)


def _finish(response: httpx.Response, on_response: Callable[[httpx.Response], None] | None) -> Any:
    if on_response is not None:
        on_response(response)
    _raise_for_status(response)
    return decode_json(response.read())
