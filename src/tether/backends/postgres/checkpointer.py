"""langgraph's Postgres checkpointer on Tether's pool: it records the thread id in
checkpoint metadata as the official server's history shows it (and as the SQLite
backend's checkpointer does), and lets concurrent runs of one process write at once.

langgraph's saver serialises every operation of a process behind one lock (needed when
it shares a single connection); on a pool each operation has a connection of its own,
so the lock only queued the runs of a worker behind each other's round trips."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import ChannelVersions, Checkpoint, CheckpointMetadata
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
