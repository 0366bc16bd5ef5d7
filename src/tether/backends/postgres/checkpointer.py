"""langgraph's Postgres checkpointer, recording the thread id in checkpoint metadata as
the official server's history shows it (and as the SQLite backend's checkpointer does)."""

from __future__ import annotations

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import ChannelVersions, Checkpoint, CheckpointMetadata
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver

from tether.backends.rows import with_thread_id


class PostgresCheckpointer(AsyncPostgresSaver):
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
