"""Threads: metadata, state, history, copies; the graph comes from the thread's metadata."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from langgraph.errors import InvalidUpdateError

from tether.errors import BadRequest, Conflict, InvalidInput, NotFound
from tether.graphs import Graph, GraphRegistry
from tether.ids import is_uuid, uuid7
from tether.ports import CheckpointAdmin, EventLog, ThreadStore
from tether.records import SCOPE_THREAD, NewEvent, ThreadRecord, now_iso
from tether.serialization import dumps, to_jsonable
from tether.services.lifecycle import merge_metadata
from tether.services.run_config import thread_config
from tether.services.state import EMPTY_STATE, snapshot_interrupts, state_to_api

if TYPE_CHECKING:
    from tether.services.runs import RunService


def check_thread_id(thread_id: str) -> str:
    if not is_uuid(thread_id):
        raise InvalidInput("Invalid thread ID: must be a UUID")
    return thread_id


def new_thread(
    thread_id: str | None = None,
    metadata: dict[str, Any] | None = None,
    ttl: dict[str, Any] | None = None,
) -> ThreadRecord:
    now = now_iso()
    return ThreadRecord(
        thread_id=thread_id or uuid7(),
        created_at=now,
        updated_at=now,
        state_updated_at=now,
        metadata=metadata or {},
        ttl=ttl,
    )


class ThreadService:
    def __init__(
        self,
        *,
        threads: ThreadStore,
        events: EventLog,
        checkpoints: CheckpointAdmin,
        runs: RunService,
        registry: GraphRegistry,
        default_ttl: dict[str, Any] | None = None,
    ) -> None:
        #: The `ttl` of threads created without one (langgraph.json's `checkpointer.ttl`).
        self.default_ttl = default_ttl
        self.threads = threads
        self.events = events
        self.checkpoints = checkpoints
        self.runs = runs
        self.registry = registry

    async def create(
        self,
        *,
        thread_id: str | None,
        metadata: dict[str, Any] | None,
        if_exists: str | None,
        ttl: dict[str, Any] | None,
        supersteps: list[dict[str, Any]] | None,
    ) -> ThreadRecord:
        if thread_id is not None:
            check_thread_id(thread_id)
        record = new_thread(thread_id, metadata, self.default_ttl if ttl is None else ttl)
        created = await self.threads.create_thread(record, if_exists=if_exists or "raise")
        if created is None:
            raise Conflict(f"Thread with ID {record.thread_id} already exists")
        if supersteps and created is record:
            await self._apply_supersteps(created, supersteps)
            created = await self.get(created.thread_id)
        return created

    async def _apply_supersteps(
        self, thread: ThreadRecord, supersteps: list[dict[str, Any]]
    ) -> None:
        async with self._graph(thread) as graph:
            config: Any = thread_config(thread.thread_id)
            for step in supersteps:
                for update in step.get("updates", []):
                    config = await graph.aupdate_state(
                        config, update.get("values"), as_node=update.get("as_node")
                    )
        await self._refresh(thread.thread_id)

    async def get(self, thread_id: str) -> ThreadRecord:
        found = await self.threads.get_thread(check_thread_id(thread_id))
        if found is None:
            raise NotFound(f"Thread with ID {thread_id} not found")
        return found

    async def update(
        self, thread_id: str, metadata: dict[str, Any] | None, ttl: dict[str, Any] | None
    ) -> ThreadRecord:
        async with self.threads.transaction(check_thread_id(thread_id)) as tx:
            thread = await tx.get_thread()
            if thread is None:
                raise NotFound(f"Thread with ID {thread_id} not found")
            changes: dict[str, Any] = {"metadata": merge_metadata(thread.metadata, metadata)}
            if ttl is not None:
                changes["ttl"] = ttl
            await tx.update_thread(changes)
            updated = await tx.get_thread()
        assert updated is not None
        return updated

    async def set_fields(self, thread_id: str, **changes: Any) -> None:
        """Set thread record fields (no merging) if the thread still exists."""
        async with self.threads.transaction(thread_id) as tx:
            await tx.update_thread(changes)

    async def delete(self, thread_id: str) -> None:
        thread = await self.get(thread_id)
        await self.runs.cancel_where(
            thread_id=thread.thread_id,
            run_ids=None,
            status=None,
            action="interrupt",
            reason="thread deleted",
        )
        async with self.threads.transaction(thread.thread_id) as tx:
            await tx.delete_thread()
        await self.checkpoints.delete_thread(thread.thread_id)
        await self.events.delete_thread(thread.thread_id)

    async def delete_where(self, *, metadata: dict[str, Any]) -> int:
        """Delete every thread whose metadata matches (e.g. an assistant's threads)."""
        deleted = 0
        while batch := await self.threads.search_threads(
            ids=None,
            metadata=metadata,
            values=None,
            status=None,
            limit=100,
            offset=0,
            sort_by="created_at",
            sort_order="asc",
        ):
            for thread in batch:
                await self.delete(thread.thread_id)
                deleted += 1
        return deleted

    async def copy(self, thread_id: str) -> ThreadRecord:
        source = await self.get(thread_id)
        copy = new_thread(str(uuid.uuid4()), dict(source.metadata), self.default_ttl)
        copy.values, copy.interrupts, copy.config = source.values, source.interrupts, source.config
        await self.threads.create_thread(copy, if_exists="raise")
        await self.checkpoints.copy_thread(source.thread_id, copy.thread_id)
        return copy

    async def prune(self, thread_ids: list[str], strategy: str) -> int:
        pruned = 0
        for thread_id in thread_ids:
            if await self.threads.get_thread(check_thread_id(thread_id)) is None:
                continue
            if strategy == "keep_latest":
                await self.checkpoints.prune_to_latest(thread_id)
            else:
                await self.delete(thread_id)
            pruned += 1
        return pruned

    # -- state -------------------------------------------------------------------------

    @asynccontextmanager
    async def _graph(self, thread: ThreadRecord) -> AsyncIterator[Graph]:
        graph_id = thread.metadata.get("graph_id")
        if not isinstance(graph_id, str) or graph_id not in self.registry:
            raise BadRequest(
                f"Thread {thread.thread_id} has no graph: run it once, or create it with a graph_id"
            )
        async with self.registry.graph(graph_id, thread.config) as graph:
            yield graph

    def _has_graph(self, thread: ThreadRecord) -> bool:
        graph_id = thread.metadata.get("graph_id")
        return isinstance(graph_id, str) and graph_id in self.registry

    async def state(
        self, thread_id: str, *, checkpoint: dict[str, Any] | None = None, subgraphs: bool = False
    ) -> dict[str, Any]:
        thread = await self.get(thread_id)
        wanted = (checkpoint or {}).get("checkpoint_id")
        if not self._has_graph(thread):
            if wanted:
                raise NotFound(f"Checkpoint {wanted} not found")
            return dict(EMPTY_STATE)
        async with self._graph(thread) as graph:
            snapshot = await graph.aget_state(
                thread_config(thread.thread_id, checkpoint), subgraphs=subgraphs
            )
        if wanted and snapshot.created_at is None:  # langgraph's answer for "no such checkpoint"
            raise NotFound(f"Checkpoint {wanted} not found")
        return state_to_api(snapshot)

    async def history(
        self,
        thread_id: str,
        *,
        limit: int,
        before: dict[str, Any] | None,
        metadata: dict[str, Any] | None,
        checkpoint: dict[str, Any] | None,
    ) -> list[dict[str, Any]]:
        thread = await self.get(thread_id)
        if not self._has_graph(thread):
            return []
        async with self._graph(thread) as graph:
            states = graph.aget_state_history(
                thread_config(thread.thread_id, checkpoint),
                filter=metadata or None,
                before=thread_config(thread.thread_id, before) if before else None,
                limit=limit,
            )
            return [state_to_api(s) async for s in states]

    async def update_state(
        self, thread_id: str, *, values: Any, as_node: str | None, checkpoint: dict[str, Any] | None
    ) -> dict[str, Any]:
        thread = await self.get(thread_id)
        if thread.status == "busy":
            raise Conflict(
                "Thread is busy: a run is in progress. Wait for it to finish or cancel it."
            )
        async with self._graph(thread) as graph:
            target: Any = thread_config(thread.thread_id, checkpoint)
            wanted = (checkpoint or {}).get("checkpoint_id")
            # The official server forks from a checkpoint that does not exist, i.e. from
            # nothing: the thread's state is replaced by the update alone. A 404 instead.
            if wanted and (await graph.aget_state(target)).created_at is None:
                raise NotFound(f"Checkpoint {wanted} not found")
            # Recorded on the checkpoint, as the official server does.
            target["metadata"] = {"graph_id": thread.metadata["graph_id"]}
            try:
                config = await graph.aupdate_state(target, values, as_node=as_node)
            except InvalidUpdateError as exc:
                raise BadRequest(str(exc)) from exc
            except (ValueError, KeyError, TypeError) as exc:
                raise BadRequest(f"{type(exc).__name__}: {exc}") from exc
        await self._refresh(thread.thread_id)
        await self.events.append_thread(
            thread.thread_id,
            [
                NewEvent(
                    "state_update",
                    dumps({"values": values, "as_node": as_node}),
                    "state_update",
                    SCOPE_THREAD,
                )
            ],
            retain_seconds=self.runs.retention_seconds,
        )
        configurable = to_jsonable(config["configurable"])
        return {
            "checkpoint": configurable,
            "configurable": configurable,
            "checkpoint_id": configurable.get("checkpoint_id"),
        }

    async def _refresh(self, thread_id: str) -> None:
        """Copy the thread's current values and interrupts onto the thread record."""
        thread = await self.get(thread_id)
        async with self._graph(thread) as graph:
            snapshot = await graph.aget_state(thread_config(thread_id))
        interrupts = snapshot_interrupts(snapshot)
        await self.set_fields(
            thread_id,
            values=to_jsonable(snapshot.values),
            interrupts=interrupts,
            status="interrupted" if (interrupts or snapshot.next) else "idle",
            state_updated_at=now_iso(),
        )

    async def storage(self, thread_id: str) -> dict[str, Any]:
        """The official ThreadStorage body."""
        thread = await self.get(thread_id)
        return await self.checkpoints.storage(thread.thread_id)

    async def search(self, **filters: Any) -> list[ThreadRecord]:
        return await self.threads.search_threads(**filters)

    async def count(self, **filters: Any) -> int:
        return await self.threads.count_threads(**filters)

    async def expire(self) -> int:
        """Apply the TTL of threads whose time is up: delete them, or keep only their
        latest checkpoint. Returns how many were handled."""
        expired = await self.threads.expired_threads()
        for thread in expired:
            ttl = thread.ttl or {}
            if ttl.get("strategy") == "keep_latest":
                await self.checkpoints.prune_to_latest(thread.thread_id)
                await self.set_fields(thread.thread_id, ttl=None)
            else:
                await self.delete(thread.thread_id)
        return len(expired)
