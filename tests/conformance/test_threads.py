"""Threads: CRUD, search, copy, prune, state, history and the thread-wide stream."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from langgraph_sdk.errors import (
    BadRequestError,
    ConflictError,
    NotFoundError,
    UnprocessableEntityError,
)
from langgraph_sdk.schema import StreamPart

from .support import (
    AGENT_ASSISTANT_ID,
    HUMAN_HI,
    Client,
    assert_detail,
    event_id_key,
    names,
    unknown_id,
)

#: Every thread has these; `interrupts` and `error` appear once a run has written its state
#: (as on the official server).
THREAD_KEYS = {
    "thread_id",
    "created_at",
    "updated_at",
    "metadata",
    "status",
    "values",
}
STATE_KEYS = {
    "values",
    "next",
    "tasks",
    "metadata",
    "created_at",
    "checkpoint",
    "parent_checkpoint",
    "interrupts",
}


async def _ran(client: Client, **metadata: Any) -> dict[str, Any]:
    """A thread on which the agent graph ran once to the end (5 checkpoints, counter 111)."""
    thread = await client.threads.create(metadata=metadata or None)
    await client.runs.wait(thread["thread_id"], "agent", input=HUMAN_HI)
    return thread  # type: ignore[no-any-return]


# -- CRUD ----------------------------------------------------------------------------------


async def test_create_returns_an_idle_thread(client: Client) -> None:
    created = await client.threads.create(metadata={"owner": "me"})

    assert created.keys() >= THREAD_KEYS
    uuid.UUID(created["thread_id"])
    assert created["status"] == "idle"
    assert created["metadata"] == {"owner": "me"}
    assert created["values"] is None
    assert "interrupts" not in created
    assert await client.threads.get(created["thread_id"]) == created


async def test_create_with_given_id_and_if_exists(client: Client) -> None:
    thread_id = str(uuid.uuid4())
    created = await client.threads.create(thread_id=thread_id, metadata={"v": 1})
    assert created["thread_id"] == thread_id

    with pytest.raises(ConflictError) as exc:
        await client.threads.create(thread_id=thread_id, metadata={"v": 2})
    assert_detail(exc)
    with pytest.raises(ConflictError):
        await client.threads.create(thread_id=thread_id, if_exists="raise")

    same = await client.threads.create(
        thread_id=thread_id, metadata={"v": 3}, if_exists="do_nothing"
    )
    assert same["thread_id"] == thread_id
    assert same["metadata"] == {"v": 1}


async def test_create_with_graph_id_records_it_in_metadata(client: Client) -> None:
    created = await client.threads.create(graph_id="agent")

    assert created["metadata"]["graph_id"] == "agent"


async def test_create_with_supersteps_applies_them(client: Client) -> None:
    created = await client.threads.create(
        graph_id="agent",
        supersteps=[
            {"updates": [{"values": {"counter": 5}, "as_node": "step_a"}]},
            {"updates": [{"values": {"counter": 10}, "as_node": "step_b"}]},
        ],
    )

    state = await client.threads.get_state(created["thread_id"])
    assert state["values"]["counter"] == 15
    assert state["next"] == ["step_c"]


async def test_get_unknown_thread_is_not_found(client: Client) -> None:
    with pytest.raises(NotFoundError) as exc:
        await client.threads.get(unknown_id())
    assert_detail(exc)


async def test_non_uuid_thread_id_is_422(client: Client) -> None:
    with pytest.raises(UnprocessableEntityError) as exc:
        await client.threads.get("not-a-uuid")
    assert_detail(exc)
    with pytest.raises(UnprocessableEntityError):
        await client.threads.get_state("not-a-uuid")
    with pytest.raises(UnprocessableEntityError):
        await client.threads.delete("not-a-uuid")


async def test_update_merges_metadata(client: Client, thread: dict[str, Any]) -> None:
    updated = await client.threads.update(thread["thread_id"], metadata={"extra": 1})

    assert updated["thread_id"] == thread["thread_id"]
    assert updated["metadata"] == {**thread["metadata"], "extra": 1}
    assert (await client.threads.get(thread["thread_id"]))["metadata"] == updated["metadata"]


async def test_update_unknown_thread_is_not_found(client: Client) -> None:
    with pytest.raises(NotFoundError):
        await client.threads.update(unknown_id(), metadata={"x": 1})


async def test_delete_removes_the_thread(client: Client, thread: dict[str, Any]) -> None:
    assert await client.threads.delete(thread["thread_id"]) is None

    with pytest.raises(NotFoundError):
        await client.threads.get(thread["thread_id"])
    with pytest.raises(NotFoundError):
        await client.threads.delete(thread["thread_id"])


async def test_get_after_a_run_has_values_and_graph_metadata(client: Client) -> None:
    thread = await _ran(client)

    found = await client.threads.get(thread["thread_id"])

    assert found["status"] == "idle"
    assert found["values"]["counter"] == 111
    assert [m["content"] for m in found["values"]["messages"]] == ["hi", "from a", "from b"]
    assert found["metadata"]["graph_id"] == "agent"
    assert found["metadata"]["assistant_id"] == AGENT_ASSISTANT_ID


# -- search and count ----------------------------------------------------------------------


async def test_search_by_metadata_ids_and_status(client: Client) -> None:
    tag = uuid.uuid4().hex
    idle = await client.threads.create(metadata={"tag": tag, "kind": "idle"})
    errored = await client.threads.create(metadata={"tag": tag, "kind": "error"})
    await client.runs.wait(errored["thread_id"], "agent", input={"fail": True}, raise_error=False)

    found = await client.threads.search(metadata={"tag": tag})
    assert {t["thread_id"] for t in found} == {idle["thread_id"], errored["thread_id"]}
    assert all(t.keys() >= THREAD_KEYS for t in found)

    by_status = await client.threads.search(metadata={"tag": tag}, status="error")
    assert [t["thread_id"] for t in by_status] == [errored["thread_id"]]

    by_ids = await client.threads.search(ids=[idle["thread_id"]])
    assert [t["thread_id"] for t in by_ids] == [idle["thread_id"]]

    by_values = await client.threads.search(metadata={"tag": tag}, values={"fail": True})
    assert [t["thread_id"] for t in by_values] == [errored["thread_id"]]


async def test_search_pages_sorts_and_selects(client: Client) -> None:
    tag = uuid.uuid4().hex
    ids = [(await client.threads.create(metadata={"tag": tag}))["thread_id"] for _ in range(3)]

    ascending = await client.threads.search(
        metadata={"tag": tag}, sort_by="created_at", sort_order="asc"
    )
    assert [t["thread_id"] for t in ascending] == ids
    descending = await client.threads.search(
        metadata={"tag": tag}, sort_by="created_at", sort_order="desc"
    )
    assert [t["thread_id"] for t in descending] == ids[::-1]
    page = await client.threads.search(
        metadata={"tag": tag}, sort_by="created_at", sort_order="asc", limit=1, offset=2
    )
    assert [t["thread_id"] for t in page] == ids[2:]

    selected = await client.threads.search(metadata={"tag": tag}, select=["thread_id", "status"])
    assert len(selected) == 3
    assert all(set(t) == {"thread_id", "status"} for t in selected)


async def test_count_matches_the_search(client: Client) -> None:
    tag = uuid.uuid4().hex
    for _ in range(3):
        await client.threads.create(metadata={"tag": tag})

    assert await client.threads.count(metadata={"tag": tag}) == 3
    assert await client.threads.count(metadata={"tag": tag}, status="busy") == 0
    assert await client.threads.count(metadata={"tag": uuid.uuid4().hex}) == 0


# -- copy and prune ------------------------------------------------------------------------


async def test_copy_duplicates_metadata_state_and_history(client: Client) -> None:
    original = await _ran(client, origin="copy-test")

    copy = await client.threads.copy(original["thread_id"])

    assert copy["thread_id"] != original["thread_id"]
    assert copy["status"] == "idle"
    assert copy["metadata"]["origin"] == "copy-test"
    copied_state = await client.threads.get_state(copy["thread_id"])
    assert (
        copied_state["values"] == (await client.threads.get_state(original["thread_id"]))["values"]
    )
    original_history = await client.threads.get_history(original["thread_id"], limit=100)
    copied_history = await client.threads.get_history(copy["thread_id"], limit=100)
    assert len(copied_history) == len(original_history) == 5
    # The copy is independent: a run on it leaves the original alone.
    await client.runs.wait(copy["thread_id"], "agent", input={})
    assert (await client.threads.get_state(original["thread_id"]))["values"]["counter"] == 111


async def test_copy_unknown_thread_is_not_found(client: Client) -> None:
    with pytest.raises(NotFoundError):
        await client.threads.copy(unknown_id())


async def test_prune_delete_removes_threads(client: Client) -> None:
    first = await _ran(client)
    second = await client.threads.create()

    result = await client.threads.prune([first["thread_id"], second["thread_id"]])

    assert result == {"pruned_count": 2}
    for thread_id in (first["thread_id"], second["thread_id"]):
        with pytest.raises(NotFoundError):
            await client.threads.get(thread_id)


async def test_prune_keep_latest_keeps_only_the_latest_checkpoint(client: Client) -> None:
    thread = await _ran(client)
    before = await client.threads.get_state(thread["thread_id"])

    result = await client.threads.prune([thread["thread_id"]], strategy="keep_latest")

    assert result == {"pruned_count": 1}
    after = await client.threads.get_state(thread["thread_id"])
    assert after["values"] == before["values"]
    assert len(await client.threads.get_history(thread["thread_id"], limit=100)) == 1


# -- state ---------------------------------------------------------------------------------


async def test_state_of_a_new_thread_is_empty(client: Client, thread: dict[str, Any]) -> None:
    state = await client.threads.get_state(thread["thread_id"])

    assert state.keys() >= STATE_KEYS
    assert state["values"] == {}
    assert state["next"] == []
    assert state["tasks"] == []
    assert state["interrupts"] == []


async def test_state_after_a_run(client: Client) -> None:
    thread = await _ran(client)

    state = await client.threads.get_state(thread["thread_id"])

    assert state.keys() >= STATE_KEYS
    assert state["values"]["counter"] == 111
    assert state["next"] == []
    assert state["checkpoint"]["thread_id"] == thread["thread_id"]
    assert state["checkpoint"]["checkpoint_ns"] == ""
    assert state["checkpoint"]["checkpoint_id"]
    assert state["parent_checkpoint"]["checkpoint_id"]
    assert state["metadata"]["source"] == "loop"
    assert state["metadata"]["step"] == 3
    assert state["metadata"]["graph_id"] == "agent"


async def test_state_of_unknown_thread_is_not_found(client: Client) -> None:
    with pytest.raises(NotFoundError):
        await client.threads.get_state(unknown_id())


async def test_state_at_a_checkpoint_by_id_and_by_checkpoint(client: Client) -> None:
    thread = await _ran(client)
    history = await client.threads.get_history(thread["thread_id"], limit=100)
    after_a = next(s for s in history if s["metadata"]["step"] == 1)
    checkpoint_id = after_a["checkpoint"]["checkpoint_id"]

    by_id = await client.threads.get_state(thread["thread_id"], checkpoint_id=checkpoint_id)
    by_checkpoint = await client.threads.get_state(
        thread["thread_id"], checkpoint={"checkpoint_id": checkpoint_id, "checkpoint_ns": ""}
    )

    for state in (by_id, by_checkpoint):
        assert state["checkpoint"]["checkpoint_id"] == checkpoint_id
        assert state["values"]["counter"] == 1
        assert state["next"] == ["step_b"]


async def test_update_state_applies_reducers(client: Client) -> None:
    thread = await _ran(client)

    response = await client.threads.update_state(
        thread["thread_id"],
        {"counter": 5, "messages": [{"role": "user", "content": "more", "id": "m-more"}]},
    )

    assert response["checkpoint"]["thread_id"] == thread["thread_id"]
    assert response["checkpoint"]["checkpoint_ns"] == ""
    state = await client.threads.get_state(thread["thread_id"])
    assert state["checkpoint"]["checkpoint_id"] == response["checkpoint"]["checkpoint_id"]
    assert state["values"]["counter"] == 116  # operator.add
    assert [m["content"] for m in state["values"]["messages"]] == ["hi", "from a", "from b", "more"]
    assert state["metadata"]["source"] == "update"


async def test_update_state_as_node_sets_next(client: Client) -> None:
    thread = await client.threads.create(graph_id="agent")

    await client.threads.update_state(thread["thread_id"], {"counter": 1}, as_node="step_a")

    state = await client.threads.get_state(thread["thread_id"])
    assert state["next"] == ["step_b"]
    assert state["values"]["counter"] == 1
    # The graph continues from there.
    result = await client.runs.wait(thread["thread_id"], "agent", input=None)
    assert result["counter"] == 111


async def test_update_state_as_unknown_node_is_400(client: Client) -> None:
    thread = await _ran(client)

    with pytest.raises(BadRequestError) as exc:
        await client.threads.update_state(thread["thread_id"], {"counter": 1}, as_node="nope")
    assert_detail(exc)


async def test_update_state_at_an_old_checkpoint_forks(client: Client) -> None:
    thread = await _ran(client)
    history = await client.threads.get_history(thread["thread_id"], limit=100)
    after_a = next(s for s in history if s["metadata"]["step"] == 1)

    response = await client.threads.update_state(
        thread["thread_id"], {"counter": 1000}, checkpoint_id=after_a["checkpoint"]["checkpoint_id"]
    )

    state = await client.threads.get_state(thread["thread_id"])
    assert state["checkpoint"]["checkpoint_id"] == response["checkpoint"]["checkpoint_id"]
    assert state["values"]["counter"] == 1001
    assert state["parent_checkpoint"]["checkpoint_id"] == after_a["checkpoint"]["checkpoint_id"]


async def test_update_state_of_unknown_thread_is_not_found(client: Client) -> None:
    with pytest.raises(NotFoundError):
        await client.threads.update_state(unknown_id(), {"counter": 1})


# -- history -------------------------------------------------------------------------------


async def test_history_is_newest_first_with_every_checkpoint(client: Client) -> None:
    thread = await _ran(client)

    history = await client.threads.get_history(thread["thread_id"], limit=100)

    assert all(s.keys() >= STATE_KEYS for s in history)
    assert [s["metadata"]["step"] for s in history] == [3, 2, 1, 0, -1]
    assert [s["metadata"]["source"] for s in history] == ["loop", "loop", "loop", "loop", "input"]
    assert [s["next"] for s in history] == [[], ["step_c"], ["step_b"], ["step_a"], ["__start__"]]
    assert [s["values"]["counter"] for s in history] == [111, 11, 1, 0, 0]
    for newer, older in zip(history, history[1:], strict=False):
        assert newer["parent_checkpoint"]["checkpoint_id"] == older["checkpoint"]["checkpoint_id"]


async def test_history_limit_before_and_metadata_filter(client: Client) -> None:
    thread = await _ran(client)
    history = await client.threads.get_history(thread["thread_id"], limit=100)

    assert len(await client.threads.get_history(thread["thread_id"], limit=2)) == 2

    before = await client.threads.get_history(
        thread["thread_id"], before=history[1]["checkpoint"]["checkpoint_id"], limit=100
    )
    assert [s["metadata"]["step"] for s in before] == [1, 0, -1]
    before_checkpoint = await client.threads.get_history(
        thread["thread_id"],
        before={"checkpoint_id": history[1]["checkpoint"]["checkpoint_id"]},
        limit=100,
    )
    assert [s["metadata"]["step"] for s in before_checkpoint] == [1, 0, -1]

    inputs = await client.threads.get_history(
        thread["thread_id"], metadata={"source": "input"}, limit=100
    )
    assert [s["metadata"]["step"] for s in inputs] == [-1]


async def test_history_of_a_new_thread_is_empty(client: Client, thread: dict[str, Any]) -> None:
    assert await client.threads.get_history(thread["thread_id"]) == []


async def test_history_of_unknown_thread_is_not_found(client: Client) -> None:
    with pytest.raises(NotFoundError):
        await client.threads.get_history(unknown_id())


# -- invalid bodies ------------------------------------------------------------------------


async def test_invalid_bodies_are_422_with_a_string_detail(
    client: Client, thread: dict[str, Any]
) -> None:
    requests: list[tuple[str, str, Any]] = [
        ("post", "/threads", {"metadata": "not an object"}),
        ("post", "/threads", {"thread_id": "not-a-uuid"}),
        ("post", "/threads", {"if_exists": "explode"}),
        ("post", "/threads/search", {"limit": "many"}),
        ("post", "/threads/search", {"status": "sleeping"}),
        ("post", "/threads/count", {"metadata": 3}),
        ("post", "/threads/prune", {"thread_ids": ["not-a-uuid"]}),
        ("post", "/threads/prune", {"thread_ids": [thread["thread_id"]], "strategy": "shred"}),
        ("patch", f"/threads/{thread['thread_id']}", {"metadata": []}),
        ("post", f"/threads/{thread['thread_id']}/history", {"limit": "ten"}),
    ]
    for method, path, body in requests:
        with pytest.raises(UnprocessableEntityError) as exc:
            await getattr(client.http, method)(path, json=body)
        assert_detail(exc)
    # Nothing rejected was half-done.
    assert (await client.threads.get(thread["thread_id"]))["metadata"] == thread["metadata"]


# -- thread-wide stream --------------------------------------------------------------------


async def _read_feed(stream: Any, runs_done: int) -> list[StreamPart]:
    """Read the thread stream until `runs_done` runs have ended on it, then close it."""
    parts: list[StreamPart] = []
    seen = 0
    async for part in stream:
        parts.append(part)
        if (
            part.event == "metadata"
            and isinstance(part.data, dict)
            and part.data.get("status") == "run_done"
        ):
            seen += 1
            if seen == runs_done:
                break
    await stream.aclose()
    return parts


def _run_done(parts: list[StreamPart]) -> list[str]:
    return [
        p.data["run_id"]
        for p in parts
        if p.event == "metadata" and isinstance(p.data, dict) and p.data.get("status") == "run_done"
    ]


async def test_thread_stream_carries_live_runs_and_run_done(
    client: Client, thread: dict[str, Any]
) -> None:
    stream = await client.threads.join_stream(thread["thread_id"])
    reader = asyncio.create_task(_read_feed(stream, 1))
    await asyncio.sleep(0.3)  # let the feed subscribe before the run starts

    run = await client.runs.create(
        thread["thread_id"], "agent", input=HUMAN_HI, stream_mode=["values", "custom"]
    )
    parts = await asyncio.wait_for(reader, 15)

    events = [p.event for p in parts]
    assert set(events) <= {"metadata", "values", "custom"}
    assert events.count("values") == 4
    assert [p.data for p in parts if p.event == "custom"] == [
        {"node": n, "i": i} for n in ("a", "b") for i in range(3)
    ]
    assert parts[-1].data == {"status": "run_done", "run_id": run["run_id"]}
    ids = [p.id for p in parts]
    assert all(ids), f"every thread-stream event carries an id: {ids}"
    keys = [event_id_key(i) for i in ids]
    assert keys == sorted(set(keys)), "thread-stream ids strictly increase"


async def test_thread_stream_replays_from_the_beginning(
    client: Client, thread: dict[str, Any]
) -> None:
    first = await client.runs.create(thread["thread_id"], "trivial", input={})
    second = await client.runs.create(thread["thread_id"], "trivial", input={})
    await client.runs.join(thread["thread_id"], second["run_id"])

    stream = await client.threads.join_stream(thread["thread_id"], last_event_id="-")
    parts = await asyncio.wait_for(_read_feed(stream, 2), 15)

    assert _run_done(parts) == [first["run_id"], second["run_id"]]
    final_values: list[Any] = []
    for previous, part in zip(parts, parts[1:], strict=False):
        if part.event == "metadata" and part.data.get("status") == "run_done":
            assert previous.event == "values"
            final_values.append(previous.data["counter"])
    assert final_values == [1, 2]
    assert parts[0].event == "metadata" and parts[0].data["run_id"] == first["run_id"]


async def test_thread_stream_lifecycle_has_only_run_starts_and_ends(
    client: Client, thread: dict[str, Any]
) -> None:
    run = await client.runs.create(
        thread["thread_id"], "agent", input=HUMAN_HI, stream_mode=["values", "custom"]
    )
    await client.runs.join(thread["thread_id"], run["run_id"])

    stream = await client.threads.join_stream(
        thread["thread_id"], last_event_id="-", stream_mode="lifecycle"
    )
    parts = await asyncio.wait_for(_read_feed(stream, 1), 15)

    assert names(parts) == ["metadata", "metadata"]
    assert parts[0].data["run_id"] == run["run_id"]
    assert parts[1].data == {"status": "run_done", "run_id": run["run_id"]}
