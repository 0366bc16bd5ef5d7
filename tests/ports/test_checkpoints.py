"""CheckpointAdmin on what a real langgraph graph writes with the backend's checkpointer:
rollback of one run, copies, pruning, deletion, storage."""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from tether.ids import uuid7
from tether.ports import Backend


class State(TypedDict):
    steps: Annotated[list[str], operator.add]  # a list: stored apart from the checkpoint
    last: str  # a string: stored inside it


def _graph(checkpointer: BaseCheckpointSaver[Any]) -> CompiledStateGraph[Any, Any, Any, Any]:
    builder = StateGraph(State)
    builder.add_node("first", lambda state: {"steps": ["first"], "last": "first"})
    builder.add_node("second", lambda state: {"steps": ["second"], "last": "second"})
    builder.add_edge(START, "first")
    builder.add_edge("first", "second")
    builder.add_edge("second", END)
    return builder.compile(checkpointer=checkpointer)


def _config(thread_id: str) -> RunnableConfig:
    return {"configurable": {"thread_id": thread_id}}


async def _run(graph: CompiledStateGraph[Any, Any, Any, Any], thread_id: str, run_id: str) -> None:
    config: RunnableConfig = {**_config(thread_id), "metadata": {"run_id": run_id}}
    await graph.ainvoke({"steps": [f"input of {run_id}"]}, config, durability="sync")


async def _history(backend: Backend, thread_id: str) -> list[tuple[str, Any]]:
    """(checkpoint id, run id) of every checkpoint of the thread, newest first."""
    return [
        (c.checkpoint["id"], c.metadata.get("run_id"))
        async for c in backend.checkpointer.alist(_config(thread_id))
    ]


async def _values(graph: CompiledStateGraph[Any, Any, Any, Any], thread_id: str) -> Any:
    return (await graph.aget_state(_config(thread_id))).values


def _empty_storage(thread_id: str) -> dict[str, Any]:
    return {
        "thread_id": thread_id,
        "total_bytes": 0,
        "checkpoints": {"count": 0, "bytes": 0},
        "channel_values": {"count": 0, "bytes": 0, "by_channel": {}},
        "pending_writes": {"count": 0, "bytes": 0},
    }


async def test_langgraph_records_the_run_id_in_checkpoint_metadata(backend: Backend) -> None:
    graph, thread_id, run_id = _graph(backend.checkpointer), uuid7(), uuid7()
    await _run(graph, thread_id, run_id)
    history = await _history(backend, thread_id)
    assert len(history) == 4  # input, start, first, second
    assert {run for _, run in history} == {run_id}


async def test_rollback_drops_exactly_the_runs_checkpoints_and_their_writes(
    backend: Backend,
) -> None:
    graph, thread_id, other = _graph(backend.checkpointer), uuid7(), uuid7()
    kept, dropped = uuid7(), uuid7()
    await _run(graph, thread_id, kept)
    history, values = await _history(backend, thread_id), await _values(graph, thread_id)
    storage = await backend.checkpoints.storage(thread_id)
    await _run(graph, thread_id, dropped)
    await _run(graph, other, dropped)  # the same run id on another thread stays
    assert len(await _history(backend, thread_id)) == 8

    await backend.checkpoints.rollback(thread_id, dropped)
    assert await _history(backend, thread_id) == history
    assert await _values(graph, thread_id) == values
    # Nothing of the run is left behind: its writes (and stored values) went too.
    assert await backend.checkpoints.storage(thread_id) == storage
    assert {run for _, run in await _history(backend, other)} == {dropped}

    await backend.checkpoints.rollback(thread_id, uuid7())  # a run with no checkpoint
    assert await _history(backend, thread_id) == history


