"""Streaming a run: every stream mode with its official event names, subgraphs, errors, ids."""

from __future__ import annotations

import re
from typing import Any

import pytest
from langgraph_sdk.errors import UnprocessableEntityError

from .support import (
    HUMAN_HI,
    REPLY,
    Client,
    assert_detail,
    collect,
    data_of,
    event_id_key,
    names,
)

CUSTOM_EVENTS = [{"node": n, "i": i} for n in ("a", "b") for i in range(3)]


async def _stream(
    client: Client, thread_id: str | None, assistant: str = "agent", **kwargs: Any
) -> list[Any]:
    kwargs.setdefault("input", HUMAN_HI)
    return await collect(await client.runs.stream(thread_id, assistant, **kwargs))


async def test_metadata_comes_first_with_run_id_and_attempt(
    client: Client, thread: dict[str, Any]
) -> None:
    created: list[Any] = []

    parts = await _stream(client, thread["thread_id"], on_run_created=created.append)

    assert parts[0].event == "metadata"
    assert parts[0].data == {"run_id": created[0]["run_id"], "attempt": 1}
    assert names(parts).count("metadata") == 1
    run = await client.runs.get(thread["thread_id"], created[0]["run_id"])
    assert run["status"] == "success"


async def test_values_is_the_default_mode(client: Client, thread: dict[str, Any]) -> None:
    parts = await _stream(client, thread["thread_id"])

    assert names(parts) == ["metadata"] + ["values"] * 4
    values = data_of(parts, "values")
    assert [v["counter"] for v in values] == [0, 1, 11, 111]
    assert [[m["content"] for m in v["messages"]] for v in values] == [
        ["hi"],
        ["hi", "from a"],
        ["hi", "from a", "from b"],
        ["hi", "from a", "from b"],
    ]
    assert values[-1]["messages"][1]["type"] == "ai"
    assert values[-1]["messages"][1]["id"] == "msg-a"


async def test_updates_are_what_each_node_returned(client: Client, thread: dict[str, Any]) -> None:
    parts = await _stream(client, thread["thread_id"], stream_mode="updates")

    assert names(parts) == ["metadata", "updates", "updates", "updates"]
    updates = data_of(parts, "updates")
    assert [list(u) for u in updates] == [["step_a"], ["step_b"], ["step_c"]]
    assert updates[0]["step_a"]["counter"] == 1
    assert [m["id"] for m in updates[0]["step_a"]["messages"]] == ["msg-a"]
    assert updates[1]["step_b"]["counter"] == 10
    assert updates[2] == {"step_c": {"counter": 100}}


async def test_custom_events_are_the_raw_written_values(
    client: Client, thread: dict[str, Any]
) -> None:
    parts = await _stream(client, thread["thread_id"], stream_mode="custom", input={"delay": 0.01})

    assert names(parts) == ["metadata"] + ["custom"] * 6
    assert data_of(parts, "custom") == CUSTOM_EVENTS


async def test_messages_tuple_is_named_messages(client: Client, thread: dict[str, Any]) -> None:
    parts = await _stream(client, thread["thread_id"], stream_mode="messages-tuple")

    assert names(parts) == ["metadata", "messages", "messages"]
    (msg_a, meta_a), (msg_b, meta_b) = data_of(parts, "messages")
    assert (msg_a["id"], msg_a["content"], msg_a["type"]) == ("msg-a", "from a", "ai")
    assert (msg_b["id"], msg_b["content"]) == ("msg-b", "from b")
    assert meta_a["langgraph_node"] == "step_a"
    assert meta_b["langgraph_node"] == "step_b"
    assert meta_a["thread_id"] == thread["thread_id"]
    assert meta_a["graph_id"] == "agent"


async def test_messages_tuple_streams_llm_tokens(client: Client, thread: dict[str, Any]) -> None:
    parts = await _stream(client, thread["thread_id"], "chat", stream_mode="messages-tuple")

    tuples = data_of(parts, "messages")
    assert set(names(parts)) == {"metadata", "messages"}
    assert len(tuples) > 5, "tokens arrive one by one"
    assert "".join(chunk["content"] for chunk, _ in tuples) == REPLY
    assert {chunk["type"] for chunk, _ in tuples} == {"AIMessageChunk"}
    assert len({chunk["id"] for chunk, _ in tuples}) == 1
    assert {meta["langgraph_node"] for _, meta in tuples} == {"call_model"}


async def test_legacy_messages_mode_names(client: Client, thread: dict[str, Any]) -> None:
    parts = await _stream(client, thread["thread_id"], stream_mode="messages")

    assert names(parts) == [
        "metadata",
        "messages/metadata",
        "messages/complete",
        "messages/metadata",
        "messages/complete",
    ]
    meta_a = parts[1].data
    assert list(meta_a) == ["msg-a"]
    assert meta_a["msg-a"]["metadata"]["langgraph_node"] == "step_a"
    complete_a = parts[2].data
    assert [(m["id"], m["content"]) for m in complete_a] == [("msg-a", "from a")]
    assert list(parts[3].data) == ["msg-b"]


