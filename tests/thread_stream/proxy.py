"""A TCP proxy in front of a test server, on loopback, that records what crosses it and
can cut event-stream connections (SSE or WebSocket) as a flaky network would."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass
class Connection:
    """One client connection: its first request line, and whether it asked for a
    WebSocket."""

    request_line: str
    websocket: bool


@dataclass
class CuttingProxy:
    """`with CuttingProxy(server_url, cut_after=n) as proxy:` clients use `proxy.url`.

    With `cut_after`, every connection whose first request is for `/stream/events` is cut
    (both sides aborted, no close frame) after the server sent it `n` chunks; others pass
    untouched. Runs its own event loop in a thread, so sync clients can use it too."""

    server_url: str
    cut_after: int | None = None
    connections: list[Connection] = field(default_factory=list)
    cuts: int = 0

    def __post_init__(self) -> None:
        target = urlsplit(self.server_url)
        self._target = (target.hostname or "127.0.0.1", target.port or 80)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stream_connections(self, *, websocket: bool) -> list[Connection]:
        """The connections that opened an event stream, over WebSocket or SSE."""
        return [
            c
            for c in self.connections
            if "/stream/events" in c.request_line and c.websocket == websocket
        ]

    def __enter__(self) -> CuttingProxy:
        self._thread.start()
        started = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._accept, "127.0.0.1", 0), self._loop
        )
        self._server = started.result(timeout=10)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def __exit__(self, *exc_info: object) -> None:
        async def stop() -> None:
            self._server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await self._serve(reader, writer)
        finally:
            self._tasks.discard(task)
            writer.transport.abort()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.read(65536)  # the request line and headers come in one write
        if not head:
            return
        line = head.split(b"\r\n", 1)[0].decode(errors="replace")
        self.connections.append(Connection(line, b"upgrade: websocket" in head.lower()))
        limit = self.cut_after if "/stream/events" in line else None
        up_reader, up_writer = await asyncio.open_connection(*self._target)
        up_writer.write(head)
        pipes = {
            asyncio.ensure_future(self._pipe(reader, up_writer, None)),
            asyncio.ensure_future(self._pipe(up_reader, writer, limit)),
        }
        try:
            # Either side ending ends the link: both are aborted, as a dropped link is.
            await asyncio.wait(pipes, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for pipe in pipes:
                pipe.cancel()
            await asyncio.gather(*pipes, return_exceptions=True)
            up_writer.transport.abort()

    async def _pipe(
        self, source: asyncio.StreamReader, sink: asyncio.StreamWriter, limit: int | None
    ) -> None:
        sent = 0
        with contextlib.suppress(ConnectionError):
            while chunk := await source.read(65536):
                sink.write(chunk)
                await sink.drain()
                sent += 1
                if limit is not None and sent >= limit:
                    self.cuts += 1
                    return
