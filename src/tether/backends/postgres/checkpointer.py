"""langgraph's Postgres checkpointer, recording the thread id in checkpoint metadata as
the official server's history shows it (and as the SQLite backend's checkpointer does)."""

from __future__ import annotations

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import ChannelVersions, Checkpoint, CheckpointMetadata
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver


class PostgresCheckpointer(AsyncPostgresSaver):
    async def aput(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        # langgraph leaves the thread id out of checkpoint metadata; history filters use it.
        thread_id = config.get("configurable", {}).get("thread_id")
        if thread_id is not None and "thread_id" not in metadata:
            metadata = {**metadata, "thread_id": thread_id}  # type: ignore[typeddict-unknown-key]
        return await super().aput(config, checkpoint, metadata, new_versions)
