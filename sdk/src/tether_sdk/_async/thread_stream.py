"""Thread streams: the thread-centric protocol (v3) of ``client.threads.stream(...)``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Mapping, Sequence
from contextlib import aclosing
from typing import Any, Literal

import httpx
import orjson
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from tether_sdk._async.http import HttpClient, _raise_for_status
from tether_sdk._core.thread_stream import (
    ALL_CHANNELS,
    CommandIds,
    EventCursor,
    ProtocolError,
    command_result,
    handshake_error,
    interrupt_of,
    root_end,
    socket_frame,
    socket_headers,
    socket_subscribe,
    socket_url,
    stream_body,
)
from tether_sdk._core.wire import encode_json, merge_headers, path
from tether_sdk._errors import InternalServerError, RateLimitError, StreamResumeError
from tether_sdk._sse import EventStreamDecoder

_SSE_HEADERS = {"Accept": "text/event-stream", "Cache-Control": "no-store"}


class ThreadStream:
    """One thread's v3 session: start runs, answer interrupts, follow filtered events.

    Each ``subscribe`` is its own event stream, SSE or a WebSocket (``transport``); when
    its connection drops it is opened again with ``since`` (the last ``seq`` delivered), so
    no event is lost or repeated. Commands go over HTTP either way. Use it as a context
    manager.

    Attributes:
        thread_id: The thread (a new UUID unless one was given).
        assistant_id: The assistant ``run.start`` uses.
        transport: ``"sse"`` or ``"websocket"``: how event streams are read.
        interrupts: ``{"interrupt_id", "value", "namespace"}`` of the interrupts the last
            run ended with (filled by ``output()``).
        interrupted: Whether the last run ended waiting for input.
        run: ``run.start(...)`` and ``run.respond(...)``.

    Example:
        ```python
        async with client.threads.stream(assistant_id="agent") as thread:
            await thread.run.start(input={"messages": [{"role": "user", "content": "hi"}]})
            async for event in thread.subscribe(["messages"]):
                ...
            values = await thread.output()
        ```
    """

    def __init__(
        self,
        http: HttpClient,
        *,
        thread_id: str,
        assistant_id: str,
        headers: Mapping[str, str] | None = None,
        explicit_thread_id: bool = False,
        transport: Literal["sse", "websocket"] = "sse",
    ) -> None:
        if transport not in ("sse", "websocket"):
            raise ValueError("transport must be 'sse' or 'websocket'.")
        self.http = http
        self.thread_id = thread_id
        self.assistant_id = assistant_id
        self.transport = transport
        self.headers = dict(headers or {})
        self.interrupts: list[dict[str, Any]] = []
        self.interrupted = False
        self.run = _Run(self)
        self._ids = CommandIds()
        self._explicit_thread_id = explicit_thread_id
        #: Where the last run this session started begins in the thread's log.
        self._run_since: int | None = None
        self._run_started = False

    async def __aenter__(self) -> ThreadStream:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        return None

    async def send_command(
        self, method: str, params: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """Send one protocol command and return its ``result``.

        Raises:
            ProtocolError: the server answered with a protocol error code.

        Example:
            ```python
            state = await thread.send_command("state.get", {"namespace": []})
            ```
        """
        response = await self.http.post(
            path("/threads/{}/commands", self.thread_id),
            json=self._ids.command(method, params),
            headers=self.headers,
        )
        result, applied = command_result(response)
        if method in ("run.start", "input.respond", "input.inject", "state.fork"):
            self._run_since = applied
            self._run_started = True
        return result

    async def subscribe(
        self,
        channels: Sequence[str],
        *,
        namespaces: Sequence[Sequence[str]] | None = None,
        depth: int | None = None,
        since: int | None = None,
    ) -> AsyncGenerator[dict[str, Any], None]:
        """Follow the thread's events on ``channels`` (every run, live), from ``since``.

        The stream does not end by itself: stop iterating when you have what you need.
        Reconnects after a drop, with ``since``, until the reconnect policy gives up
        (``StreamResumeError``).

        Example:
            ```python
            async for event in thread.subscribe(["values"], namespaces=[["child"]]):
                print(event["seq"], event["params"]["data"])
            ```
        """
        cursor = EventCursor(since)
        attempt = 0
        while True:
            body = stream_body(channels, namespaces, depth, cursor.since)
            cause: Exception | None = None
            # One generator, no nested one: closing it (or the loop closing every open
            # generator) closes the connection exactly once.
            try:
                if self.transport == "websocket":
                    url = socket_url(self.http.client.base_url, self._events_path)
                    try:
                        async with connect(url, **self._socket_options(url)) as socket:
                            await socket.send(orjson.dumps(socket_subscribe(body)).decode())
                            async for frame in socket:
                                event = _socket_event(frame)
                                if event is not None and cursor.accept(event):
                                    attempt = 0
                                    yield event
                    except InvalidStatus as exc:  # refused at the handshake: 403, 404, 5xx
                        raise handshake_error(exc.response, url) from exc
                else:
                    headers, content = encode_json(body)
                    async with self.http.client.stream(
                        "POST",
                        self._events_path,
                        content=content,
                        headers=merge_headers({**headers, **_SSE_HEADERS}, self.headers),
                    ) as response:
                        await _raise_for_status(response)
                        decoder = EventStreamDecoder()
                        async for chunk in response.aiter_bytes():
                            for sse in decoder.feed(chunk):
                                if cursor.accept(sse.data):
                                    attempt = 0
                                    yield sse.data
            except (
                httpx.TransportError,
                RateLimitError,
                InternalServerError,
                ConnectionClosed,
                InvalidHandshake,
                OSError,
            ) as exc:
                cause = exc
            if attempt >= self.http.reconnect.max_attempts:
                raise StreamResumeError(
                    "The thread stream could not be reopened", last_event_id=str(cursor.since)
                ) from cause
            await asyncio.sleep(self.http.reconnect.delay(attempt))
            attempt += 1

    @property
    def _events_path(self) -> str:
        return path("/threads/{}/stream/events", self.thread_id)

    def _socket_options(self, url: str) -> dict[str, Any]:
        """How the WebSocket of an event stream is opened."""
        return {
            "additional_headers": socket_headers(self.http.client, url, self.headers),
            "max_size": None,  # an event is as large as the state it carries
            "open_timeout": self.http.client.timeout.connect,
        }

    def events(self, *, since: int | None = None) -> AsyncIterator[dict[str, Any]]:
        """Every event on every channel (see ``subscribe``)."""
        return self.subscribe(ALL_CHANNELS, since=since)

    async def output(self) -> Any:
        """Wait for the last run this session started to end, then return the thread's
        values. Returns when the run completes, fails or stops for input (then
        ``interrupted`` and ``interrupts`` say so); raises ``RuntimeError`` if it failed.

        With no run started here, waits for the thread's current run, if any.
        """
        if not self._run_started:
            thread = await self.http.get(path("/threads/{}", self.thread_id), headers=self.headers)
            if thread.get("status") == "busy":
                runs = await self.http.get(
                    path("/threads/{}/runs", self.thread_id), headers=self.headers
                )
                for run in runs:
                    if run.get("status") in ("pending", "running"):
                        await self.http.get(
                            path("/threads/{}/runs/{}/join", self.thread_id, run["run_id"]),
                            headers=self.headers,
                        )
        else:
            pending: list[dict[str, Any]] = []
            ends = self.subscribe(["lifecycle", "input"], since=self._run_since)
            async with aclosing(ends):  # its connection closes here, in this task
                async for event in ends:
                    if (interrupt := interrupt_of(event)) is not None:
                        pending.append(interrupt)
                    end = root_end(event)
                    if end is None:
                        continue
                    self.interrupted = end == "interrupted"
                    self.interrupts = pending if self.interrupted else []
                    if end == "failed":
                        error = event["params"]["data"].get("error")
                        raise RuntimeError(f"Run errored: {error}" if error else "Run errored")
                    break
        state = await self.http.get(path("/threads/{}/state", self.thread_id), headers=self.headers)
        return state["values"]


def _socket_event(frame: str | bytes) -> dict[str, Any] | None:
    try:
        decoded = orjson.loads(frame)
    except orjson.JSONDecodeError as exc:
        raise ProtocolError("unknown_error", f"A frame is not JSON: {exc}") from exc
    return socket_frame(decoded)


class _Run:
    """``thread.run``: the commands that start runs."""

    def __init__(self, thread: ThreadStream) -> None:
        self._thread = thread

    async def start(
        self,
        *,
        input: Any = None,
        config: Mapping[str, Any] | None = None,
        metadata: Mapping[str, Any] | None = None,
        multitask_strategy: str | None = None,
    ) -> dict[str, Any]:
        """Start a run of the stream's assistant (``run.start``); returns ``{"run_id"}``.

        Example:
            ```python
            await thread.run.start(input={"messages": [{"role": "user", "content": "hi"}]})
            ```
        """
        params: dict[str, Any] = {"assistant_id": self._thread.assistant_id}
        for key, value in (("input", input), ("config", config), ("metadata", metadata)):
            if value is not None:
                params[key] = value
        if multitask_strategy is not None:
            params["multitaskStrategy"] = multitask_strategy
        return await self._thread.send_command("run.start", params)

    async def respond(self, response: Any, *, interrupt_id: str | None = None) -> dict[str, Any]:
        """Answer an interrupt (``input.respond``) and resume; returns ``{"run_id"}``.

        Without ``interrupt_id``, answers the only interrupt in ``thread.interrupts``.

        Raises:
            ProtocolError: the interrupt is unknown or was already answered.
        """
        pending = self._thread.interrupts
        if interrupt_id is None:
            if len(pending) != 1:
                raise ProtocolError(
                    "invalid_argument",
                    f"{len(pending)} interrupts are pending: pass interrupt_id.",
                )
            match = pending[0]
        else:
            match = next(
                (p for p in pending if p["interrupt_id"] == interrupt_id),
                {"interrupt_id": interrupt_id, "namespace": []},
            )
        return await self._thread.send_command(
            "input.respond",
            {
                "interrupt_id": match["interrupt_id"],
                "namespace": match["namespace"],
                "response": response,
            },
        )
