"""The official `langgraph-sdk`'s thread streams (`client.threads.stream`) against Tether,
over SSE and over the WebSocket, on both backends."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from langgraph_sdk import get_client

REPLY = "Hello there, this is a fake streamed reply."
TIMEOUT = 20.0


@pytest.fixture(params=["sse", "websocket"])
def transport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def client(v3_url: str) -> AsyncIterator[Any]:
    client = get_client(url=v3_url)
    yield client
    await client.aclose()


async def test_values_and_tokens_stream(client: Any, transport: str) -> None:
    async with client.threads.stream(assistant_id="chat", transport=transport) as thread:
        await thread.run.start(input={"messages": [{"role": "user", "content": "hi"}]})
        streams = [stream async for stream in thread.messages]
        assert len(streams) == 1
        tokens = [token async for token in streams[0].text]
        assert len(tokens) > 5 and "".join(tokens) == REPLY
        output = await thread.output.with_timeout(TIMEOUT)
    assert [m["type"] for m in output["messages"]] == ["human", "ai"]


async def test_values_projection_sees_every_state(client: Any, transport: str) -> None:
    async with client.threads.stream(assistant_id="agent", transport=transport) as thread:
        await thread.run.start(input={})
        counters = [values.get("counter") async for values in thread.values]
    # The thread's state before the run, then each step's values, in order.
    assert counters[-3:] == [1, 11, 111]


async def test_tool_calls(client: Any, transport: str) -> None:
    async with client.threads.stream(assistant_id="tools", transport=transport) as thread:
        await thread.run.start(input={"messages": [{"role": "user", "content": "2 + 3?"}]})
        calls = [call async for call in thread.tool_calls]
        assert [(c.name, c.input, c.tool_call_id) for c in calls] == [
            ("add", {"a": 2, "b": 3}, "call-add-1")
        ]
        assert await asyncio.wait_for(calls[0].output, TIMEOUT) == "5"
        output = await thread.output.with_timeout(TIMEOUT)
    assert output["messages"][-1]["content"][0]["text"] == "The sum is 5."


async def _until(condition: Callable[[], object], what: str) -> None:
    """Wait for a condition on the SDK's thread stream (it offers no event to wait on)."""
    async with asyncio.timeout(TIMEOUT):
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.02)


async def _collect(events: AsyncIterator[Any]) -> list[Any]:
    return [event async for event in events]


async def _opened(thread: Any, subscriptions: int) -> None:
    """Wait until the SDK registered `subscriptions` (so far) and its shared stream is open.

    Starting the next subscription before that can hang langgraph-sdk 0.4.14 whatever the
    server: when two subscriptions widen the shared stream at once and the second stream
    opens first, the first stream is closed while its subscriber still waits for it."""
    await _until(
        lambda: (
            thread._next_subscription_id > subscriptions
            and thread._shared_stream is not None
            and thread._shared_stream.ready.done()
        ),
        "the shared stream",
    )


async def test_subgraphs_and_namespace_filters(client: Any, transport: str) -> None:
    # Subscriptions see the events that come after they open: open them all on an existing
    # thread, one at a time, then start the run.
    thread_id = (await client.threads.create())["thread_id"]
    async with client.threads.stream(
        thread_id, assistant_id="nested", transport=transport
    ) as thread:
        child_values = asyncio.create_task(
            _collect(thread.subscribe(["values"], namespaces=[["child"]]))
        )
        await _opened(thread, 1)
        root_values = asyncio.create_task(
            _collect(thread.subscribe(["values"], namespaces=[[]], depth=0))
        )
        await _opened(thread, 2)
        children = asyncio.create_task(_collect(thread.subgraphs))
        await _opened(thread, 3)
        await thread.run.start(input={})
        found = await asyncio.wait_for(children, TIMEOUT)
        seen_child = [e["params"] for e in await asyncio.wait_for(child_values, TIMEOUT)]
        seen_root = [e["params"] for e in await asyncio.wait_for(root_values, TIMEOUT)]
    assert [(h.graph_name, h.status) for h in found] == [("child", "completed")]
    assert seen_child and all(p["namespace"][0].startswith("child:") for p in seen_child)
    assert seen_child[-1]["data"]["counter"] == 6
    assert seen_root and all(p["namespace"] == [] for p in seen_root)
    assert seen_root[-1]["data"]["counter"] == 7


async def test_interrupt_answered_with_respond(client: Any, transport: str) -> None:
    async with client.threads.stream(assistant_id="hitl", transport=transport) as thread:
        await thread.run.start(input={})
        await _until(lambda: thread.interrupted, "the interrupt")
        [pending] = thread.interrupts
        assert pending["value"] == {"question": "approve?", "counter": 0}
        assert pending["namespace"] == []
        result = await thread.run.respond({"ok": True})
        assert isinstance(result["run_id"], str)
        output = await thread.output.with_timeout(TIMEOUT)
    assert output["answer"] == {"ok": True} and output["counter"] == 11


async def test_reattach_to_a_finished_thread(client: Any, transport: str) -> None:
    async with client.threads.stream(assistant_id="agent", transport=transport) as thread:
        await thread.run.start(input={})
        await thread.output.with_timeout(TIMEOUT)
        thread_id = thread.thread_id
    async with client.threads.stream(thread_id, assistant_id="agent", transport=transport) as again:
        output = await again.output.with_timeout(TIMEOUT)
    assert output["counter"] == 111


async def test_extensions_from_a_graph_transformer(client: Any, transport: str) -> None:
    thread_id = (await client.threads.create())["thread_id"]
    async with client.threads.stream(
        thread_id, assistant_id="progress", transport=transport
    ) as thread:
        reports = asyncio.create_task(_collect(thread.extensions["progress"]))
        await _opened(thread, 1)
        named = asyncio.create_task(_collect(thread.subscribe(["custom:progress"])))
        await _opened(thread, 2)
        await thread.run.start(input={})
        assert await asyncio.wait_for(reports, TIMEOUT) == [
            {"name": "progress", "payload": {"percent": 50}},
            {"name": "progress", "payload": {"percent": 100}},
        ]
        # `custom:<name>` selects that extension only (not the node's own custom events).
        assert [e["params"]["data"]["name"] for e in await asyncio.wait_for(named, TIMEOUT)] == [
            "progress",
            "progress",
        ]
