"""tether_sdk against a real Tether server running the bundled example graphs.

The ``tether_url`` fixture (tests/conftest.py) gives the base URL of a running server. Each
scenario is written once, as async code, and runs on the async client and on the sync
client (through a small adapter that runs each sync call in a worker thread), so every
method is exercised on both surfaces.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
import tether_sdk
from tether_sdk import ReconnectPolicy, StreamPart
from tether_sdk._core.resume import event_id_key

FAST_RECONNECT = ReconnectPolicy(base_delay=0.05, max_delay=0.2)


class _Deferred:
    """A sync call made awaitable and async-iterable, to drive sync methods from a scenario."""

    def __init__(self, call: Callable[[], Any]) -> None:
        self._call = call

    def __await__(self) -> Any:
        return self._run().__await__()

    async def _run(self) -> Any:
        result = await asyncio.to_thread(self._call)
        return _aiter(result) if isinstance(result, Iterator) else result

    def __aiter__(self) -> AsyncIterator[Any]:
        async def parts() -> AsyncIterator[Any]:
            async for part in await self:
                yield part

        return parts()


async def _aiter(iterator: Iterator[Any]) -> AsyncIterator[Any]:
    done = object()
    while (item := await asyncio.to_thread(next, iterator, done)) is not done:
        yield item


class _SyncAsAsync:
    def __init__(self, target: Any) -> None:
        self._target = target

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if callable(value):
            return lambda *args, **kwargs: _Deferred(lambda: value(*args, **kwargs))
        return _SyncAsAsync(value)


class CutFirstStream(httpx.AsyncBaseTransport, httpx.BaseTransport):
    """A real transport that cuts the first event-stream response after ``events`` ids."""

    def __init__(self, events: int) -> None:
        self._events = events
        self._cut_done = False
        self.cuts: list[int] = []  # ids seen before each cut
        self._async = httpx.AsyncHTTPTransport()
        self._sync = httpx.HTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._async.handle_async_request(request)
        if self._should_cut(response):
            response.stream = _CutStream(response.stream, self._events, self.cuts)
        return response

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._sync.handle_request(request)
        if self._should_cut(response):
            response.stream = _CutStream(response.stream, self._events, self.cuts)
        return response

    def _should_cut(self, response: httpx.Response) -> bool:
        if self._cut_done or "text/event-stream" not in response.headers.get("content-type", ""):
            return False
        self._cut_done = True
        return True

    async def aclose(self) -> None:
        await self._async.aclose()

    def close(self) -> None:
        self._sync.close()


class _CutStream(httpx.AsyncByteStream, httpx.SyncByteStream):
    def __init__(self, inner: Any, events: int, cuts: list[int]) -> None:
        self._inner, self._events, self._cuts = inner, events, cuts

    async def __aiter__(self) -> AsyncIterator[bytes]:
        seen = 0
        async for chunk in self._inner:
            yield chunk
            seen += chunk.count(b"\nid:") + chunk.startswith(b"id:")
            if seen >= self._events:
                self._cuts.append(seen)
                raise httpx.ReadError("cut by the test")

    def __iter__(self) -> Iterator[bytes]:
        seen = 0
        for chunk in self._inner:
            yield chunk
            seen += chunk.count(b"\nid:") + chunk.startswith(b"id:")
            if seen >= self._events:
                self._cuts.append(seen)
                raise httpx.ReadError("cut by the test")

    async def aclose(self) -> None:
        await self._inner.aclose()

    def close(self) -> None:
        self._inner.close()


@pytest.fixture(params=["async", "sync"])
async def client(request: pytest.FixtureRequest, tether_url: str) -> AsyncIterator[Any]:
    """The async client, or the sync client behind an awaitable adapter."""
    if request.param == "async":
        async with tether_sdk.get_client(url=tether_url) as async_client:
            yield async_client
    else:
        with tether_sdk.get_sync_client(url=tether_url) as sync_client:
            yield _SyncAsAsync(sync_client)


@pytest.fixture(params=["async", "sync"])
async def cutting_client(request: pytest.FixtureRequest, tether_url: str) -> AsyncIterator[Any]:
    """A client whose first stream is cut after 3 events, with fast reconnects."""
    transport = CutFirstStream(events=3)
    if request.param == "async":
        http = httpx.AsyncClient(base_url=tether_url, transport=transport)
        async with tether_sdk.LangGraphClient(http, reconnect=FAST_RECONNECT) as async_client:
            yield async_client
    else:
        sync_http = httpx.Client(base_url=tether_url, transport=transport)
        with tether_sdk.SyncLangGraphClient(sync_http, reconnect=FAST_RECONNECT) as sync_client:
            yield _SyncAsAsync(sync_client)
    assert len(transport.cuts) == 1 and transport.cuts[0] >= 3  # the stream really was cut


async def collect(parts: Any) -> list[StreamPart]:
    return [part async for part in parts]


def assert_ids_increase(parts: list[StreamPart]) -> None:
    keys = [event_id_key(part.id) for part in parts if part.id]
    assert None not in keys and len(keys) == len(parts)
    assert keys == sorted(keys) and len(set(keys)) == len(keys)


async def full_log(client: Any, thread_id: str, run_id: str) -> list[StreamPart]:
    return await collect(client.runs.join_stream(thread_id, run_id, last_event_id="0"))


async def test_assistants(client: Any) -> None:
    found = await client.assistants.search(graph_id="agent", limit=100)
    default = await client.assistants.get(found[0]["assistant_id"])
    assert default["graph_id"] == "agent"
    page = await client.assistants.search(graph_id="agent", response_format="object")
    assert page["assistants"] and "next" in page
    graph = await client.assistants.get_graph(default["assistant_id"])
    assert {"step_a", "step_b", "step_c"} <= {node["id"] for node in graph["nodes"]}
    schemas = await client.assistants.get_schemas(default["assistant_id"])
    assert schemas["graph_id"] == "agent"
    assert set(schemas) >= {"input_schema", "output_schema", "state_schema", "config_schema"}
    nested = (await client.assistants.search(graph_id="nested"))[0]["assistant_id"]
    assert "child" in await client.assistants.get_subgraphs(nested, recurse=True)

    name = f"sdk-{uuid.uuid4()}"
    created = await client.assistants.create("trivial", metadata={"sdk": name}, name=name)
    assistant_id = created["assistant_id"]
    assert (await client.assistants.count(metadata={"sdk": name})) == 1
    updated = await client.assistants.update(assistant_id, description="second version")
    assert updated["version"] == 2
    versions = await client.assistants.get_versions(assistant_id)
    assert sorted(v["version"] for v in versions) == [1, 2]
    latest = await client.assistants.set_latest(assistant_id, 1)
    assert latest["version"] == 1
    await client.assistants.delete(assistant_id)
    with pytest.raises(tether_sdk.NotFoundError):
        await client.assistants.get(assistant_id)


async def test_threads(client: Any) -> None:
    tag = str(uuid.uuid4())
    thread = await client.threads.create(metadata={"sdk": tag})
    thread_id = thread["thread_id"]
    with pytest.raises(tether_sdk.ConflictError):
        await client.threads.create(thread_id=thread_id, if_exists="raise")
    assert (await client.threads.get(thread_id))["metadata"]["sdk"] == tag
    updated = await client.threads.update(thread_id, metadata={"extra": 1})
    assert updated["metadata"] == {"sdk": tag, "extra": 1}
    assert [t["thread_id"] for t in await client.threads.search(metadata={"sdk": tag})] == [
        thread_id
    ]
    assert (await client.threads.count(metadata={"sdk": tag})) == 1

    await client.runs.wait(thread_id, "trivial", input={"counter": 0})
    result = await client.threads.update_state(thread_id, {"counter": 5}, as_node="increment")
    assert result["checkpoint"]["thread_id"] == thread_id
    state = await client.threads.get_state(thread_id)
    assert state["values"]["counter"] == 6
    history = await client.threads.get_history(thread_id, limit=10)
    assert len(history) >= 2
    earlier = await client.threads.get_state(
        thread_id, checkpoint_id=history[-1]["checkpoint"]["checkpoint_id"]
    )
    assert earlier["checkpoint"]["checkpoint_id"] == history[-1]["checkpoint"]["checkpoint_id"]

    copy = await client.threads.copy(thread_id)
    copied_id = copy["thread_id"]
    assert copied_id != thread_id
    assert (await client.threads.get_state(copied_id))["values"]["counter"] == 6
    await client.threads.prune([copied_id])
    await client.threads.delete(thread_id)
    for gone in (thread_id, copied_id):
        with pytest.raises(tether_sdk.NotFoundError):
            await client.threads.get(gone)


async def test_runs_create_join_list_get_delete(client: Any) -> None:
    thread_id = (await client.threads.create())["thread_id"]
    created: list[Any] = []
    run = await client.runs.create(
        thread_id, "agent", input={"delay": 0.01}, on_run_created=created.append
    )
    assert created == [{"run_id": run["run_id"], "thread_id": thread_id}]
    values = await client.runs.join(thread_id, run["run_id"])
    assert values["counter"] == 111
    assert (await client.runs.get(thread_id, run["run_id"]))["status"] == "success"
    assert [r["run_id"] for r in await client.runs.list(thread_id)] == [run["run_id"]]
    batch = await client.runs.create_batch(
        [
            {"assistant_id": "trivial", "thread_id": None, "input": {}},
            {"assistant_id": "trivial", "thread_id": None, "input": {"counter": 1}},
        ]
    )
    assert len({run["run_id"] for run in batch}) == 2
    await client.runs.delete(thread_id, run["run_id"])
    with pytest.raises(tether_sdk.NotFoundError):
        await client.runs.get(thread_id, run["run_id"])


async def test_wait_returns_values_and_raises_run_errors(client: Any) -> None:
    assert (await client.runs.wait(None, "trivial", input={"counter": 1}))["counter"] == 2
    thread_id = (await client.threads.create())["thread_id"]
    with pytest.raises(Exception, match="ValueError: boom from b"):
        await client.runs.wait(thread_id, "agent", input={"fail": True})
    failed = await client.runs.wait(thread_id, "agent", input={"fail": True}, raise_error=False)
    assert failed["__error__"]["error"] == "ValueError"


async def test_stream_sends_metadata_first_then_the_modes_with_ids(client: Any) -> None:
    thread_id = (await client.threads.create())["thread_id"]
    parts = await collect(
        client.runs.stream(thread_id, "agent", input={}, stream_mode=["updates", "custom"])
    )
    assert parts[0].event == "metadata" and parts[0].data["attempt"] == 1
    events = [part.event for part in parts]
    assert events.count("custom") == 6 and events.count("updates") == 3
    assert_ids_increase(parts)
    assert parts == await full_log(client, thread_id, parts[0].data["run_id"])

    v2 = await collect(client.runs.stream(thread_id, "agent", input={}, version="v2"))
    assert v2[0]["type"] == "metadata" and v2[-1]["type"] == "values"


async def test_stream_error_event(client: Any) -> None:
    parts = await collect(client.runs.stream(None, "agent", input={"fail": True}))
    assert parts[-1].event == "error"
    assert parts[-1].data == {"error": "ValueError", "message": "boom from b"}


async def test_stream_cut_mid_body_resumes_exactly(cutting_client: Any) -> None:
    thread_id = (await cutting_client.threads.create())["thread_id"]
    parts = await collect(
        cutting_client.runs.stream(
            thread_id,
            "ticker",
            input={"n_events": 12, "delay": 0.02},
            stream_mode=["custom", "values"],
        )
    )
    assert [p.data["i"] for p in parts if p.event == "custom"] == list(range(12))
    assert parts == await full_log(cutting_client, thread_id, parts[0].data["run_id"])


async def test_join_stream_resume_has_no_gap_or_duplicate(client: Any) -> None:
    thread_id = (await client.threads.create())["thread_id"]
    run = await client.runs.create(
        thread_id, "ticker", input={"n_events": 20, "delay": 0.02}, stream_mode=["custom"]
    )
    first: list[StreamPart] = []
    async for part in client.runs.join_stream(thread_id, run["run_id"], last_event_id="0"):
        first.append(part)
        if len(first) == 5:
            break
    rest = await collect(
        client.runs.join_stream(thread_id, run["run_id"], last_event_id=first[-1].id)
    )
    assert first + rest == await full_log(client, thread_id, run["run_id"])
    assert [p.data["i"] for p in first + rest if p.event == "custom"] == list(range(20))


async def test_join_stream_cut_mid_body_resumes_exactly(cutting_client: Any) -> None:
    thread_id = (await cutting_client.threads.create())["thread_id"]
    run = await cutting_client.runs.create(
        thread_id, "ticker", input={"n_events": 10, "delay": 0.02}, stream_mode=["custom"]
    )
    parts = await collect(
        cutting_client.runs.join_stream(thread_id, run["run_id"], last_event_id="0")
    )
    assert parts == await full_log(cutting_client, thread_id, run["run_id"])
    assert [p.data["i"] for p in parts if p.event == "custom"] == list(range(10))


async def test_interrupt_then_resume_with_command(client: Any) -> None:
    thread_id = (await client.threads.create())["thread_id"]
    await client.runs.wait(thread_id, "hitl", input={})
    assert (await client.threads.get(thread_id))["status"] == "interrupted"
    values = await client.runs.wait(thread_id, "hitl", command={"resume": "yes"})
    assert values["answer"] == "yes" and values["counter"] == 11


async def test_cancel_and_cancel_many(client: Any) -> None:
    thread_id = (await client.threads.create())["thread_id"]
    slow = {"n_events": 200, "delay": 0.05}
    run = await client.runs.create(thread_id, "ticker", input=slow)
    await client.runs.cancel(thread_id, run["run_id"], wait=True)
    assert (await client.runs.get(thread_id, run["run_id"]))["status"] == "interrupted"

    other = await client.runs.create(thread_id, "ticker", input=slow)
    await client.runs.cancel_many(thread_id=thread_id, run_ids=[other["run_id"]])
    await client.runs.join(thread_id, other["run_id"])
    assert (await client.runs.get(thread_id, other["run_id"]))["status"] == "interrupted"


async def test_thread_join_stream_follows_runs_of_the_thread(client: Any) -> None:
    thread_id = (await client.threads.create())["thread_id"]
    run = await client.runs.create(
        thread_id, "ticker", input={"n_events": 3, "delay": 0.01}, stream_mode=["custom"]
    )
    await client.runs.join(thread_id, run["run_id"])
    seen: list[StreamPart] = []
    async for part in await client.threads.join_stream(thread_id, last_event_id="0"):
        seen.append(part)
        if part.event == "metadata" and part.data.get("status") == "run_done":
            break
    assert [p.data["i"] for p in seen if p.event == "custom"] == [0, 1, 2]
    assert_ids_increase(seen)


async def test_store(client: Any) -> None:
    namespace = ["sdk", uuid.uuid4().hex]
    await client.store.put_item(namespace, "prefs", {"theme": "dark"})
    assert (await client.store.get_item(namespace, "prefs"))["value"] == {"theme": "dark"}
    found = await client.store.search_items(namespace, filter={"theme": "dark"})
    assert [item["key"] for item in found["items"]] == ["prefs"]
    listed = await client.store.list_namespaces(prefix=namespace)
    assert namespace in listed["namespaces"]
    await client.store.delete_item(namespace, "prefs")
    assert (await client.store.search_items(namespace))["items"] == []
