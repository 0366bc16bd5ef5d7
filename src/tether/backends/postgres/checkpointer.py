"""langgraph's Postgres checkpointer on Tether's pool: it records the thread id in
checkpoint metadata as the official server's history shows it (and as the SQLite
backend's checkpointer does), and lets concurrent runs of one process write at once.

langgraph's saver serialises every operation of a process behind one lock (needed when
it shares a single connection); on a pool each operation has a connection of its own,
so the lock only queued the runs of a worker behind each other's round trips.

It also (de)serialises a task's writes on a thread of its own, each time; the hop costs
about 0.1 ms of CPU and as much latency, more than the work for all but huge writes, and
a trivial run makes four. Here writes are (de)serialised on the event loop, as the
checkpoint's channel values already are when it is read (and as the SQLite backend's
checkpointer does with everything)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any, cast

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import (
    WRITES_IDX_MAP,
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
)
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from psycopg import AsyncCursor
from psycopg.rows import DictRow, dict_row

from tether.backends.postgres.database import Pool
from tether.backends.rows import with_thread_id


class PostgresCheckpointer(AsyncPostgresSaver):
    def __init__(self, pool: Pool, **kwargs: Any) -> None:
        super().__init__(pool, **kwargs)
        self._pool = pool

    @asynccontextmanager
    async def _cursor(self, *, pipeline: bool = False) -> AsyncIterator[AsyncCursor[DictRow]]:
        async with self._pool.connection() as conn:
            if pipeline:  # the statements of one write go out together
                async with (
                    conn.pipeline(),
                    conn.cursor(binary=True, row_factory=dict_row) as cur,
                ):
                    yield cur
            else:
                async with conn.cursor(binary=True, row_factory=dict_row) as cur:
                    yield cur

    async def aput(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        return await super().aput(
            config, checkpoint, with_thread_id(config, metadata), new_versions
        )

    async def aput_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        configurable = config["configurable"]
        rows = self._dump_writes(
            configurable["thread_id"],
            configurable["checkpoint_ns"],
            configurable["checkpoint_id"],
            task_id,
            task_path,
            writes,
        )
        # Writes to special channels (errors, interrupts, ...) replace earlier ones.
        replace = all(channel in WRITES_IDX_MAP for channel, _ in writes)
        async with self._cursor(pipeline=True) as cur:
            await cur.executemany(
                self.UPSERT_CHECKPOINT_WRITES_SQL if replace else self.INSERT_CHECKPOINT_WRITES_SQL,
                rows,
            )

    async def _load_checkpoint_tuple(self, value: Any) -> CheckpointTuple:
        thread_id, namespace = value["thread_id"], value["checkpoint_ns"]
        checkpoint, parent = value["checkpoint"], value["parent_checkpoint_id"]
        return CheckpointTuple(
            config=_config(thread_id, namespace, value["checkpoint_id"]),
            checkpoint=cast(
                Checkpoint,
                {
                    **checkpoint,
                    # Values stored apart from the checkpoint (all but primitives) join it.
                    "channel_values": {
                        **(checkpoint.get("channel_values") or {}),
                        **self._load_blobs(value["channel_values"]),
                    },
                },
            ),
            metadata=value["metadata"],
            parent_config=_config(thread_id, namespace, parent) if parent else None,
            pending_writes=self._load_writes(value["pending_writes"]),
        )


def _config(thread_id: str, namespace: str, checkpoint_id: str) -> RunnableConfig:
    return {
        "configurable": {
            "thread_id": thread_id,
            "checkpoint_ns": namespace,
            "checkpoint_id": checkpoint_id,
        }
    }
