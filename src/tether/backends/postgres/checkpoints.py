"""Thread-level operations on langgraph-checkpoint-postgres's tables.

The saver keeps a checkpoint's primitive channel values inline in `checkpoints`, the
others in `checkpoint_blobs` (one row per channel version, shared by every checkpoint
of the namespace that has that version), and pending writes in `checkpoint_writes`.
"""

from __future__ import annotations

from typing import Any

from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from psycopg import AsyncConnection
from psycopg.rows import DictRow
from psycopg_pool import AsyncConnectionPool

# One statement, so all or nothing. The blobs freed are those the run's checkpoints
# referenced and no other checkpoint of the namespace does. The last subquery sees the
# rows as they were before the deletes, so it leaves out the run's checkpoints itself.
_ROLLBACK = """
WITH doomed AS (
    DELETE FROM checkpoints
    WHERE thread_id = %(thread_id)s AND metadata ->> 'run_id' = %(run_id)s
    RETURNING checkpoint_ns, checkpoint_id, checkpoint -> 'channel_versions' AS versions
), dropped_writes AS (
    DELETE FROM checkpoint_writes AS w USING doomed AS d
    WHERE w.thread_id = %(thread_id)s
    AND w.checkpoint_ns = d.checkpoint_ns AND w.checkpoint_id = d.checkpoint_id
), freed AS (
    SELECT DISTINCT d.checkpoint_ns, v.key AS channel, v.value AS version
    FROM doomed AS d CROSS JOIN LATERAL jsonb_each_text(d.versions) AS v
)
DELETE FROM checkpoint_blobs AS b USING freed AS f
WHERE b.thread_id = %(thread_id)s AND b.checkpoint_ns = f.checkpoint_ns
AND b.channel = f.channel AND b.version = f.version
AND NOT EXISTS (
    SELECT 1 FROM checkpoints AS c
    WHERE c.thread_id = %(thread_id)s AND c.checkpoint_ns = f.checkpoint_ns
    AND c.metadata ->> 'run_id' IS DISTINCT FROM %(run_id)s
    AND c.checkpoint -> 'channel_versions' ->> f.channel = f.version
)
"""

_COPY = (
    "INSERT INTO checkpoints (thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id,"
    " type, checkpoint, metadata)"
    " SELECT %(target)s, checkpoint_ns, checkpoint_id, parent_checkpoint_id, type, checkpoint,"
    " metadata FROM checkpoints WHERE thread_id = %(source)s",
    "INSERT INTO checkpoint_blobs (thread_id, checkpoint_ns, channel, version, type, blob)"
    " SELECT %(target)s, checkpoint_ns, channel, version, type, blob"
    " FROM checkpoint_blobs WHERE thread_id = %(source)s",
    "INSERT INTO checkpoint_writes (thread_id, checkpoint_ns, checkpoint_id, task_id, task_path,"
    " idx, channel, type, blob)"
    " SELECT %(target)s, checkpoint_ns, checkpoint_id, task_id, task_path, idx, channel, type, blob"
    " FROM checkpoint_writes WHERE thread_id = %(source)s",
)


class PostgresCheckpoints:
    """`CheckpointAdmin` for graphs that run with `saver` (whose tables are in `pool`'s
    database)."""

    def __init__(self, saver: AsyncPostgresSaver, pool: AsyncConnectionPool[Any]) -> None:
        self._saver = saver
        # `open_pool`'s connections return dict rows.
        self._pool: AsyncConnectionPool[AsyncConnection[DictRow]] = pool

    async def rollback(self, thread_id: str, run_id: str) -> None:
        # langgraph records the run id in the metadata of every checkpoint a run writes.
        async with self._pool.connection() as conn:
            await conn.execute(_ROLLBACK, {"thread_id": thread_id, "run_id": run_id})

    async def copy_thread(self, source_thread_id: str, target_thread_id: str) -> None:
        params = {"source": source_thread_id, "target": target_thread_id}
        async with self._pool.connection() as conn, conn.transaction():
            for statement in _COPY:
                await conn.execute(statement, params)

    async def storage(self, thread_id: str) -> dict[str, Any]:
        """Bytes the thread occupies, as stored (`pg_column_size`: after compression).
        Primitive channel values are stored inside the checkpoint rows, so they count there;
        the others are `channel_values`, one row per channel version."""
        async with self._pool.connection() as conn, conn.transaction():
            # One snapshot for the three reads, so the sections add up.
            await conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cur = await conn.execute(
                "SELECT COUNT(*) AS n, COALESCE(SUM(pg_column_size(checkpoint)"
                " + pg_column_size(metadata)), 0) AS bytes FROM checkpoints WHERE thread_id = %s",
                (thread_id,),
            )
            checkpoints = await cur.fetchone()
            cur = await conn.execute(
                "SELECT channel, COUNT(*) AS n, COALESCE(SUM(pg_column_size(blob)), 0) AS bytes"
                " FROM checkpoint_blobs WHERE thread_id = %s GROUP BY channel ORDER BY channel",
                (thread_id,),
            )
            channels = await cur.fetchall()
            cur = await conn.execute(
                "SELECT COUNT(*) AS n, COALESCE(SUM(pg_column_size(blob)), 0) AS bytes"
                " FROM checkpoint_writes WHERE thread_id = %s",
                (thread_id,),
            )
            writes = await cur.fetchone()
        assert checkpoints is not None and writes is not None  # aggregates return one row
        by_channel = {
            row["channel"]: {"versions": int(row["n"]), "bytes": int(row["bytes"])}
            for row in channels
        }
        checkpoint_bytes, write_bytes = int(checkpoints["bytes"]), int(writes["bytes"])
        value_bytes = sum(entry["bytes"] for entry in by_channel.values())
        return {
            "thread_id": thread_id,
            "total_bytes": checkpoint_bytes + value_bytes + write_bytes,
            "checkpoints": {"count": int(checkpoints["n"]), "bytes": checkpoint_bytes},
            "channel_values": {
                "count": sum(entry["versions"] for entry in by_channel.values()),
                "bytes": value_bytes,
                "by_channel": by_channel,
            },
            "pending_writes": {"count": int(writes["n"]), "bytes": write_bytes},
        }

    async def delete_thread(self, thread_id: str) -> None:
        await self._saver.adelete_thread(thread_id)

    async def prune_to_latest(self, thread_id: str) -> None:
        """The saver's own `keep_latest` prune: the newest checkpoint of each namespace
        with its writes and blobs (a finished subgraph call's namespace goes entirely).
        It raises `NotImplementedError` for a thread that uses a `DeltaChannel`, whose
        latest value is rebuilt from older checkpoints."""
        await self._saver.aprune([thread_id], strategy="keep_latest")
