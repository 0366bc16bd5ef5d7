# Generated from tether_sdk/_async/crons.py by tests/sdk/unasync.py; do not edit.
# Edit the async module, then run: uv run python tests/sdk/unasync.py
"""Crons: runs scheduled on a cron expression."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, tzinfo
from typing import Any, cast

from tether_sdk._core import crons as build
from tether_sdk._core.runs import warn_checkpoint_during
from tether_sdk._core.wire import NOT_PROVIDED, path
from tether_sdk._schema import (
    All,
    Config,
    Context,
    Cron,
    CronSelectField,
    CronSortBy,
    Durability,
    Input,
    Json,
    OnCompletionBehavior,
    QueryParamTypes,
    Run,
    SortOrder,
    StreamMode,
)
from tether_sdk._sync.http import SyncHttpClient


class SyncCronClient:
    """Schedule runs, on a thread or stateless, and manage the schedules.

    Example:
        ```python
        client = get_sync_client(url="http://localhost:2024")
        cron = client.crons.create("trivial", schedule="*/5 * * * *", input={})
        ```
    """

    def __init__(self, http_client: SyncHttpClient) -> None:
        self.http = http_client

    def create_for_thread(
        self,
        thread_id: str,
        assistant_id: str,
        *,
        schedule: str,
        input: Input | None = None,
        metadata: Mapping[str, Any] | None = None,
        config: Config | None = None,
        context: Context | None = None,
        checkpoint_during: bool | None = None,
        interrupt_before: All | list[str] | None = None,
        interrupt_after: All | list[str] | None = None,
        webhook: str | None = None,
        multitask_strategy: str | None = None,
        end_time: datetime | None = None,
        enabled: bool | None = None,
        timezone: str | tzinfo | None = None,
        stream_mode: StreamMode | Sequence[StreamMode] | None = None,
        stream_subgraphs: bool | None = None,
        stream_resumable: bool | None = None,
        durability: Durability | None = None,
        headers: Mapping[str, str] | None = None,
        params: QueryParamTypes | None = None,
    ) -> Run:
        """Schedule runs of an assistant on one thread.

        Args:
            thread_id: The thread every run uses.
            assistant_id: The assistant, or the name of a graph.
            schedule: A cron expression, e.g. ``"0 9 * * 1-5"``.
            input: The input of each run.
            end_time: Stop scheduling after this time.
            enabled: Create the cron paused (``False``) or active.
            timezone: The schedule's time zone (an IANA name or a ``tzinfo``); UTC by default.
            Other arguments are those of ``runs.create``.

        Example:
            ```python
            cron = client.crons.create_for_thread(
                thread_id, "agent", schedule="0 9 * * *", timezone="Europe/Paris"
            )
            ```
        """
        warn_checkpoint_during(checkpoint_during)
        body = build.create_body(
            schedule=schedule,
            input=input,
            config=config,
            metadata=metadata,
            context=context,
            assistant_id=assistant_id,
            checkpoint_during=checkpoint_during,
            interrupt_before=interrupt_before,
            interrupt_after=interrupt_after,
            webhook=webhook,
            end_time=end_time,
            enabled=enabled,
            timezone=timezone,
            stream_mode=stream_mode,
            stream_subgraphs=stream_subgraphs,
            stream_resumable=stream_resumable,
            durability=durability,
            multitask_strategy=multitask_strategy,
        )
        return cast(
            Run,
            self.http.post(
                path("/threads/{}/runs/crons", thread_id), json=body, headers=headers, params=params
            ),
        )

    def create(
        self,
        assistant_id: str,
        *,
        schedule: str,
        input: Input | None = None,
        metadata: Mapping[str, Any] | None = None,
        config: Config | None = None,
        context: Context | None = None,
        checkpoint_during: bool | None = None,
        interrupt_before: All | list[str] | None = None,
        interrupt_after: All | list[str] | None = None,
        webhook: str | None = None,
        on_run_completed: OnCompletionBehavior | None = None,
        multitask_strategy: str | None = None,
        end_time: datetime | None = None,
        enabled: bool | None = None,
        timezone: str | tzinfo | None = None,
        stream_mode: StreamMode | Sequence[StreamMode] | None = None,
        stream_subgraphs: bool | None = None,
        stream_resumable: bool | None = None,
        durability: Durability | None = None,
        headers: Mapping[str, str] | None = None,
        params: QueryParamTypes | None = None,
    ) -> Run:
        """Schedule stateless runs of an assistant (each on a new thread).

        Args:
            on_run_completed: ``"delete"`` (default) or ``"keep"`` each run's thread.
            Other arguments are those of ``create_for_thread``.

        Example:
            ```python
            cron = client.crons.create("trivial", schedule="*/5 * * * *", enabled=False)
            ```
        """
        warn_checkpoint_during(checkpoint_during)
        body = build.create_body(
            schedule=schedule,
            input=input,
            config=config,
            metadata=metadata,
            context=context,
            assistant_id=assistant_id,
            checkpoint_during=checkpoint_during,
            interrupt_before=interrupt_before,
            interrupt_after=interrupt_after,
            webhook=webhook,
            on_run_completed=on_run_completed,
            end_time=end_time,
            enabled=enabled,
            timezone=timezone,
            stream_mode=stream_mode,
            stream_subgraphs=stream_subgraphs,
            stream_resumable=stream_resumable,
            durability=durability,
            multitask_strategy=multitask_strategy,
        )
        return cast(Run, self.http.post("/runs/crons", json=body, headers=headers, params=params))

    def delete(
        self,
        cron_id: str,
        *,
        headers: Mapping[str, str] | None = None,
        params: QueryParamTypes | None = None,
    ) -> None:
        """Delete a cron.

        Example:
            ```python
            client.crons.delete(cron["cron_id"])
            ```
        """
        self.http.delete(path("/runs/crons/{}", cron_id), headers=headers, params=params)

    def update(
        self,
        cron_id: str,
        *,
        schedule: str | None = None,
        end_time: datetime | None = NOT_PROVIDED,
        input: Input | None = None,
        metadata: Mapping[str, Any] | None = None,
        config: Config | None = None,
        context: Context | None = None,
        webhook: str | None = None,
        interrupt_before: All | list[str] | None = None,
        interrupt_after: All | list[str] | None = None,
        on_run_completed: OnCompletionBehavior | None = None,
        enabled: bool | None = None,
        timezone: str | tzinfo | None = None,
        stream_mode: StreamMode | Sequence[StreamMode] | None = None,
        stream_subgraphs: bool | None = None,
        stream_resumable: bool | None = None,
        durability: Durability | None = None,
        headers: Mapping[str, str] | None = None,
        params: QueryParamTypes | None = None,
    ) -> Cron:
        """Change a cron. Fields left as ``None`` keep their value.

        Args:
            end_time: A new end time; ``None`` removes the end time (the cron runs forever).

        Example:
            ```python
            cron = client.crons.update(cron_id, enabled=False, end_time=None)
            ```
        """
        body = build.update_body(
            schedule=schedule,
            input=input,
            metadata=metadata,
            config=config,
            context=context,
            webhook=webhook,
            interrupt_before=interrupt_before,
            interrupt_after=interrupt_after,
            on_run_completed=on_run_completed,
            enabled=enabled,
            timezone=timezone,
            stream_mode=stream_mode,
            stream_subgraphs=stream_subgraphs,
            stream_resumable=stream_resumable,
            durability=durability,
            end_time=end_time,
        )
        return cast(
            Cron,
            self.http.patch(
                path("/runs/crons/{}", cron_id), json=body, headers=headers, params=params
            ),
        )

    def search(
        self,
        *,
        assistant_id: str | None = None,
        thread_id: str | None = None,
        enabled: bool | None = None,
        metadata: Json = None,
        limit: int = 10,
        offset: int = 0,
        sort_by: CronSortBy | None = None,
        sort_order: SortOrder | None = None,
        select: list[CronSelectField] | None = None,
        headers: Mapping[str, str] | None = None,
        params: QueryParamTypes | None = None,
    ) -> list[Cron]:
        """Find crons by assistant, thread, state or metadata.

        Example:
            ```python
            crons = client.crons.search(assistant_id="trivial", enabled=True)
            ```
        """
        body = build.search_body(
            assistant_id=assistant_id,
            thread_id=thread_id,
            enabled=enabled,
            limit=limit,
            offset=offset,
            metadata=metadata,
            sort_by=sort_by,
            sort_order=sort_order,
            select=select,
        )
        return cast(
            list[Cron],
            self.http.post("/runs/crons/search", json=body, headers=headers, params=params),
        )

    def count(
        self,
        *,
        assistant_id: str | None = None,
        thread_id: str | None = None,
        metadata: Json = None,
        headers: Mapping[str, str] | None = None,
        params: QueryParamTypes | None = None,
    ) -> int:
        """Count the crons matching the filters.

        Example:
            ```python
            client.crons.count(thread_id=thread_id)
            ```
        """
        body = build.count_body(assistant_id=assistant_id, thread_id=thread_id, metadata=metadata)
        return cast(
            int,
            self.http.post("/runs/crons/count", json=body, headers=headers, params=params),
        )
