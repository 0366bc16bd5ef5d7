"""langgraph's Postgres checkpointer on Tether's pool: it records the thread id in
checkpoint metadata as the official server's history shows it (and as the SQLite
backend's checkpointer does), and lets concurrent runs of one process write at once.

langgraph's saver serialises every operation of a process behind one lock (needed when
it shares a single connection); on a pool each operation has a connection of its own,
so the lock only queued the runs of a worker behind each other's round trips.

It also (de)serialises a task's writes and a checkpoint's values on a thread of its own,
each time; the hop costs about 0.1 ms of CPU and as much latency, more than the work for
all but huge states, and a trivial run makes six, three of them one after the other.
Here they are (de)serialised on the event loop, as the checkpoint's channel values
already are when it is read (and as the SQLite backend's checkpointer does with
everything): the GIL is held through (de)serialisation either way."""

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
    get_serializable_checkpoint_metadata,
)
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver

# Private to langgraph: a delta channel's snapshot, which its saver stores as a blob.
# tests/ports/test_postgres_checkpointer.py holds this saver to langgraph's.
from langgraph.checkpoint.serde.types import _DeltaSnapshot
from psycopg import AsyncCursor
from psycopg.rows import DictRow, dict_row
from psycopg.types.json import Jsonb

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
        """Store a checkpoint as langgraph's saver does: primitive channel values inline,
        the others (and a delta channel's snapshot, marked inline by `True`) as blobs of
        the versions this checkpoint made."""
        configurable = config["configurable"]
        thread_id, namespace = configurable["thread_id"], configurable["checkpoint_ns"]
        inline: dict[str, Any] = {}
        blobs: dict[str, Any] = {}
        for channel, value in checkpoint["channel_values"].items():
            if isinstance(value, _DeltaSnapshot):
                blobs[channel], inline[channel] = value, True
            elif value is None or isinstance(value, (str, int, float, bool)):
                inline[channel] = value
            else:
                blobs[channel] = value
        versions = {channel: v for channel, v in new_versions.items() if channel in blobs}
        stored_metadata = get_serializable_checkpoint_metadata(
            config, with_thread_id(config, metadata)
        )
        async with self._cursor(pipeline=True) as cur:
            if versions:
                await cur.executemany(
                    self.UPSERT_CHECKPOINT_BLOBS_SQL,
                    self._dump_blobs(thread_id, namespace, blobs, versions),
                )
            await cur.execute(
                self.UPSERT_CHECKPOINTS_SQL,
                (
                    thread_id,
                    namespace,
                    checkpoint["id"],
                    configurable.get("checkpoint_id"),
                    Jsonb({**checkpoint, "channel_values": inline}),
                    Jsonb(stored_metadata),
                ),
            )
        return _config(thread_id, namespace, checkpoint["id"])

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
