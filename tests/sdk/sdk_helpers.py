"""Helpers shared by the SDK tests: drive a call on an async or sync client the same way."""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import httpx


async def run_async(call: Callable[[Any], Any], client: Any) -> Any:
    """Call, await and drain whatever an async client method returns."""
    result = call(client)
    if inspect.isawaitable(result):
        result = await result
    if hasattr(result, "__aiter__"):
        result = [item async for item in result]
    return result


def run_sync(call: Callable[[Any], Any], client: Any) -> Any:
    """Call and drain whatever a sync client method returns."""
    result = call(client)
    if isinstance(result, Iterator):
        result = list(result)
    return result


def outcome(result: Any) -> Any:
    """A comparable form of a result: stream parts as plain tuples."""
    if isinstance(result, list):
        return [tuple(item) if isinstance(item, tuple) else item for item in result]
    return result


async def capture_async(call: Callable[[Any], Any], client: Any) -> tuple[Any, list[str]]:
    """(result or (exception class, message), warnings) of one async call."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # Garbage collection of unrelated objects (earlier tests' clients) may warn at any moment.
        warnings.simplefilter("ignore", ResourceWarning)
        try:
            value = outcome(await run_async(call, client))
        except Exception as exc:
            value = (type(exc).__name__, str(exc))
    return value, [f"{w.category.__name__}: {w.message}" for w in caught]


def capture_sync(call: Callable[[Any], Any], client: Any) -> tuple[Any, list[str]]:
    """(result or (exception class, message), warnings) of one sync call."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # Garbage collection of unrelated objects (earlier tests' clients) may warn at any moment.
        warnings.simplefilter("ignore", ResourceWarning)
        try:
            value = outcome(run_sync(call, client))
        except Exception as exc:
            value = (type(exc).__name__, str(exc))
    return value, [f"{w.category.__name__}: {w.message}" for w in caught]


class ChunkedBody(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A response body sent in the given chunks, optionally failing with ``error`` after them
    (a connection cut mid-body)."""

    def __init__(self, chunks: Iterable[bytes], error: Exception | None = None) -> None:
        self._chunks = list(chunks)
        self._error = error

    def __iter__(self) -> Iterator[bytes]:
        yield from self._chunks
        if self._error is not None:
            raise self._error

    async def __aiter__(self) -> Any:
        for chunk in self._chunks:
            yield chunk
        if self._error is not None:
            raise self._error


def sse(event: str, data: str, event_id: str | None = None) -> bytes:
    """One event as the official server frames it (CRLF, ``id`` after ``data``)."""
    frame = f"event: {event}\r\ndata: {data}\r\n"
    if event_id is not None:
        frame += f"id: {event_id}\r\n"
    return (frame + "\r\n").encode()
