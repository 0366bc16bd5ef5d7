"""Routes: the thread-centric protocol (v3) — commands, the SSE event stream and the
WebSocket on the same path."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request, WebSocket, WebSocketDisconnect
from starlette.requests import HTTPConnection
from starlette.responses import Response

from tether.api.auth import caller_of
from tether.api.responses import json_response, runtime_of
from tether.api.sse import HEARTBEAT_FRAME, EventStreamResponse
from tether.errors import NotFound, TetherError
from tether.serialization import loads
from tether.services.streams import Heartbeat
from tether.services.thread_protocol import ProtocolError, error_response, parse_command
from tether.services.thread_stream import Session, ThreadStreamService, WireEvent

router = APIRouter(tags=["Thread streams (v3)"])

#: WebSocket close code when the server shuts down: clients reconnect (1012 service restart).
_RESTART = 1012


async def _json_body(request: Request) -> Any:
    try:
        return loads(await request.body())
    except ValueError:
        return _INVALID


_INVALID = object()


def _service(runtime: Any) -> ThreadStreamService:
    return runtime.thread_streams  # type: ignore[no-any-return]


async def _guard(runtime: Any, connection: HTTPConnection, thread_id: str, action: str) -> None:
    """With custom auth, a thread stream needs a thread the caller may `read` (streams) or
    `update` (commands): one made first with `POST /threads`, which records its owner."""
    caller = caller_of(connection)
    if caller is None:
        return
    await runtime.auth.check_thread(caller, thread_id, action)
    try:
        await runtime.threads.get(thread_id)
    except NotFound:
        raise NotFound(
            f"Thread with ID {thread_id} not found (with auth, create it first: POST /threads)"
        ) from None


@router.post("/threads/{thread_id}/commands")
async def command(thread_id: str, request: Request) -> Response:
    await _guard(runtime_of(request), request, thread_id, "update")
    body = await _json_body(request)
    if body is _INVALID:
        return json_response({"detail": "Invalid JSON body"}, status_code=400)
    try:
        parse_command(body)
    except ProtocolError as exc:
        command_id = body.get("id") if isinstance(body, dict) else None
        return json_response(error_response(command_id, exc.code, exc.message), status_code=400)
    response = await _service(runtime_of(request)).execute(thread_id, body)
    return Response(response, media_type="application/json")


@router.post("/threads/{thread_id}/stream/events")
async def event_stream(thread_id: str, request: Request) -> Response:
    runtime = runtime_of(request)
    await _guard(runtime, request, thread_id, "read")
    service = _service(runtime)
    body = await _json_body(request)
    if body is _INVALID:
        return json_response({"detail": "Invalid JSON body"}, status_code=400)
    try:
        event_filter, since = await service.open_stream(thread_id, body)
    except ProtocolError as exc:
        return json_response({"detail": exc.message}, status_code=400)
    return EventStreamResponse(
        _frames(service.follow(thread_id, event_filter, since)), draining=runtime.draining
    )


async def _frames(items: AsyncIterator[WireEvent | Heartbeat]) -> AsyncIterator[bytes]:
    async for item in items:
        if isinstance(item, WireEvent):
            yield b"".join(
                (
                    b"event: ",
                    item.method.encode(),
                    b"\r\ndata: ",
                    item.data,
                    b"\r\nid: ",
                    str(item.seq).encode(),
                    b"\r\n\r\n",
                )
            )
        else:
            yield HEARTBEAT_FRAME


@router.websocket("/threads/{thread_id}/stream/events")
async def event_socket(thread_id: str, websocket: WebSocket) -> None:
    runtime = websocket.app.state.runtime
    try:
        # Its commands may change the thread: the caller must be allowed to update it.
        await _guard(runtime, websocket, thread_id, "update")
    except TetherError:
        await websocket.close(code=1008)  # refused before the handshake: HTTP 403
        return
    await websocket.accept()

    async def send(frame: bytes) -> None:
        await websocket.send_text(frame.decode())

    session = Session(_service(runtime), thread_id, send)
    receiving = asyncio.ensure_future(_receive(websocket, session))
    draining = asyncio.ensure_future(runtime.draining.wait())
    try:
        await asyncio.wait({receiving, draining}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (receiving, draining):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await session.close()
    if draining.done() and not draining.cancelled():
        with contextlib.suppress(Exception):
            await websocket.close(code=_RESTART, reason="server shutting down")


async def _receive(websocket: WebSocket, session: Session) -> None:
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text")
            if text is None and message.get("bytes") is not None:
                text = message["bytes"].decode(errors="replace")
            if text is None:
                continue
            await session.handle(text)
    except WebSocketDisconnect:
        return
