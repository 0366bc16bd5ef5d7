"""The narrow waist between services and backends.

Services hold the rules (validation, multitask admission, the run and thread state
machine: `tether.services.lifecycle`); backends only store and move data. A backend is
chosen by URL scheme and passes the port conformance suite (`tests/ports/`) like every
other. Each method's docstring is its whole contract: a backend that honours them, and
nothing more, is correct.

Ports:

- `AssistantStore`, `CronStore`: records with search.
- `ThreadStore`: threads, and `transaction(thread_id)`, the one atomic unit of work on a
  thread and its runs (admission, finishing a run, cancelling) that the rules run inside.
- `RunStore`: reading runs, and the run queue (claims with leases, fencing by attempt).
- `EventLog`: append-only logs of run events with ids the log allocates; `tail` replays
  then follows live with no gap and no duplicate.
- `Signals`: wake-ups and cancel notices between processes.
- `CheckpointAdmin`: thread-level operations on the checkpointer's storage.
- `WebhookOutbox`: webhook deliveries, queued with the run's end, sent at least once.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.store.base import BaseStore

from tether.ids import EventId
from tether.records import NewEvent, RunRecord, StreamEvent, ThreadRecord


@dataclass
class WebhookDelivery:
    """One webhook to POST: `payload` (JSON bytes) to `url`."""

    delivery_id: str
    run_id: str
    url: str
    payload: bytes
    #: Failed attempts so far.
    attempts: int = 0


@dataclass
class QueueStats:
    pending: int
    running: int


@dataclass(frozen=True)
class Claimed:
    """A run a worker has just claimed, with what its start needs to know."""

    run: RunRecord
    #: Its thread's metadata as the run was claimed ({} if the thread is gone).
    thread_metadata: dict[str, Any]


@dataclass(frozen=True)
class Claims:
    """What one claim took, and when to look again."""

    claimed: list[Claimed]
    #: Seconds (backend clock) until the next delayed pending run becomes claimable;
    #: None if no delayed run lies ahead.
    next_in: float | None


@dataclass(frozen=True)
class LogBounds:
    """What a run's event log holds now."""

    first: EventId | None
    last: EventId | None
    #: The log holds the run's end marker: nothing will be appended any more.
    ended: bool
    #: The log was deleted after its retention period (`first`/`last` are then None).
    expired: bool


class AssistantStore(Protocol):
    """Assistants and their numbered versions. Records are plain dicts in the official
    shape (`assistant_id`, `graph_id`, `name`, `description`, `config`, `context`,
    `metadata`, `version`, `created_at`, `updated_at`)."""

    async def create_assistant(
        self, assistant: dict[str, Any], *, if_exists: str
    ) -> dict[str, Any] | None:
        """Insert `assistant` as version 1. If its id exists: return the stored one when
        `if_exists == "do_nothing"`, else None (nothing written)."""

    async def get_assistant(self, assistant_id: str) -> dict[str, Any] | None:
        """The assistant at its latest (current) version, or None."""

    async def update_assistant(
        self, assistant_id: str, patch: dict[str, Any]
    ) -> dict[str, Any] | None:
        """Write a new version (max version + 1) from the current one with the keys of
        `patch` replaced (`metadata` merged key by key), make it current, and return it.
        None when the assistant does not exist."""

    async def delete_assistant(self, assistant_id: str) -> bool:
        """Delete the assistant and all its versions; False if it did not exist."""

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
    ) -> list[dict[str, Any]]:
        """Current versions whose metadata contains every key/value of `metadata`, of
        `graph_id`, whose name contains `name` (case-insensitive), sorted by `sort_by`
        (an unknown column sorts by `created_at`), then paged."""

    async def count_assistants(
        self, *, metadata: dict[str, Any] | None, graph_id: str | None, name: str | None
    ) -> int:
        """How many assistants `search_assistants` would match without paging."""

    async def assistant_versions(
        self, assistant_id: str, *, metadata: dict[str, Any] | None, limit: int, offset: int
    ) -> list[dict[str, Any]]:
        """Every version of the assistant (newest first) whose metadata matches."""

    async def set_latest_version(self, assistant_id: str, version: int) -> dict[str, Any] | None:
        """Make an existing version current; None when there is no such version."""


