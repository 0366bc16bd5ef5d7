"""Tether's PostgreSQL checkpointer (de)serialises checkpoints and a task's writes on the
event loop instead of on a thread: it must store and read back exactly what langgraph's own saver
does, pending writes included, whichever of the two wrote them."""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Annotated, Any, TypedDict

import psycopg
from langchain_core.runnables import RunnableConfig
from langgraph.channels.delta import DeltaChannel
from langgraph.checkpoint.base import BaseCheckpointSaver, CheckpointTuple
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from langgraph.graph import START, StateGraph
from langgraph.types import interrupt
from psycopg.rows import dict_row

from tether.backends import open_backend
from tether.backends.postgres.checkpointer import PostgresCheckpointer
from tether.ids import uuid7


def _extend(state: list[str] | None, writes: Sequence[list[str]]) -> list[str]:
    return [*(state or []), *(item for write in writes for item in write)]


class State(TypedDict, total=False):
    notes: Annotated[list[str], operator.add]  # a list: stored apart from the checkpoint
    # A delta channel that snapshots at every update: its snapshot is a blob of its own kind.
    log: Annotated[list[str], DeltaChannel(_extend, snapshot_frequency=1)]
    answer: str


def _ask(state: State) -> State:
    return {"answer": interrupt({"question": "go on?"})}


def _graph(checkpointer: BaseCheckpointSaver[Any]) -> Any:
    # Two tasks in one step: `note` ends, `ask` interrupts; `note`'s write and the
    # interrupt stay pending on the checkpoint.
    builder = StateGraph(State)
    builder.add_node("note", lambda state: {"notes": ["noted", "twice"], "log": ["note ran"]})
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


async def _stored(url: str, thread_id: str) -> Any:
    """A thread's checkpoints as stored: inline values and metadata, and which blobs."""
    async with await psycopg.AsyncConnection.connect(url, row_factory=dict_row) as conn:
        cur = await conn.execute(
            "SELECT checkpoint -> 'channel_values' AS inline, metadata - 'thread_id' AS meta"
            " FROM checkpoints WHERE thread_id = %s ORDER BY checkpoint_id",
            (thread_id,),
        )
        checkpoints = [(row["inline"], row["meta"]) for row in await cur.fetchall()]
        cur = await conn.execute(
            "SELECT channel, type FROM checkpoint_blobs WHERE thread_id = %s ORDER BY 1, 2",
            (thread_id,),
        )
        blobs = [(row["channel"], row["type"]) for row in await cur.fetchall()]
    assert len(checkpoints) >= 2 and ("log", "msgpack") in blobs
    return checkpoints, blobs


async def test_writes_and_reads_match_langgraphs_saver(postgres_database: Any) -> None:
    backend = await open_backend(postgres_database.settings())
    try:
        ours = backend.checkpointer
        assert isinstance(ours, PostgresCheckpointer)
        stock = AsyncPostgresSaver(ours.conn)  # the same pool and tables
        by_ours, by_stock = uuid7(), uuid7()
        await _graph(ours).ainvoke({"notes": ["start"], "log": ["began"]}, _config(by_ours))
        await _graph(stock).ainvoke({"notes": ["start"], "log": ["began"]}, _config(by_stock))
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
        # Each stored the same rows (ids, versions and the thread id aside) ...
        url = postgres_database.url
        assert await _stored(url, by_ours) == await _stored(url, by_stock)
        # ... and what either wrote reads back the same.
        mine = _shape(await ours.aget_tuple(_config(by_ours)))
        theirs = _shape(await ours.aget_tuple(_config(by_stock)))
        assert mine[0] == theirs[0] and mine[2] == theirs[2]
        # The graph's view: the interrupted state, resumable on either.
        state = await _graph(ours).aget_state(_config(by_ours))
        assert state.next == ("ask",)
        assert [i.value for t in state.tasks for i in t.interrupts] == [{"question": "go on?"}]
        # With the pending writes; the delta channel read back from its snapshot.
        assert state.values == {"notes": ["start", "noted", "twice"], "log": ["began", "note ran"]}
        assert state.values == (await _graph(stock).aget_state(_config(by_stock))).values
    finally:
        await backend.close()


async def test_writes_with_one_index_twice_keep_what_langgraphs_saver_keeps(
    postgres_database: Any,
) -> None:
    backend = await open_backend(postgres_database.settings())
    try:
        ours = backend.checkpointer
        assert isinstance(ours, PostgresCheckpointer)
        stock = AsyncPostgresSaver(ours.conn)
        kept = []
        for saver in (ours, stock):
            thread_id = uuid7()
            await _graph(saver).ainvoke({"notes": ["start"]}, _config(thread_id))
            config = (await saver.aget_tuple(_config(thread_id))).config  # type: ignore[union-attr]
            # Special channels share an index (the last write stays); others keep the first.
            await saver.aput_writes(config, [("__error__", "first"), ("__error__", "last")], "t1")
            await saver.aput_writes(config, [("notes", ["a"]), ("notes", ["b"])], "t2")
            await saver.aput_writes(config, [("notes", ["again"])], "t2")
            found = await saver.aget_tuple(config)
            assert found is not None
            kept.append(
                sorted(
                    (t, c, repr(v)) for t, c, v in found.pending_writes or [] if t in ("t1", "t2")
                )
            )
        assert kept[0] == kept[1]
        assert ("t1", "__error__", "'last'") in kept[0] and ("t2", "notes", "['a']") in kept[0]
    finally:
        await backend.close()
