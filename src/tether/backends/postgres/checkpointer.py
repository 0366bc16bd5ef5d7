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

#: A checkpoint and its new blobs in one statement (langgraph's saver sends one per blob
#: and one for the checkpoint, in a pipeline): the same rows, the same conflict rules.
_PUT = """
WITH blobs AS (
    INSERT INTO checkpoint_blobs (thread_id, checkpoint_ns, channel, version, type, blob)
    SELECT %(thread_id)s, %(namespace)s, b.channel, b.version, b.type, b.blob
    FROM unnest(%(channels)s::text[], %(versions)s::text[], %(types)s::text[],
                %(blobs)s::bytea[]) AS b(channel, version, type, blob)
    ON CONFLICT (thread_id, checkpoint_ns, channel, version) DO NOTHING
)
INSERT INTO checkpoints
    (thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id, checkpoint, metadata)
VALUES (%(thread_id)s, %(namespace)s, %(checkpoint_id)s, %(parent_id)s, %(checkpoint)s,
        %(metadata)s)
ON CONFLICT (thread_id, checkpoint_ns, checkpoint_id)
DO UPDATE SET checkpoint = EXCLUDED.checkpoint, metadata = EXCLUDED.metadata
"""
#: A task's writes in one statement.
_PUT_WRITES = """
INSERT INTO checkpoint_writes
    (thread_id, checkpoint_ns, checkpoint_id, task_id, task_path, idx, channel, type, blob)
SELECT %(thread_id)s, %(namespace)s, %(checkpoint_id)s, %(task_id)s, %(task_path)s,
       w.idx, w.channel, w.type, w.blob
FROM unnest(%(idx)s::integer[], %(channels)s::text[], %(types)s::text[], %(blobs)s::bytea[])
    AS w(idx, channel, type, blob)
ON CONFLICT (thread_id, checkpoint_ns, checkpoint_id, task_id, idx)
"""
_PUT_WRITES_REPLACING = (
    _PUT_WRITES
    + "DO UPDATE SET channel = EXCLUDED.channel, type = EXCLUDED.type, blob = EXCLUDED.blob"
)
_PUT_WRITES += "DO NOTHING"


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
        blob_rows = self._dump_blobs(thread_id, namespace, blobs, versions)
        async with self._pool.connection() as conn:
            await conn.execute(
                _PUT,
                {
                    "thread_id": thread_id,
                    "namespace": namespace,
                    "channels": [row[2] for row in blob_rows],
                    "versions": [row[3] for row in blob_rows],
                    "types": [row[4] for row in blob_rows],
                    "blobs": [row[5] for row in blob_rows],
                    "checkpoint_id": checkpoint["id"],
                    "parent_id": configurable.get("checkpoint_id"),
                    "checkpoint": Jsonb({**checkpoint, "channel_values": inline}),
                    "metadata": Jsonb(stored_metadata),
                },
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
        # Writes to special channels (errors, interrupts, ...) replace earlier ones; the
        # others are kept as first written. One statement: of a task's writes with the same
        # index, the one that stays is the one langgraph's row-by-row upsert would keep.
        replace = all(channel in WRITES_IDX_MAP for channel, _ in writes)
        kept: dict[int, tuple[Any, ...]] = {}
        for row in rows:
            if replace or row[5] not in kept:
                kept[row[5]] = row
        async with self._pool.connection() as conn:
            await conn.execute(
                _PUT_WRITES_REPLACING if replace else _PUT_WRITES,
                {
                    "thread_id": configurable["thread_id"],
                    "namespace": configurable["checkpoint_ns"],
                    "checkpoint_id": configurable["checkpoint_id"],
                    "task_id": task_id,
                    "task_path": task_path,
                    "idx": [row[5] for row in kept.values()],
                    "channels": [row[6] for row in kept.values()],
                    "types": [row[7] for row in kept.values()],
                    "blobs": [row[8] for row in kept.values()],
                },
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