class ThreadTransaction(Protocol):
    """One atomic unit of work on one thread and its runs.

    Everything done through it commits together when the `ThreadStore.transaction`
    block ends, or not at all if the block raises. Transactions on the same thread
    are serialised with each other and with `RunStore.claim_runs` (a claim never sees
    half of one). Reads see the transaction's own writes."""

    thread_id: str

    async def get_thread(self) -> ThreadRecord | None:
        """The thread, or None if it does not exist."""

    async def insert_thread(self, thread: ThreadRecord) -> None:
        """Create the thread (its id is `thread_id`; it does not exist yet)."""

    async def update_thread(self, changes: dict[str, Any]) -> None:
        """Set the given `ThreadRecord` fields to exactly these values (no merging) and
        `updated_at` to now unless given. Nothing happens if the thread is missing."""

    async def delete_thread(self) -> bool:
        """Delete the thread, its runs and its crons; False if it did not exist."""

    async def inflight_runs(self) -> list[RunRecord]:
        """The thread's runs whose status is `pending` or `running`, in queue order."""

    async def get_run(self, run_id: str) -> RunRecord | None:
        """A run of this thread (None if missing or on another thread)."""

    async def get_assistant(self, assistant_id: str) -> dict[str, Any] | None:
        """An assistant (None if missing), read in the transaction: a run admitted in it
        is made from the assistant as it is then."""

    async def insert_run(self, run: RunRecord) -> None:
        """Add a run to the queue. It becomes claimable `run.delay_seconds` after now on
        the backend's clock, and runs after every earlier-inserted run of its thread. Reads
        and claims give back the fields it was inserted with (`trace_context` included)."""

    async def update_run(self, run_id: str, changes: dict[str, Any]) -> None:
        """Set the given `RunRecord` fields (`status`, `result`, `cancel_action`,
        `cancel_reason`, ...) and `updated_at`. Setting a final status also sets
        `ended_at` to now and drops the run's lease."""

    async def delete_run(self, run_id: str) -> None:
        """Delete the run (no-op when missing)."""

    async def add_webhook(self, delivery: WebhookDelivery) -> None:
        """Queue a webhook delivery, due now, committed with the rest of the transaction
        (a run's end and its webhook are stored together or not at all)."""

    async def end_run_log(
        self, run_id: str, events: Sequence[NewEvent], *, retain_seconds: float
    ) -> None:
        """End the run's log as `EventLog.end_run` does, with the transaction: its
        readers see the events only once it has committed, never if it rolls back. A
        backend whose log shares the transaction's storage stores them in it (a run's
        final status and its end marker then exist together or not at all); another
        appends them just after the commit."""


class ThreadStore(Protocol):
    """Threads (their record: metadata, status, values, interrupts, TTL)."""

    def transaction(
        self, thread_id: str, *, run_id: str | None = None, assistant_id: str | None = None
    ) -> AbstractAsyncContextManager[ThreadTransaction]:
        """Open the atomic unit of work on `thread_id` (see `ThreadTransaction`).
        `run_id` names a run the work reads first (`get_run`): a backend may read it,
        locked, as the transaction opens; `assistant_id` likewise an assistant it reads
        (`get_assistant`)."""

    async def create_thread(self, thread: ThreadRecord, *, if_exists: str) -> ThreadRecord | None:
        """Insert; if the id exists return the stored thread when `if_exists ==
        "do_nothing"`, else None (nothing written)."""

    async def get_thread(self, thread_id: str) -> ThreadRecord | None:
        """The thread, or None."""

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
    ) -> list[ThreadRecord]:
        """Threads among `ids` whose metadata and values contain every given key/value
        (JSON equality) with `status`, sorted by `sort_by` (unknown: `created_at`), paged."""

    async def count_threads(
        self, *, metadata: dict[str, Any] | None, values: dict[str, Any] | None, status: str | None
    ) -> int:
        """How many threads `search_threads` would match without `ids` and paging."""

    async def expired_threads(self, limit: int = 100) -> list[ThreadRecord]:
        """Up to `limit` threads, not busy, with a TTL (`ttl["ttl"]` minutes) that has
        passed since their `updated_at`."""


