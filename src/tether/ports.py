"""The narrow waist between services and backends.

Services hold the rules (validation, multitask admission, the run state machine);
backends only store and move data. A backend is chosen by URL scheme and must pass
the same conformance tests as every other.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from tether.ids import EventId
from tether.records import NewEvent, RunRecord, StreamEvent, ThreadRecord


@dataclass
class Admission:
    """What to do with a new run given the runs already in flight on its thread."""

    #: Reject with 409 instead of creating the run.
    reject: bool = False
    #: In-flight runs to cancel, with this action ("interrupt" or "rollback").
    cancel: list[str] = field(default_factory=list)
    cancel_action: str = "interrupt"


#: Decides admission inside the backend's transaction: (thread, its in-flight runs) -> Admission.
AdmissionRule = Callable[[ThreadRecord, list[RunRecord]], Admission]


@dataclass
class CancelResult:
    #: Pending runs that ended at once (interrupted, or deleted on rollback).
    ended: list[RunRecord] = field(default_factory=list)
    #: Running runs flagged for cancellation: their workers stop them.
    flagged: list[RunRecord] = field(default_factory=list)


@dataclass
class AdmitResult:
    #: The created run; None when the thread was missing or the run was rejected.
    run: RunRecord | None
    thread_found: bool = True
    rejected: bool = False
    cancelled: CancelResult = field(default_factory=CancelResult)


@dataclass
class QueueStats:
    pending: int
    running: int


class AssistantStore(Protocol):
    async def create_assistant(
        self, assistant: dict[str, Any], *, if_exists: str
    ) -> dict[str, Any] | None:
        """Insert; on an existing id return it ("do_nothing") or None ("raise")."""

    async def get_assistant(self, assistant_id: str) -> dict[str, Any] | None: ...

    async def update_assistant(
        self, assistant_id: str, patch: dict[str, Any]
    ) -> dict[str, Any] | None:
        """Write a new version with the patch applied and make it the latest."""

    async def delete_assistant(self, assistant_id: str) -> bool: ...

    async def search_assistants(
        self,
        *,
        metadata: dict[str, Any] | None,
        graph_id: str | None,
        name: str | None,
        limit: int,
        offset: int,
        sort_by: str,
        sort_order: str,
    ) -> list[dict[str, Any]]: ...

    async def count_assistants(
        self, *, metadata: dict[str, Any] | None, graph_id: str | None, name: str | None
    ) -> int: ...

    async def assistant_versions(
        self, assistant_id: str, *, metadata: dict[str, Any] | None, limit: int, offset: int
    ) -> list[dict[str, Any]]: ...

    async def set_latest_version(
        self, assistant_id: str, version: int
    ) -> dict[str, Any] | None: ...


class ThreadStore(Protocol):
    async def create_thread(self, thread: ThreadRecord, *, if_exists: str) -> ThreadRecord | None:
        """Insert; on an existing id return it ("do_nothing") or None ("raise")."""

    async def get_thread(self, thread_id: str) -> ThreadRecord | None: ...

    async def update_thread(self, thread_id: str, **changes: Any) -> ThreadRecord | None:
        """Set fields; `metadata` is merged into the existing metadata."""

    async def delete_thread(self, thread_id: str) -> bool:
        """Delete the thread, its runs and its event log."""

    async def search_threads(
        self,
        *,
        ids: Sequence[str] | None,
        metadata: dict[str, Any] | None,
        values: dict[str, Any] | None,
        status: str | None,
        limit: int,
        offset: int,
        sort_by: str,
        sort_order: str,
    ) -> list[ThreadRecord]: ...

    async def count_threads(
        self, *, metadata: dict[str, Any] | None, values: dict[str, Any] | None, status: str | None
    ) -> int: ...

    async def expired_threads(self, limit: int = 100) -> list[ThreadRecord]:
        """Threads not busy whose TTL (minutes since their last update) has passed."""


class CronStore(Protocol):
    async def create_cron(self, cron: dict[str, Any]) -> dict[str, Any]: ...

    async def get_cron(self, cron_id: str) -> dict[str, Any] | None: ...

    async def update_cron(self, cron_id: str, changes: dict[str, Any]) -> dict[str, Any] | None: ...

    async def delete_cron(self, cron_id: str) -> bool: ...

    async def search_crons(
        self,
        *,
        assistant_id: str | None,
        thread_id: str | None,
        enabled: bool | None,
        metadata: dict[str, Any] | None,
        limit: int,
        offset: int,
        sort_by: str,
        sort_order: str,
    ) -> list[dict[str, Any]]: ...

    async def count_crons(
        self, *, assistant_id: str | None, thread_id: str | None, metadata: dict[str, Any] | None
    ) -> int: ...

    async def claim_due(
        self, now_iso: str, next_run: Callable[[dict[str, Any]], str | None]
    ) -> list[dict[str, Any]]:
        """Crons due at `now_iso`, each moved on to its next run date in the same transaction."""

    async def next_due(self) -> str | None: ...


class RunStore(Protocol):
    """Runs and the run queue: admission, claims with leases, fencing by attempt."""

    async def admit_run(
        self, run: RunRecord, rule: AdmissionRule, *, create_thread: ThreadRecord | None
    ) -> AdmitResult:
        """Atomically: create the thread if asked and missing, apply `rule` to the
        thread's in-flight runs, insert `run` (unless rejected), mark the thread busy,
        and cancel the runs the rule names."""

    async def get_run(self, run_id: str) -> RunRecord | None: ...

    async def list_runs(
        self, thread_id: str, *, limit: int, offset: int, status: str | None
    ) -> list[RunRecord]: ...

    async def delete_run(self, run_id: str) -> bool: ...

    async def claim_run(self, worker_id: str, lease_seconds: float) -> RunRecord | None:
        """Take the oldest available pending run whose thread has nothing running."""

    async def renew_lease(
        self, run_id: str, attempt: int, lease_seconds: float
    ) -> RunRecord | None:
        """Extend a claim. None when the claim was lost (fenced)."""

    async def finish_run(
        self,
        run: RunRecord,
        *,
        status: str,
        result: Any,
        thread_changes: dict[str, Any],
        delete_run: bool = False,
        delete_thread: bool = False,
    ) -> bool:
        """End an attempt: run status and thread status in one transaction.
        Refused (False) when `run.attempt` is no longer the current attempt."""

    async def request_cancel(
        self,
        *,
        thread_id: str | None,
        run_ids: Sequence[str] | None,
        status: str | None,
        action: str,
        reason: str,
    ) -> CancelResult:
        """Cancel matching pending/running runs: pending ones end at once, running
        ones are flagged for their worker."""

    async def release_run(self, run: RunRecord) -> bool:
        """Give a claimed run back to the queue (this worker is shutting down)."""

    async def requeue_expired(self) -> list[RunRecord]:
        """Put runs whose lease expired back in the queue (their worker died)."""

    async def requeue_all_running(self) -> list[RunRecord]:
        """On start of a single-process deployment: every running run lost its worker."""

    async def next_available_at(self) -> float | None:
        """When the next delayed (`after_seconds`) run becomes available, if any is still ahead."""

    async def queue_stats(self) -> QueueStats: ...


class EventLog(Protocol):
    """Append-only per-run event logs; ids increase strictly within a thread."""

    async def append(
        self, thread_id: str, run_id: str, events: Sequence[NewEvent]
    ) -> list[StreamEvent]: ...

    async def read_run(
        self, run_id: str, after: EventId | None, limit: int = 1000
    ) -> list[StreamEvent]:
        """Events of the run (run scope and the control end marker) strictly after `after`."""

    async def read_thread(
        self, thread_id: str, after: EventId | None, limit: int = 1000
    ) -> list[StreamEvent]:
        """Run- and thread-scope events of every run on the thread after `after`."""

    async def last_id(self, thread_id: str) -> EventId | None: ...

    async def run_log_bounds(self, run_id: str) -> tuple[EventId | None, EventId | None, bool]:
        """(first id, last id, ended) of the run's retained log."""

    async def is_purged(self, run_id: str) -> bool:
        """True when the run's log was dropped after its retention period."""

    async def wait(self, key: str, after: EventId | None, timeout: float) -> None:
        """Return once the log under `key` (a run id or `thread:<id>`) has an event
        after `after`, or after `timeout` seconds."""

    async def purge_ended_before(self, cutoff: float, limit: int = 1000) -> int:
        """Delete the logs of runs that ended before `cutoff` (unix time), remembering
        that they did; returns how many runs' logs went."""

    async def delete_thread(self, thread_id: str) -> None: ...


