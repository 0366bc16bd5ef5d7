"""Helpers of the conformance suite: one awaitable surface over the official sync and async clients.

Every test is written once, against `client`, and runs twice: with `get_client` (async) and with
`get_sync_client` (each blocking call made on a worker thread so the test can still await it).
The sync client's own request building, SSE decoding and error mapping are what run; only the
thread hop is ours.
"""

from __future__ import annotations

import asyncio
import inspect
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from langgraph_sdk.schema import StreamPart

#: Read timeout of every SDK call: a hang fails the test with `httpx.ReadTimeout` instead of
#: stalling the suite.
SDK_TIMEOUT = httpx.Timeout(20.0, connect=5.0)

_DONE = object()


class SyncStream:
    """An iterator of the sync client, consumed from async code one event at a time."""

    def __init__(self, iterator: Iterator[StreamPart]) -> None:
        self._iterator = iterator

    def __aiter__(self) -> SyncStream:
        return self

    async def __anext__(self) -> StreamPart:
        part = await asyncio.to_thread(next, self._iterator, _DONE)
        if part is _DONE:
            raise StopAsyncIteration
        return part  # type: ignore[return-value]

    async def aclose(self) -> None:
        close = getattr(self._iterator, "close", None)
        if close is not None:
            await asyncio.to_thread(close)


class Resource:
    """One resource client (`assistants`, `threads`, `runs`, `crons`, `store`, `http`).

    `await client.<resource>.<method>(...)` returns what the SDK method returns; for streaming
    methods that is an async iterator of `StreamPart` in both flavours.
    """

    def __init__(self, target: Any, kind: str) -> None:
        self._target = target
        self._kind = kind

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self._target, name)
        if self._kind == "async":

            async def call_async(*args: Any, **kwargs: Any) -> Any:
                result = method(*args, **kwargs)
                if inspect.isawaitable(result):
                    result = await result
                return result

            return call_async

        async def call_sync(*args: Any, **kwargs: Any) -> Any:
            result = await asyncio.to_thread(method, *args, **kwargs)
            if isinstance(result, Iterator):
                return SyncStream(result)
            return result

        return call_sync


class Client:
    """The official client (`kind` is "async" or "sync") behind one awaitable surface."""

    def __init__(self, sdk_client: Any, kind: str) -> None:
        self.sdk = sdk_client
        self.kind = kind
        self.assistants = Resource(sdk_client.assistants, kind)
        self.threads = Resource(sdk_client.threads, kind)
        self.runs = Resource(sdk_client.runs, kind)
        self.crons = Resource(sdk_client.crons, kind)
        self.store = Resource(sdk_client.store, kind)
        self.http = Resource(sdk_client.http, kind)


async def collect(stream: Any) -> list[StreamPart]:
    """Every part of a stream until it ends."""
    return [part async for part in stream]


def names(parts: list[StreamPart]) -> list[str]:
    return [part.event for part in parts]


def data_of(parts: list[StreamPart], event: str) -> list[Any]:
    return [part.data for part in parts if part.event == event]


async def wait_for_status(
    client: Client, thread_id: str, run_id: str, statuses: set[str], within: float = 10.0
) -> dict[str, Any]:
    """Poll a run until its status is one of `statuses` (for the few tests that race a run)."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        run = await client.runs.get(thread_id, run_id)
        if run["status"] in statuses or asyncio.get_running_loop().time() > deadline:
            return run  # type: ignore[no-any-return]
        await asyncio.sleep(0.02)


async def wait_for_thread_status(
    client: Client, thread_id: str, statuses: set[str], within: float = 10.0
) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + within
    while True:
        found = await client.threads.get(thread_id)
        if found["status"] in statuses or asyncio.get_running_loop().time() > deadline:
            return found  # type: ignore[no-any-return]
        await asyncio.sleep(0.02)


def unknown_id() -> str:
    return str(uuid.uuid4())


HUMAN_HI = {"messages": [{"role": "user", "content": "hi"}]}
AGENT_ASSISTANT_ID = str(uuid.uuid5(uuid.UUID("6ba7b821-9dad-11d1-80b4-00c04fd430c8"), "agent"))
REPLY = "Hello there, this is a fake streamed reply."


def assert_detail(exc_info: pytest.ExceptionInfo[Any]) -> str:
    """The error body is the official `{"detail": "<a readable string>"}`; returns the detail."""
    body = exc_info.value.body
    assert isinstance(body, dict), f"error body is not a JSON object: {body!r}"
    assert isinstance(body.get("detail"), str) and body["detail"], f"no string detail: {body!r}"
    return body["detail"]  # type: ignore[no-any-return]


def event_id_key(event_id: str) -> tuple[int, int]:
    """An event id `<ms>-<seq>` as the pair of integers it is compared as."""
    ms, _, seq = event_id.partition("-")
    return int(ms), int(seq)