class CronStore(Protocol):
    """Cron jobs. Records are dicts in the official shape plus `payload` (the run body)."""

    async def create_cron(self, cron: dict[str, Any]) -> dict[str, Any]:
        """Insert and return the stored cron."""

    async def get_cron(self, cron_id: str) -> dict[str, Any] | None:
        """The cron, or None."""

    async def update_cron(self, cron_id: str, changes: dict[str, Any]) -> dict[str, Any] | None:
        """Set the given fields; return the updated cron, or None if it does not exist."""

    async def delete_cron(self, cron_id: str) -> bool:
        """Delete; False if it did not exist."""

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
    ) -> list[dict[str, Any]]:
        """Crons matching every given filter, sorted (unknown column: `created_at`), paged."""

    async def count_crons(
        self, *, assistant_id: str | None, thread_id: str | None, metadata: dict[str, Any] | None
    ) -> int:
        """How many crons `search_crons` would match without paging."""

    async def claim_due(
        self, now_iso: str, next_run: Callable[[dict[str, Any]], str | None]
    ) -> list[dict[str, Any]]:
        """Enabled crons whose `next_run_date` is at or before `now_iso`, each moved on to
        `next_run(cron)` (None disables it) in the same transaction, so that one due tick
        is returned to exactly one caller across every process."""

    async def next_due(self) -> str | None:
        """The earliest `next_run_date` of an enabled cron, or None."""


class RunStore(Protocol):
    """Reading runs, and the run queue: claims with leases, fencing by attempt.

    Runs are written through `ThreadStore.transaction`; the queue operations below
    are the only writes outside one. Lease times are on the backend's clock."""

    async def get_run(self, run_id: str) -> RunRecord | None:
        """The run, or None."""

    async def list_runs(
        self, thread_id: str, *, limit: int, offset: int, status: str | None
    ) -> list[RunRecord]:
        """The thread's runs with `status` (any if None), newest first, paged."""

    async def find_inflight(
        self, *, thread_id: str | None, run_ids: Sequence[str] | None, status: str | None
    ) -> list[RunRecord]:
        """Pending and running runs on `thread_id` among `run_ids` with `status` (each
        filter ignored when None). A snapshot: re-read inside a transaction to act."""

    async def claim_runs(self, worker_id: str, lease_seconds: float, limit: int) -> Claims:
        """Atomically take up to `limit` claimable runs, in queue order: `pending`,
        available (their delay has passed), each the first in queue order of its
        thread, on a thread with no `running` run. Each becomes `running` with
        `attempt + 1`, leased to `worker_id` for `lease_seconds`. Two concurrent claims
        never take the same run, and a thread never has two `running` runs. Fewer than
        `limit` (perhaps none) means nothing else was claimable at that moment. One
        round trip: the claim also says when the next delayed run comes due."""

    async def renew_lease(
        self, run_id: str, attempt: int, lease_seconds: float
    ) -> RunRecord | None:
        """Extend the lease of a `running` run whose attempt is `attempt` and return the
        run (with any `cancel_action` set since). None when the claim was lost: the run
        ended, or another attempt owns it (fencing)."""

    async def release_run(self, run: RunRecord) -> bool:
        """Put a claimed run back in the queue (`pending`, same attempt count) because
        this worker is stopping. False when `run.attempt` no longer owns it."""

    async def hold_presence(self, worker_id: str) -> asyncio.Event | None:
        """Mark `worker_id` alive until `drop_presence(worker_id)` or until this process
        ends in any way, even `kill -9`: the storage drops the mark by itself then, so that
        `requeue_expired` can requeue a dead worker's runs without waiting out their
        leases. Runs this store claims for `worker_id` while the mark is held carry it.
        Returns an event set if the mark is lost while the process lives (the connection
        holding it broke): the caller takes it again, or stops treating those runs as its
        own before others requeue them. None when this storage keeps no marks (one
        process owns every run). Raises when the mark cannot be taken now."""

    async def drop_presence(self, worker_id: str) -> None:
        """Remove the mark `hold_presence` took for `worker_id` (nothing if none)."""

    async def requeue_expired(self, *, absent_for: float = math.inf) -> list[RunRecord]:
        """Put back in the queue, and return, `running` runs whose worker is gone: their
        lease expired, or they carry a presence mark that this store has now seen missing
        for `absent_for` seconds or more (it looks on each call; a mark taken again in
        time keeps its runs). Their next claim is attempt + 1."""

    async def requeue_all_running(self) -> list[RunRecord]:
        """Put every `running` run back in the queue. Only for a backend opened with
        `single_process` (no other process can be running them)."""

    async def queue_stats(self) -> QueueStats:
        """How many runs are pending and running, across all threads."""