async def test_legacy_messages_mode_accumulates_llm_tokens(
    client: Client, thread: dict[str, Any]
) -> None:
    parts = await _stream(client, thread["thread_id"], "chat", stream_mode="messages")

    assert parts[1].event == "messages/metadata"
    partials = data_of(parts, "messages/partial")
    assert len(partials) > 5
    contents = [p[0]["content"] for p in partials]
    assert contents[-1] == REPLY
    assert all(REPLY.startswith(c) for c in contents)
    assert contents == sorted(contents, key=len), "each partial carries the content so far"
    assert set(names(parts)) <= {
        "metadata",
        "messages/metadata",
        "messages/partial",
        "messages/complete",
    }


async def test_tasks_mode_pairs_starts_and_results(client: Client, thread: dict[str, Any]) -> None:
    parts = await _stream(client, thread["thread_id"], stream_mode="tasks")

    tasks = data_of(parts, "tasks")
    assert names(parts) == ["metadata"] + ["tasks"] * 6
    starts, results = tasks[0::2], tasks[1::2]
    assert [t["name"] for t in starts] == ["step_a", "step_b", "step_c"]
    assert all({"id", "name", "input", "triggers"} <= t.keys() for t in starts)
    assert [t["name"] for t in results] == ["step_a", "step_b", "step_c"]
    assert all({"id", "name", "error", "result", "interrupts"} <= t.keys() for t in results)
    assert [s["id"] for s in starts] == [r["id"] for r in results]
    assert results[2]["result"] == {"counter": 100}
    assert all(r["error"] is None for r in results)


async def test_checkpoints_mode_on_a_thread(client: Client, thread: dict[str, Any]) -> None:
    parts = await _stream(client, thread["thread_id"], stream_mode="checkpoints")

    checkpoints = data_of(parts, "checkpoints")
    assert names(parts) == ["metadata"] + ["checkpoints"] * 5
    assert all(
        {"config", "metadata", "values", "next", "parent_config", "tasks"} <= c.keys()
        for c in checkpoints
    )
    assert [c["metadata"]["step"] for c in checkpoints] == [-1, 0, 1, 2, 3]
    assert [c["next"] for c in checkpoints] == [
        ["__start__"],
        ["step_a"],
        ["step_b"],
        ["step_c"],
        [],
    ]
    assert checkpoints[-1]["values"]["counter"] == 111
    assert checkpoints[0]["parent_config"] is None
    last_id = checkpoints[-1]["config"]["configurable"]["checkpoint_id"]
    state = await client.threads.get_state(thread["thread_id"])
    assert state["checkpoint"]["checkpoint_id"] == last_id


async def test_debug_mode_wraps_checkpoints_and_tasks(
    client: Client, thread: dict[str, Any]
) -> None:
    parts = await _stream(client, thread["thread_id"], stream_mode="debug")

    debug = data_of(parts, "debug")
    assert set(names(parts)) == {"metadata", "debug"}
    assert all({"step", "timestamp", "type", "payload"} <= d.keys() for d in debug)
    types = [d["type"] for d in debug]
    assert (types.count("checkpoint"), types.count("task"), types.count("task_result")) == (5, 3, 3)
    assert [d["payload"]["name"] for d in debug if d["type"] == "task"] == [
        "step_a",
        "step_b",
        "step_c",
    ]


async def test_events_mode_is_astream_events(client: Client, thread: dict[str, Any]) -> None:
    created: list[Any] = []

    parts = await _stream(
        client, thread["thread_id"], stream_mode="events", on_run_created=created.append
    )

    events = data_of(parts, "events")
    assert set(names(parts)) == {"metadata", "events"}
    assert (events[0]["event"], events[0]["name"]) == ("on_chain_start", "agent")
    assert events[0]["run_id"] == created[0]["run_id"]
    assert (events[-1]["event"], events[-1]["name"]) == ("on_chain_end", "agent")
    started = [e["name"] for e in events if e["event"] == "on_chain_start"]
    assert [n for n in started if n.startswith("step_")] == ["step_a", "step_b", "step_c"]
    assert not any(e["event"] == "on_custom_event" for e in events)


async def test_events_mode_streams_chat_model_tokens(
    client: Client, thread: dict[str, Any]
) -> None:
    parts = await _stream(client, thread["thread_id"], "chat", stream_mode="events")

    kinds = [e["event"] for e in data_of(parts, "events")]
    assert kinds.count("on_chat_model_start") == 1
    assert kinds.count("on_chat_model_end") == 1
    tokens = [
        e["data"]["chunk"]["content"]
        for e in data_of(parts, "events")
        if e["event"] == "on_chat_model_stream"
    ]
    assert "".join(tokens) == REPLY