async def test_rollback_of_an_earlier_run_keeps_what_later_checkpoints_read(
    backend: Backend,
) -> None:
    graph, thread_id = _graph(backend.checkpointer), uuid7()
    earlier, later = uuid7(), uuid7()
    await _run(graph, thread_id, earlier)
    await _run(graph, thread_id, later)

    async def later_checkpoints() -> list[tuple[str, Any]]:
        return [
            (c.checkpoint["id"], c.checkpoint["channel_values"])
            async for c in backend.checkpointer.alist(_config(thread_id))
            if c.metadata.get("run_id") == later
        ]

    kept = await later_checkpoints()
    await backend.checkpoints.rollback(thread_id, earlier)
    assert {run for _, run in await _history(backend, thread_id)} == {later}
    # The later run's first checkpoint reads values the earlier run stored.
    assert await later_checkpoints() == kept


async def test_copy_thread_gives_the_copy_the_same_state_and_history(backend: Backend) -> None:
    graph, source, target = _graph(backend.checkpointer), uuid7(), uuid7()
    await _run(graph, source, uuid7())
    await _run(graph, source, uuid7())
    values = await _values(graph, source)

    await backend.checkpoints.copy_thread(source, target)
    assert await _values(graph, target) == values
    assert await _history(backend, target) == await _history(backend, source)
    copied = await backend.checkpoints.storage(target)
    original = await backend.checkpoints.storage(source)
    assert {**copied, "thread_id": source} == original

    # The copy goes on by itself; the source does not change.
    await _run(graph, target, uuid7())
    after = await _values(graph, target)
    assert after["steps"][: len(values["steps"])] == values["steps"]
    assert len(after["steps"]) == len(values["steps"]) + 3
    assert await _values(graph, source) == values


async def test_prune_to_latest_keeps_only_the_newest_checkpoint(backend: Backend) -> None:
    graph, thread_id, other = _graph(backend.checkpointer), uuid7(), uuid7()
    await _run(graph, thread_id, uuid7())
    await _run(graph, thread_id, uuid7())
    await _run(graph, other, uuid7())
    newest = (await _history(backend, thread_id))[0]
    values = await _values(graph, thread_id)

    await backend.checkpoints.prune_to_latest(thread_id)
    assert await _history(backend, thread_id) == [newest]
    assert await _values(graph, thread_id) == values
    assert (await backend.checkpoints.storage(thread_id))["checkpoints"]["count"] == 1
    assert len(await _history(backend, other)) == 4
    # What the newest checkpoint needs stayed: the thread goes on from it.
    await _run(graph, thread_id, uuid7())
    assert (await _values(graph, thread_id))["steps"][: len(values["steps"])] == values["steps"]


async def test_delete_thread_leaves_no_checkpoint(backend: Backend) -> None:
    graph, thread_id, other = _graph(backend.checkpointer), uuid7(), uuid7()
    await _run(graph, thread_id, uuid7())
    await _run(graph, other, uuid7())

    await backend.checkpoints.delete_thread(thread_id)
    assert await _history(backend, thread_id) == []
    assert await backend.checkpoints.storage(thread_id) == _empty_storage(thread_id)
    assert len(await _history(backend, other)) == 4


async def test_storage_counts_the_bytes_of_checkpoints_values_and_writes(
    backend: Backend,
) -> None:
    graph, thread_id = _graph(backend.checkpointer), uuid7()
    await _run(graph, thread_id, uuid7())

    storage = await backend.checkpoints.storage(thread_id)
    assert storage["thread_id"] == thread_id
    assert storage["checkpoints"]["count"] == len(await _history(backend, thread_id))
    assert storage["checkpoints"]["bytes"] > 0
    assert storage["pending_writes"]["count"] > 0 and storage["pending_writes"]["bytes"] > 0
    values = storage["channel_values"]
    assert values["count"] == sum(c["versions"] for c in values["by_channel"].values())
    assert values["bytes"] == sum(c["bytes"] for c in values["by_channel"].values())
    assert storage["total_bytes"] == (
        storage["checkpoints"]["bytes"] + values["bytes"] + storage["pending_writes"]["bytes"]
    )
    unknown = uuid7()
    assert await backend.checkpoints.storage(unknown) == _empty_storage(unknown)