class WebhookOutbox(Protocol):
    """Webhook deliveries waiting to be sent (queued by `ThreadTransaction.add_webhook`)."""

    async def claim_webhooks(
        self, worker_id: str, limit: int, lease_seconds: float
    ) -> list[WebhookDelivery]:
        """Up to `limit` deliveries that are due, leased to `worker_id` for
        `lease_seconds` (not due again meanwhile): two callers never get the same one
        while its lease lasts. A delivery whose sender died is due again after it."""

    async def webhook_delivered(self, delivery_id: str) -> None:
        """Forget a delivery that was sent."""

    async def webhook_failed(self, delivery_id: str, *, retry_in_seconds: float | None) -> None:
        """Count a failed attempt; due again in `retry_in_seconds`, or dropped if None."""


class EventLog(Protocol):
    """Append-only event logs, one per run, and a feed per thread.

    The log allocates event ids: strictly increasing within a thread (and so within
    each of its runs), in the official `<ms>-<seq>` shape, compared as integer pairs.
    An event is visible to readers only once committed, and events become visible in
    id order: a reader that has seen id N never later finds an event below N, whatever
    the number of writers and processes.

    The writes (`append`, `append_thread`, `end_run`) store all of their events or none:
    when one raises, none of its events was stored, so the caller may repeat it, except
    for `WriteOutcomeUnknown` (the commit's fate could not be learnt)."""

    async def append(
        self, thread_id: str, run_id: str, events: Sequence[NewEvent]
    ) -> list[StreamEvent]:
        """Append `events` to the run's log, in order, and return them with their ids:
        committed, so kept whatever Tether process dies (a backend may leave the flush to
        disk to the run's next durable write: docs/deploy.md, "Sizing"). They show in the
        run's stream and in the thread feed (except `SCOPE_THREAD` events: thread feed
        only; `SCOPE_CONTROL`: run stream only)."""

    async def append_thread(
        self, thread_id: str, events: Sequence[NewEvent], *, retain_seconds: float
    ) -> list[StreamEvent]:
        """Append thread events (no run: the thread feed only, e.g. state updates), as
        `append` does, kept `retain_seconds`; return them with their ids."""

    async def end_run(
        self,
        thread_id: str,
        run_id: str,
        events: Sequence[NewEvent],
        *,
        retain_seconds: float,
    ) -> list[StreamEvent]:
        """Append the run's last `events` (ending with its `SCOPE_CONTROL` end marker) as
        `append` does, flushed to disk with everything before them, and set the log to
        expire `retain_seconds` from now."""

    def tail_run(
        self, run_id: str, after: EventId | None, *, idle: float
    ) -> AsyncGenerator[StreamEvent | None, None]:
        """Every event of the run's log with an id above `after` (None: from the start),
        then each new one as it is committed: no gap and no duplicate, however appends
        race the reader. Yields None after `idle` seconds without news, so the reader
        can do other work; yields the end marker (`SCOPE_CONTROL`) last and stops. Past
        events are read in bounded pages, yielding the event loop between pages, and
        memory per reader stays bounded however far behind it is."""

    def tail_thread(
        self, thread_id: str, after: EventId | None, *, idle: float
    ) -> AsyncGenerator[StreamEvent | None, None]:
        """The thread feed as `tail_run` reads a run's log (every run and thread event
        of the thread, no end markers); it never stops by itself."""

    async def bounds(self, run_id: str) -> LogBounds:
        """The run's log: first and last ids, ended, expired."""

    async def last_thread_id(self, thread_id: str) -> EventId | None:
        """The highest id in the thread's feed, or None."""

    async def purge_expired(self, limit: int = 1000) -> int:
        """Delete up to `limit` logs (and thread events) whose expiry has passed,
        remembering which runs' logs expired (`bounds(...).expired`). Returns how many."""

    async def delete_thread(self, thread_id: str) -> None:
        """Delete every event of the thread and of its runs."""