async def test_several_modes_interleave_in_execution_order(
    client: Client, thread: dict[str, Any]
) -> None:
    parts = await _stream(
        client, thread["thread_id"], stream_mode=["values", "updates", "custom", "messages-tuple"]
    )

    assert names(parts) == [
        "metadata",
        "values",
        "custom",
        "custom",
        "custom",
        "messages",
        "updates",
        "values",
        "custom",
        "custom",
        "custom",
        "messages",
        "updates",
        "values",
        "updates",
        "values",
    ]


async def test_subgraph_events_are_named_with_their_namespace(
    client: Client, thread: dict[str, Any]
) -> None:
    parts = await _stream(
        client,
        thread["thread_id"],
        "nested",
        input={},
        stream_mode=["updates", "custom"],
        stream_subgraphs=True,
    )

    child = re.compile(r"^(updates|custom)\|child:[0-9a-f-]{36}$")
    subgraph_events = [p.event for p in parts if "|" in p.event]
    assert subgraph_events, names(parts)
    assert all(child.match(e) for e in subgraph_events), subgraph_events
    custom_from_child = [p.data for p in parts if p.event.startswith("custom|child:")]
    assert custom_from_child == [{"from": "child"}]
    child_updates = [p.data for p in parts if p.event.startswith("updates|child:")]
    assert child_updates == [{"child_step": {"counter": 5}}]
    parent_updates = data_of(parts, "updates")
    assert [list(u) for u in parent_updates] == [["outer"], ["child"]]


async def test_without_stream_subgraphs_only_parent_events(
    client: Client, thread: dict[str, Any]
) -> None:
    parts = await _stream(
        client, thread["thread_id"], "nested", input={}, stream_mode=["updates", "custom"]
    )

    assert not [p.event for p in parts if "|" in p.event]
    assert [list(u) for u in data_of(parts, "updates")] == [["outer"], ["child"]]


async def test_v2_stream_parts_split_the_namespace(client: Client, thread: dict[str, Any]) -> None:
    parts = await _stream(
        client,
        thread["thread_id"],
        "nested",
        input={},
        stream_mode="updates",
        stream_subgraphs=True,
        version="v2",
    )

    assert parts[0]["type"] == "metadata"
    updates = [(p["ns"], p["data"]) for p in parts if p["type"] == "updates"]
    assert [list(data) for ns, data in updates if not ns] == [["outer"], ["child"]]
    ((child_ns, child_data),) = [(ns, data) for ns, data in updates if ns]
    assert re.fullmatch(r"child:[0-9a-f-]{36}", child_ns[0])
    assert child_data == {"child_step": {"counter": 5}}


async def test_graph_error_is_an_error_event_last(client: Client, thread: dict[str, Any]) -> None:
    created: list[Any] = []

    parts = await _stream(
        client,
        thread["thread_id"],
        stream_mode="updates",
        input={"fail": True},
        on_run_created=created.append,
    )

    assert names(parts) == ["metadata", "updates", "error"]
    assert parts[-1].data == {"error": "ValueError", "message": "boom from b"}
    assert (await client.runs.get(thread["thread_id"], created[0]["run_id"]))["status"] == "error"
    assert (await client.threads.get(thread["thread_id"]))["status"] == "error"


async def test_resumable_stream_ids_strictly_increase(
    client: Client, thread: dict[str, Any]
) -> None:
    parts = await _stream(
        client, thread["thread_id"], stream_mode=["values", "custom"], stream_resumable=True
    )

    ids = [p.id for p in parts]
    assert all(i is not None and re.fullmatch(r"\d+-\d+", i) for i in ids), ids
    keys = [event_id_key(i) for i in ids]
    assert keys == sorted(set(keys))


async def test_stateless_stream_modes(client: Client) -> None:
    parts = await _stream(client, None, stream_mode=["updates", "custom", "messages-tuple"])

    assert names(parts) == [
        "metadata",
        "custom",
        "custom",
        "custom",
        "messages",
        "updates",
        "custom",
        "custom",
        "custom",
        "messages",
        "updates",
        "updates",
    ]


async def test_stateless_debug_has_the_tasks(client: Client) -> None:
    parts = await _stream(client, None, stream_mode="debug")

    types = [d["type"] for d in data_of(parts, "debug")]
    # The official server sends no checkpoint entries for a stateless run; either is fine here.
    assert (types.count("task"), types.count("task_result")) == (3, 3)


async def test_unknown_stream_mode_is_422(client: Client, thread: dict[str, Any]) -> None:
    with pytest.raises(UnprocessableEntityError) as exc:
        await _stream(client, thread["thread_id"], stream_mode="shouting")
    assert_detail(exc)
    with pytest.raises(UnprocessableEntityError):
        await _stream(client, None, stream_mode=["values", "shouting"])
    assert await client.runs.list(thread["thread_id"]) == []