class Signals(Protocol):
    """Notifications between processes: work to claim, runs to cancel."""

    def notify_work(self) -> None: ...

    async def wait_for_work(self, timeout: float) -> None: ...

    def notify_cancel(self, run_id: str) -> None: ...

    def on_cancel(self, callback: Callable[[str], None]) -> None: ...


class CheckpointAdmin(Protocol):
    """Thread-level operations on the checkpointer's storage that langgraph has no API for."""

    async def rollback(self, thread_id: str, run_id: str) -> None:
        """Drop every checkpoint the run wrote (and the pending writes on them)."""

    async def copy_thread(self, source_thread_id: str, target_thread_id: str) -> None: ...

    async def storage(self, thread_id: str) -> dict[str, Any]:
        """The official ThreadStorage body: bytes the thread's checkpoints occupy."""

    async def delete_thread(self, thread_id: str) -> None: ...

    async def prune_to_latest(self, thread_id: str) -> None:
        """Keep only the newest checkpoint of the thread."""


@dataclass
class Backend:
    """Everything a deployment stores, opened by a URL and closed in reverse."""

    assistants: AssistantStore
    threads: ThreadStore
    runs: RunStore
    crons: CronStore
    events: EventLog
    signals: Signals
    checkpoints: CheckpointAdmin
    #: The langgraph checkpointer and store the graphs run with.
    checkpointer: Any
    store: Any
    close: Callable[[], Any]