class Signals(Protocol):
    """Best-effort notices between processes: a notice may be lost (pollers are the
    guarantee behind each), never invented."""

    async def notify_work(self) -> None:
        """Tell every worker that a run may have become claimable."""

    async def wait_for_work(self, timeout: float) -> None:
        """Return after a `notify_work` since the last call, or after `timeout` seconds."""

    async def notify_cancel(self, run_id: str) -> None:
        """Tell every process that `run_id` was flagged for cancellation."""

    def on_cancel(self, callback: Callable[[str], None]) -> None:
        """Call `callback(run_id)` (on the event loop) for each cancel notice."""

    async def notify_crons(self) -> None:
        """Tell every cron scheduler that the schedule changed."""

    async def wait_for_crons(self, timeout: float) -> None:
        """Return after a `notify_crons` since the last call, or after `timeout` seconds."""


class CheckpointAdmin(Protocol):
    """Thread-level operations on the checkpointer's storage that langgraph has no API for."""

    async def rollback(self, thread_id: str, run_id: str) -> None:
        """Drop every checkpoint the run wrote (langgraph records `run_id` in checkpoint
        metadata) and the pending writes on them."""

    async def copy_thread(self, source_thread_id: str, target_thread_id: str) -> None:
        """Copy every checkpoint and pending write of the source to the (empty) target."""

    async def storage(self, thread_id: str) -> dict[str, Any]:
        """The official ThreadStorage body: bytes the thread's checkpoints occupy."""

    async def delete_thread(self, thread_id: str) -> None:
        """Delete every checkpoint and write of the thread."""

    async def prune_to_latest(self, thread_id: str) -> None:
        """Keep only the newest checkpoint of the thread (per namespace)."""


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
    webhooks: WebhookOutbox
    #: The langgraph checkpointer and store the graphs run with.
    checkpointer: BaseCheckpointSaver[Any]
    store: BaseStore
    close: Callable[[], Any]
    #: True when this process is the only one using the storage (SQLite: the data
    #: folder is locked), so runs left `running` at start lost their worker.
    single_process: bool = False
    #: Raises `tether.errors.StorageFailed` (with what is wrong and where) when a write would
    #: not be stored now: files deleted or replaced, a read-only or full disk. None: the
    #: backend has no check beyond answering a query.
    health: Callable[[], Awaitable[None]] | None = None
