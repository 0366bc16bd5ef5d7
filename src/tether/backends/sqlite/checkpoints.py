"""Thread-level operations on langgraph-checkpoint-sqlite's tables."""

from __future__ import annotations

from typing import Any

from tether.backends.sqlite.checkpointer import SqliteCheckpointer


class SqliteCheckpoints:
    def __init__(self, saver: SqliteCheckpointer) -> None:
        self._saver = saver

    async def rollback(self, thread_id: str, run_id: str) -> None:
        # langgraph records the run id in the metadata of every checkpoint a run writes.
        with self._saver.cursor() as cursor:
            cursor.execute(
                "DELETE FROM writes WHERE thread_id = ? AND checkpoint_id IN (SELECT checkpoint_id FROM"
                " checkpoints WHERE thread_id = ? AND json_extract(CAST(metadata AS TEXT), '$.run_id') = ?)",
                (thread_id, thread_id, run_id),
            )
            cursor.execute(
                "DELETE FROM checkpoints WHERE thread_id = ?"
                " AND json_extract(CAST(metadata AS TEXT), '$.run_id') = ?",
                (thread_id, run_id),
            )

    async def copy_thread(self, source_thread_id: str, target_thread_id: str) -> None:
        with self._saver.cursor() as cursor:
            cursor.execute(
                "INSERT INTO checkpoints (thread_id, checkpoint_ns, checkpoint_id, parent_checkpoint_id,"
                " type, checkpoint, metadata) SELECT ?, checkpoint_ns, checkpoint_id, parent_checkpoint_id,"
                " type, checkpoint, metadata FROM checkpoints WHERE thread_id = ?",
                (target_thread_id, source_thread_id),
            )
            cursor.execute(
                "INSERT INTO writes (thread_id, checkpoint_ns, checkpoint_id, task_id, task_path, idx,"
                " channel, type, value) SELECT ?, checkpoint_ns, checkpoint_id, task_id, task_path, idx,"
                " channel, type, value FROM writes WHERE thread_id = ?",
                (target_thread_id, source_thread_id),
            )

    async def storage(self, thread_id: str) -> dict[str, Any]:
        """Bytes the thread occupies. This checkpointer stores channel values inside the
        checkpoint rows, so they count there."""
        with self._saver.cursor(transaction=False) as cursor:
            checkpoints = cursor.execute(
                "SELECT COUNT(*), COALESCE(SUM(LENGTH(checkpoint) + LENGTH(metadata)), 0) FROM checkpoints"
                " WHERE thread_id = ?",
                (thread_id,),
            ).fetchone()
            writes = cursor.execute(
                "SELECT COUNT(*), COALESCE(SUM(LENGTH(value)), 0) FROM writes WHERE thread_id = ?",
                (thread_id,),
            ).fetchone()
        return {
            "thread_id": thread_id,
            "total_bytes": checkpoints[1] + writes[1],
            "checkpoints": {"count": checkpoints[0], "bytes": checkpoints[1]},
            "channel_values": {"count": 0, "bytes": 0, "by_channel": {}},
            "pending_writes": {"count": writes[0], "bytes": writes[1]},
        }

    async def delete_thread(self, thread_id: str) -> None:
        self._saver.delete_thread(thread_id)

    async def prune_to_latest(self, thread_id: str) -> None:
        with self._saver.cursor() as cursor:
            for table in ("checkpoints", "writes"):
                cursor.execute(
                    f"DELETE FROM {table} WHERE thread_id = ? AND checkpoint_id < (SELECT MAX(checkpoint_id)"
                    " FROM checkpoints WHERE thread_id = ? AND checkpoint_ns = '')",
                    (thread_id, thread_id),
                )
