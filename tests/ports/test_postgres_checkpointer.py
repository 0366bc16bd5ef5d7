"""Tether's PostgreSQL checkpointer (de)serialises a task's writes on the event loop
instead of on a thread: it must store and read back exactly what langgraph's own saver
does, pending writes included, whichever of the two wrote them."""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver, CheckpointTuple
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from langgraph.graph import START, StateGraph
from langgraph.types import interrupt

from tether.backends import open_backend
from tether.backends.postgres.checkpointer import PostgresCheckpointer
from tether.ids import uuid7


class State(TypedDict, total=False):
    notes: Annotated[list[str], operator.add]  # a list: stored apart from the checkpoint
    answer: str


def _ask(state: State) -> State:
    return {"answer": interrupt({"question": "go on?"})}


def _graph(checkpointer: BaseCheckpointSaver[Any]) -> Any:
    # Two tasks in one step: `note` ends, `ask` interrupts; `note`'s write and the
    # interrupt stay pending on the checkpoint.
    builder = StateGraph(State)
    builder.add_node("note", lambda state: {"notes": ["noted", "twice"]})
    builder.add_node("ask", _ask)
    builder.add_edge(START, "note")
    builder.add_edge(START, "ask")
    return builder.compile(checkpointer=checkpointer)


def _config(thread_id: str) -> RunnableConfig:
    return {"configurable": {"thread_id": thread_id}}


def _shape(found: CheckpointTuple | None) -> Any:
    assert found is not None
    writes = sorted(
        # An interrupt's id comes from its task's, which differs from thread to thread.
        (channel, repr([i.value for i in value] if channel == "__interrupt__" else value))
        for _, channel, value in found.pending_writes or []
    )
    return (found.checkpoint["channel_values"], found.metadata, writes, found.parent_config)


async def test_writes_and_reads_match_langgraphs_saver(postgres_database: Any) -> None:
    backend = await open_backend(postgres_database.settings())
    try:
        ours = backend.checkpointer
        assert isinstance(ours, PostgresCheckpointer)
        stock = AsyncPostgresSaver(ours.conn)  # the same pool and tables
        by_ours, by_stock = uuid7(), uuid7()
        await _graph(ours).ainvoke({"notes": ["start"]}, _config(by_ours))
        await _graph(stock).ainvoke({"notes": ["start"]}, _config(by_stock))
        for thread_id in (by_ours, by_stock):
            read_by_ours = await ours.aget_tuple(_config(thread_id))
            read_by_stock = await stock.aget_tuple(_config(thread_id))
            assert read_by_ours == read_by_stock
            assert read_by_ours is not None
            channels = {channel for _, channel, _ in read_by_ours.pending_writes or []}
            assert {"notes", "__interrupt__"} <= channels
            history_ours = [t async for t in ours.alist(_config(thread_id))]
            history_stock = [t async for t in stock.alist(_config(thread_id))]
            assert history_ours == history_stock and len(history_ours) >= 2
        # What either wrote reads back the same (ids and the thread id aside).
        mine = _shape(await ours.aget_tuple(_config(by_ours)))
        theirs = _shape(await ours.aget_tuple(_config(by_stock)))
        assert mine[0] == theirs[0] and mine[2] == theirs[2]
        # The graph's view: the interrupted state, resumable on either.
        state = await _graph(ours).aget_state(_config(by_ours))
        assert state.next == ("ask",)
        assert [i.value for t in state.tasks for i in t.interrupts] == [{"question": "go on?"}]
        assert state.values == {"notes": ["start", "noted", "twice"]}  # with the pending write
    finally:
        await backend.close()
