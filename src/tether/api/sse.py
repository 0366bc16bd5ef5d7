"""Server-sent events in the official framing, and the response that streams them.

event: custom\r\ndata: {"i":1}\r\nid: 1795545975748-0\r\n\r\n
: heartbeat\r\n\r\n
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping

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


def encode(item: StreamItem, *, event_name: str | None = None) -> bytes:
    if isinstance(item, Heartbeat):
        return HEARTBEAT_FRAME
    if isinstance(item, ErrorFrame):
        return b"event: error\r\ndata: " + item.data + b"\r\n\r\n"
    assert isinstance(item, StreamEvent)
    name = (event_name or item.event).encode()
    return (
        b"event: "
        + name
        + b"\r\ndata: "
        + item.data
        + b"\r\nid: "
        + str(item.id).encode()
        + b"\r\n\r\n"
    )


class EventStreamResponse(Response):
    """Streams SSE frames; notices a client that goes away at once (not at the next write)
    and then calls `on_disconnect`."""

    def __init__(
        self,
        frames: AsyncIterator[bytes],
        headers: Mapping[str, str] | None = None,
        on_disconnect: Callable[[], Awaitable[None]] | None = None,
        media_type: str = "text/event-stream; charset=utf-8",
    ) -> None:
        self.frames = frames
        self.stream_headers = {**SSE_HEADERS, "Content-Type": media_type, **(headers or {})}
        self.on_disconnect = on_disconnect
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
        try:
            await asyncio.wait({pump, listen}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            disconnected = listen.done() and not pump.done()
            for task in (pump, listen):
                task.cancel()
            for task in (pump, listen):
                with contextlib.suppress(asyncio.CancelledError, OSError):
                    await task
            with contextlib.suppress(Exception):
                await self.frames.aclose()  # type: ignore[attr-defined]
        if pump.done() and not pump.cancelled() and pump.exception() is not None:
            disconnected = True
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
