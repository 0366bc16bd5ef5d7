# Generated from tether_sdk/_async/threads.py by tests/sdk/unasync.py; do not edit.
# Edit the async module, then run: uv run python tests/sdk/unasync.py
"""Threads: conversations whose state persists across runs."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Literal, cast, overload

from tether_sdk._core import threads as build
from tether_sdk._core.wire import path, resume_headers
from tether_sdk._schema import (
    Checkpoint,
    Json,
    OnConflictBehavior,
    PruneStrategy,
    QueryParamTypes,
    SortOrder,
    StreamPart,
    Thread,
    ThreadSelectField,
    ThreadSortBy,
    ThreadState,
    ThreadStateSelectField,
    ThreadStatus,
    ThreadStreamMode,
    ThreadUpdateStateResponse,
)
from tether_sdk._sync.http import SyncHttpClient
from tether_sdk._sync.thread_stream import SyncThreadStream


class SyncThreadsClient:
    """Create, read, search, copy, prune and delete threads; read and write their state.

    Example:
        ```python
        client = get_sync_client(url="http://localhost:2024")
        thread = client.threads.create(metadata={"user": "ada"})
        state = client.threads.get_state(thread["thread_id"])
        ```
    """

    def __init__(self, http: SyncHttpClient) -> None:
        self.http = http

    def get(
        self,
        thread_id: str,
        *,
        include: Sequence[str] | None = None,
        headers: Mapping[str, str] | None = None,
        params: QueryParamTypes | None = None,
    ) -> Thread:
        """Fetch one thread.

        Args:
            thread_id: The thread's id.
            include: Extra fields to include (sent comma-joined as ``include``).
            headers: Extra headers for this request.
            params: Extra query parameters for this request.

        Example:
            ```python
            thread = client.threads.get(thread_id)
            thread["status"]
            # -> 'idle'
            ```
        """
        return cast(
            Thread,
            self.http.get(
                path("/threads/{}", thread_id),
                headers=headers,
                params=build.get_query(include, params),
            ),
        )

    def create(
        self,
        *,
        metadata: Json = None,
        thread_id: str | None = None,
        if_exists: OnConflictBehavior | None = None,
        supersteps: Sequence[dict[str, Sequence[dict[str, Any]]]] | None = None,
        graph_id: str | None = None,
        ttl: int | Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        params: QueryParamTypes | None = None,
    ) -> Thread:
        """Create a thread.

        Args:
            metadata: Metadata to store (searchable).
            thread_id: An id to use instead of a generated UUID.
            if_exists: ``"raise"`` (409, the default) or ``"do_nothing"``.
            supersteps: State updates to apply on creation, each superstep a
                ``{"updates": [{"values": ..., "as_node": ..., "command": ...}]}``.
            graph_id: Record the graph in the metadata (``metadata["graph_id"]``).
            ttl: Minutes after which the thread is deleted, or a ``{"ttl", "strategy"}`` dict.

        Example:
            ```python
            thread = client.threads.create(metadata={"user": "ada"}, ttl=60)
            ```
        """
        body = build.create_body(
            metadata=metadata,
            thread_id=thread_id,
            if_exists=if_exists,
            supersteps=supersteps,
            graph_id=graph_id,
            ttl=ttl,
        )
        return cast(Thread, self.http.post("/threads", json=body, headers=headers, params=params))

    @overload
    def update(
        self,
        thread_id: str,
        *,
        metadata: Mapping[str, Any],
        ttl: int | Mapping[str, Any] | None = None,
        return_minimal: Literal[False] = False,
        headers: Mapping[str, str] | None = None,
        params: QueryParamTypes | None = None,
    ) -> Thread: ...

    @overload
    def update(
        self,
        thread_id: str,
        *,
        metadata: Mapping[str, Any],
        ttl: int | Mapping[str, Any] | None = None,
        return_minimal: Literal[True],
        headers: Mapping[str, str] | None = None,
        params: QueryParamTypes | None = None,
    ) -> None: ...

    @overload
    def update(
        self,
        thread_id: str,
        *,
        metadata: Mapping[str, Any],
        ttl: int | Mapping[str, Any] | None = None,
        return_minimal: bool,
        headers: Mapping[str, str] | None = None,
        params: QueryParamTypes | None = None,
    ) -> Thread | None: ...

    def update(
        self,
        thread_id: str,
        *,
        metadata: Mapping[str, Any],
        ttl: int | Mapping[str, Any] | None = None,
        return_minimal: bool = False,
        headers: Mapping[str, str] | None = None,
        params: QueryParamTypes | None = None,
    ) -> Thread | None:
        """Merge ``metadata`` into the thread's metadata, and optionally change its TTL.

        Args:
            thread_id: The thread's id.
            metadata: Keys to set.
            ttl: New time to live, as in ``create``.
            return_minimal: Ask the server not to send the thread back
                (``Prefer: return=minimal``); the method then returns ``None``.

        Example:
            ```python
            thread = client.threads.update(thread_id, metadata={"topic": "billing"})
            ```
        """
        return cast(
            "Thread | None",
            self.http.patch(
                path("/threads/{}", thread_id),
                json=build.update_body(metadata, ttl),
                headers=build.update_headers(headers, return_minimal),
                params=params,
            ),
        )

    def delete(
        self,
        thread_id: str,
        *,
        headers: Mapping[str, str] | None = None,
        params: QueryParamTypes | None = None,
    ) -> None:
        """Delete a thread with its runs and checkpoints.

        Example:
            ```python
            client.threads.delete(thread_id)
            ```
        """
        self.http.delete(path("/threads/{}", thread_id), headers=headers, params=params)

    def search(
        self,
        *,
        metadata: Json = None,
        values: Json = None,
        ids: Sequence[str] | None = None,
        status: ThreadStatus | None = None,
        limit: int = 10,
        offset: int = 0,
        sort_by: ThreadSortBy | None = None,
        sort_order: SortOrder | None = None,
        select: list[ThreadSelectField] | None = None,
        extract: dict[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        params: QueryParamTypes | None = None,
    ) -> list[Thread]:
        """Find threads by metadata, state values, ids or status.

        Args:
            metadata: Only threads whose metadata contains these pairs.
            values: Only threads whose state values contain these pairs.
            ids: Only these threads.
            status: Only threads in this status.
            limit: Page size.
            offset: Items to skip.
            sort_by: Field to sort by.
            sort_order: ``"asc"`` or ``"desc"``.
            select: Return only these fields.
            extract: Extra values to compute per thread, returned under ``extracted``.

        Example:
            ```python
            busy = client.threads.search(status="busy", limit=100)
            ```
        """
        body = build.search_body(
            limit=limit,
            offset=offset,
            metadata=metadata,
            values=values,
            ids=ids,
            status=status,
            sort_by=sort_by,
            sort_order=sort_order,
            select=select,
            extract=extract,
        )
        return cast(
            list[Thread],
            self.http.post("/threads/search", json=body, headers=headers, params=params),
        )

    def count(
        self,
        *,
        metadata: Json = None,
        values: Json = None,
        status: ThreadStatus | None = None,
        headers: Mapping[str, str] | None = None,
        params: QueryParamTypes | None = None,
    ) -> int:
        """Count the threads matching the same filters as ``search``.

        Example:
            ```python
            idle = client.threads.count(status="idle")
            ```
        """
        body = build.count_body(metadata=metadata, values=values, status=status)
        return cast(
            int, self.http.post("/threads/count", json=body, headers=headers, params=params)
        )

    def copy(
        self,
        thread_id: str,
        *,
        headers: Mapping[str, str] | None = None,
        params: QueryParamTypes | None = None,
    ) -> None:
        """Copy a thread with its state history into a new thread.

        Example:
            ```python
            client.threads.copy(thread_id)
            ```
        """
        return cast(
            None,
            self.http.post(
                path("/threads/{}/copy", thread_id), json=None, headers=headers, params=params
            ),
        )

    def prune(
        self,
        thread_ids: Sequence[str],
        *,
        strategy: PruneStrategy = "delete",
        headers: Mapping[str, str] | None = None,
        params: QueryParamTypes | None = None,
    ) -> dict[str, Any]:
        """Delete threads, or with ``strategy="keep_latest"`` drop all but their latest checkpoint.

        Example:
            ```python
            result = client.threads.prune([old_id], strategy="keep_latest")
            ```
        """
        return cast(
            dict[str, Any],
            self.http.post(
                "/threads/prune",
                json=build.prune_body(thread_ids, strategy),
                headers=headers,
                params=params,
            ),
        )

    def get_state(
        self,
        thread_id: str,
        checkpoint: Checkpoint | None = None,
        checkpoint_id: str | None = None,
        *,
        subgraphs: bool = False,
        select: list[ThreadStateSelectField] | None = None,
        headers: Mapping[str, str] | None = None,
        params: QueryParamTypes | None = None,
    ) -> ThreadState:
        """Fetch the thread's state, now or at a checkpoint.

        Args:
            thread_id: The thread's id.
            checkpoint: The checkpoint to read (takes precedence over ``checkpoint_id``).
            checkpoint_id: The id of the checkpoint to read.
            subgraphs: Include the states of subgraphs in the tasks.
            select: Return only these fields (``values.<key>`` for one state key).

        Example:
            ```python
            state = client.threads.get_state(thread_id)
            state["values"]["counter"], state["next"]
            # -> (111, [])
            ```
        """
        if checkpoint:
            return cast(
                ThreadState,
                self.http.post(
                    path("/threads/{}/state/checkpoint", thread_id),
                    json=build.state_at_checkpoint_body(checkpoint, subgraphs, select),
                    headers=headers,
                    params=params,
                ),
            )
        state_path = (
            path("/threads/{}/state/{}", thread_id, checkpoint_id)
            if checkpoint_id
            else path("/threads/{}/state", thread_id)
        )
        return cast(
            ThreadState,
            self.http.get(
                state_path, params=build.state_query(subgraphs, select, params), headers=headers
            ),
        )

    def update_state(
        self,
        thread_id: str,
        values: dict[str, Any] | Sequence[dict[str, Any]] | None,
        *,
        as_node: str | None = None,
        checkpoint: Checkpoint | None = None,
        checkpoint_id: str | None = None,
        headers: Mapping[str, str] | None = None,
        params: QueryParamTypes | None = None,
    ) -> ThreadUpdateStateResponse:
        """Write to the thread's state as if node ``as_node`` had returned ``values``.

        Args:
            thread_id: The thread's id.
            values: The update (``None`` is sent as ``null``).
            as_node: The node the update is attributed to (decides what runs next).
            checkpoint: Fork from this checkpoint instead of the latest.
            checkpoint_id: Fork from the checkpoint with this id.

        Example:
            ```python
            result = client.threads.update_state(thread_id, {"counter": 1}, as_node="step_a")
            result["checkpoint"]["checkpoint_id"]
            ```
        """
        return cast(
            ThreadUpdateStateResponse,
            self.http.post(
                path("/threads/{}/state", thread_id),
                json=build.update_state_body(
                    values, checkpoint_id=checkpoint_id, checkpoint=checkpoint, as_node=as_node
                ),
                headers=headers,
                params=params,
            ),
        )

    def get_history(
        self,
        thread_id: str,
        *,
        limit: int = 10,
        before: str | Checkpoint | None = None,
        metadata: Mapping[str, Any] | None = None,
        checkpoint: Checkpoint | None = None,
        select: list[ThreadStateSelectField] | None = None,
        headers: Mapping[str, str] | None = None,
        params: QueryParamTypes | None = None,
    ) -> list[ThreadState]:
        """List the thread's past states, newest first.

        Args:
            thread_id: The thread's id.
            limit: How many states.
            before: Only states before this checkpoint (or checkpoint id).
            metadata: Only states whose checkpoint metadata contains these pairs.
            checkpoint: Only states of this checkpoint namespace.
            select: Return only these fields.

        Example:
            ```python
            history = client.threads.get_history(thread_id, limit=5)
            [state["metadata"]["step"] for state in history]
            ```
        """
        return cast(
            list[ThreadState],
            self.http.post(
                path("/threads/{}/history", thread_id),
                json=build.history_body(
                    limit, before=before, metadata=metadata, checkpoint=checkpoint, select=select
                ),
                headers=headers,
                params=params,
            ),
        )

    def stream(
        self,
        thread_id: str | None = None,
        *,
        assistant_id: str,
        headers: Mapping[str, str] | None = None,
        run_start_timeout: float | None = None,
        transport: Literal["sse", "websocket"] = "sse",
    ) -> SyncThreadStream:
        """Open a thread-centric (v3) streaming session on ``thread_id`` (a new UUID when
        omitted; the thread is created by its first run).

        Args:
            thread_id: The thread; ``None`` for a new one.
            assistant_id: The assistant ``thread.run.start(...)`` runs.
            headers: Extra headers for every command and event stream of the session.
            run_start_timeout: Accepted for compatibility; commands wait for their answer.
            transport: How event streams are read: ``"sse"`` (``POST .../stream/events``)
                or ``"websocket"`` (a WebSocket on the same path, one per subscription).
                Either reconnects with ``since`` after a drop; commands use HTTP.

        Raises:
            ValueError: ``transport`` is neither ``"sse"`` nor ``"websocket"``.

        Example:
            ```python
            with client.threads.stream(assistant_id="agent", transport="websocket") as thread:
                thread.run.start(input={"messages": [{"role": "user", "content": "hi"}]})
                values = thread.output()
            ```
        """
        return SyncThreadStream(
            self.http,
            thread_id=thread_id if thread_id is not None else str(uuid.uuid4()),
            assistant_id=assistant_id,
            headers=headers,
            explicit_thread_id=thread_id is not None,
            transport=transport,
        )

    def join_stream(
        self,
        thread_id: str,
        *,
        last_event_id: str | None = None,
        stream_mode: ThreadStreamMode | Sequence[ThreadStreamMode] = "run_modes",
        headers: Mapping[str, str] | None = None,
        params: QueryParamTypes | None = None,
    ) -> Iterator[StreamPart]:
        """Follow every run on a thread, as server-sent events.

        The stream stays open
        between runs; a ``metadata`` event with ``{"status": "run_done"}`` marks each end.

        Args:
            thread_id: The thread's id.
            last_event_id: Replay the events after this id first.
            stream_mode: ``"run_modes"`` (the runs' own events), ``"lifecycle"`` or
                ``"state_update"``, or several.

        Example:
            ```python
            for part in client.threads.join_stream(thread_id):
                print(part.event, part.data)
            ```
        """
        return self.http.stream(
            path("/threads/{}/stream", thread_id),
            "GET",
            headers=resume_headers(last_event_id, headers),
            params=build.join_stream_query(stream_mode, params),
        )
