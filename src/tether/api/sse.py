"""Server-sent events in the official framing, and the response that streams them.

event: custom\r\ndata: {"i":1}\r\nid: 1795545975748-0\r\n\r\n
: heartbeat\r\n\r\n
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from tether.records import StreamEvent
from tether.services.streams import ErrorFrame, Heartbeat, StreamItem

log = logging.getLogger("tether.api")

HEARTBEAT_FRAME = b": heartbeat\r\n\r\n"
SSE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Accel-Buffering": "no",
    "Content-Type": "text/event-stream; charset=utf-8",
}


def encode(item: StreamItem) -> bytes:
    if isinstance(item, Heartbeat):
        return HEARTBEAT_FRAME
    if isinstance(item, ErrorFrame):
        return b"event: error\r\ndata: " + item.data + b"\r\n\r\n"
    assert isinstance(item, StreamEvent)
    name = item.event.encode()
    return (
        b"event: "
        + name
        + b"\r\ndata: "
        + item.data
        + b"\r\nid: "
        + str(item.id).encode()
        + b"\r\n\r\n"
    )


async def encode_stream(items: AsyncIterator[StreamItem]) -> AsyncIterator[bytes]:
    async for item in items:
        yield encode(item)


async def encode_items(*items: StreamItem) -> AsyncIterator[bytes]:
    for item in items:
        yield encode(item)


class EventStreamResponse(Response):
    """Streams SSE frames; notices a client that goes away at once (not at the next write)
    and then calls `on_disconnect`."""

    def __init__(
        self,
        frames: AsyncIterator[bytes],
        headers: Mapping[str, str] | None = None,
        on_disconnect: Callable[[], Awaitable[None]] | None = None,
        media_type: str = "text/event-stream; charset=utf-8",
        draining: asyncio.Event | None = None,
    ) -> None:
        self.frames = frames
        self.stream_headers = {**SSE_HEADERS, "Content-Type": media_type, **(headers or {})}
        self.on_disconnect = on_disconnect
        #: Set when the server shuts down: the stream ends cleanly, so clients reconnect.
        self.draining = draining
        self.status_code = 200
        self.background = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (k.lower().encode(), v.encode()) for k, v in self.stream_headers.items()
                ],
            }
        )
        pump = asyncio.ensure_future(self._pump(send))
        listen = asyncio.ensure_future(_wait_for_disconnect(receive))
        watchers: set[asyncio.Future[Any]] = {pump, listen}
        if self.draining is not None:
            watchers.add(asyncio.ensure_future(self.draining.wait()))
        try:
            await asyncio.wait(watchers, return_when=asyncio.FIRST_COMPLETED)
        finally:
            draining = self.draining is not None and self.draining.is_set()
            disconnected = listen.done() and not pump.done() and not draining
            for task in watchers:
                task.cancel()
            for task in watchers:
                with contextlib.suppress(asyncio.CancelledError, OSError):
                    await task
            with contextlib.suppress(Exception):
                await self.frames.aclose()  # type: ignore[attr-defined]
        if draining:
            # The server is shutting down, not the client going away: runs go on.
            with contextlib.suppress(OSError):
                await send({"type": "http.response.body", "body": b"", "more_body": False})
        elif pump.done() and not pump.cancelled() and (error := pump.exception()) is not None:
            if not isinstance(error, OSError):
                log.error("event stream failed", exc_info=error)
            disconnected = True  # the client cannot get the rest either way
        if disconnected and self.on_disconnect is not None:
            await self.on_disconnect()

    async def _pump(self, send: Send) -> None:
        async for frame in self.frames:
            await send({"type": "http.response.body", "body": frame, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _wait_for_disconnect(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
