"""The run and thread lifecycle: every rule about statuses, written once above the ports.

Pure rules first (no I/O): multitask admission, what a cancel does, the thread's status
once its runs change, the defaults a thread takes from its runs. Then the transitions,
each one `ThreadTransaction` of the backend: admit a run, end a run, cancel runs. A
backend only stores what these decide, so a second backend never copies a rule.

Run statuses: `pending -> running -> success | error | timeout | interrupted`.
Thread statuses: `busy` while any run on it is pending or running, else `interrupted`
(a pending interrupt or next step), `error` (its last run failed) or `idle`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from tether.ports import ThreadTransaction
from tether.records import RunRecord, ThreadRecord

INFLIGHT = ("pending", "running")
FINAL = ("success", "error", "timeout", "interrupted")

#: Actions of a cancel request.
INTERRUPT = "interrupt"
ROLLBACK = "rollback"


@dataclass(frozen=True)
class Admission:
    """What to do with a new run given the runs already in flight on its thread."""

    #: Refuse the new run (409).
    reject: bool = False
    #: In-flight runs to cancel first, with `cancel_action`.
    cancel: tuple[str, ...] = ()
    cancel_action: str = INTERRUPT


def admission(
    strategy: str, *, strict_resume: bool, thread: ThreadRecord, inflight: Sequence[RunRecord]
) -> Admission:
    """The multitask strategy applied to the runs in flight on the thread.

    `enqueue` queues behind them, `reject` refuses, `interrupt` and `rollback` cancel
    them with that action. `strict_resume` refuses a resume when another run is on
    its way (perhaps resuming too) or nothing waits for an answer."""
    if strict_resume and (inflight or not thread.interrupts):
        return Admission(reject=True)
    if not inflight or strategy == "enqueue":
        return Admission()
    if strategy == "reject":
        return Admission(reject=True)
    action = ROLLBACK if strategy == "rollback" else INTERRUPT
    return Admission(cancel=tuple(r.run_id for r in inflight), cancel_action=action)


def thread_status(wanted: str, inflight: Sequence[RunRecord]) -> str:
    """A thread is busy while any run on it is in flight; otherwise it takes `wanted`."""
    return "busy" if inflight else wanted


def resting_status(thread: ThreadRecord) -> str:
    """The status a thread returns to when a run on it ends without touching its state
    (a cancelled pending run): what its last state said."""
    if thread.error is not None and thread.status == "error":
        return "error"
    return "interrupted" if thread.interrupts else "idle"


def merge_metadata(current: dict[str, Any], patch: dict[str, Any] | None) -> dict[str, Any]:
    """Metadata updates merge key by key; they never drop keys."""
    return {**current, **(patch or {})}


def thread_changes_on_admit(thread: ThreadRecord, run: RunRecord) -> dict[str, Any]:
    """A thread becomes busy; the first run on it names its graph and assistant, and gives
    it an empty `configurable` (the official server's shape)."""
    changes: dict[str, Any] = {"status": "busy"}
    if "graph_id" not in thread.metadata:
        changes["metadata"] = merge_metadata(
            thread.metadata, {"graph_id": run.graph_id, "assistant_id": run.assistant_id}
        )
    if "configurable" not in thread.config:
        changes["config"] = {**thread.config, "configurable": {}}
    return changes


def thread_changes_on_start(thread_metadata: dict[str, Any], run: RunRecord) -> dict[str, Any]:
    """The thread's state is read with the graph of the run that last started on it
    (no change when its metadata already names that run's graph and assistant)."""
    metadata = merge_metadata(
        thread_metadata, {"graph_id": run.graph_id, "assistant_id": run.assistant_id}
    )
    return {} if metadata == thread_metadata else {"metadata": metadata}


@dataclass
class Cancelled:
    """What a cancel did."""

    #: Pending runs that ended at once (interrupted, or deleted on rollback).
    ended: list[RunRecord] = field(default_factory=list)
    #: Running runs flagged for cancellation: their workers stop them.
    flagged: list[RunRecord] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.ended or self.flagged)

    def extend(self, other: Cancelled) -> None:
        self.ended += other.ended
        self.flagged += other.flagged


@dataclass
class Admitted:
    #: The created run; None when the thread was missing or the run was rejected.
    run: RunRecord | None
    thread_found: bool = True
    rejected: bool = False
    cancelled: Cancelled = field(default_factory=Cancelled)


# -- transitions: each runs inside one ThreadTransaction --------------------------------


def run_on_thread(run: RunRecord, thread: ThreadRecord) -> RunRecord:
    """A run on an existing thread carries the thread's metadata, then its own (in its
    record and in its config's metadata, as the official server's runs do)."""
    if not thread.metadata:
        return run
    config = dict(run.kwargs.get("config") or {})
    config["metadata"] = {**(config.get("metadata") or {}), **thread.metadata, **run.metadata}
    return replace(
        run,
        metadata={**thread.metadata, **run.metadata},
        kwargs={**run.kwargs, "config": config},
    )


async def admit(
    tx: ThreadTransaction,
    run: RunRecord,
    *,
    strict_resume: bool,
    create_thread: ThreadRecord | None,
    inherit_metadata: bool = True,
) -> Admitted:
    """Create the thread if asked and missing, apply the multitask strategy to the runs
    in flight, queue `run` (unless rejected) and mark the thread busy. With
    `inherit_metadata`, a run on a thread that existed takes its metadata
    (`run_on_thread`)."""
    thread = await tx.get_thread()
    if thread is None:
        if create_thread is None:
            return Admitted(run=None, thread_found=False)
        await tx.insert_thread(create_thread)
        thread = create_thread
    elif inherit_metadata:
        run = run_on_thread(run, thread)
    inflight = await tx.inflight_runs()
    decision = admission(
        run.multitask_strategy, strict_resume=strict_resume, thread=thread, inflight=inflight
    )
    if decision.reject:
        return Admitted(run=None, rejected=True)
    to_cancel = [r for r in inflight if r.run_id in decision.cancel]
    cancelled = await cancel(
        tx, to_cancel, decision.cancel_action, f"multitask:{run.multitask_strategy}"
    )
    await tx.insert_run(run)
    if cancelled.ended:  # `cancel` rewrote the thread's status: start from what it wrote
        thread = await tx.get_thread() or thread
    await tx.update_thread(thread_changes_on_admit(thread, run))
    return Admitted(run=run, cancelled=cancelled)


async def cancel(
    tx: ThreadTransaction, runs: Sequence[RunRecord], action: str, reason: str
) -> Cancelled:
    """Cancel in-flight runs of the transaction's thread: a pending run ends at once
    (deleted on rollback, else `interrupted`); a running one is flagged for its worker.
    Runs that are no longer in flight are left alone."""
    result = Cancelled()
    ended_any = False
    for listed in runs:
        run = await tx.get_run(listed.run_id)
        if run is None or run.status not in INFLIGHT:
            continue
        if run.status == "pending":
            if action == ROLLBACK:
                await tx.delete_run(run.run_id)
            else:
                await tx.update_run(
                    run.run_id,
                    {"status": "interrupted", "cancel_action": action, "cancel_reason": reason},
                )
            run.status = "interrupted"
            result.ended.append(run)
            ended_any = True
        else:
            await tx.update_run(run.run_id, {"cancel_action": action, "cancel_reason": reason})
            run.cancel_action, run.cancel_reason = action, reason
            result.flagged.append(run)
    if ended_any:
        thread = await tx.get_thread()
        if thread is not None:
            status = thread_status(resting_status(thread), await tx.inflight_runs())
            await tx.update_thread({"status": status})
    return result


@dataclass(frozen=True)
class RunEnd:
    """How an attempt ended, as the worker saw it."""

    #: The run's final status.
    status: str
    #: What `/wait` and `/join` return.
    result: Any
    #: The thread's status once no other run is in flight.
    thread_status: str
    #: The thread's new state fields (`values`, `interrupts`, `error`, `state_updated_at`).
    thread_state: dict[str, Any]
    #: A rolled-back run is deleted.
    delete_run: bool = False
    #: A stateless run's temporary thread goes with it.
    delete_thread: bool = False


@dataclass(frozen=True)
class Finished:
    """An attempt's end was written."""

    #: Runs still in flight on the thread (queued behind the one that ended): a worker
    #: should be told there is work.
    waiting: int


async def finish(tx: ThreadTransaction, run: RunRecord, end: RunEnd) -> Finished | None:
    """End an attempt: the run's status and the thread's in one transaction. Refused
    (None, nothing written) when the run is no longer `running` under `run.attempt`:
    a stale attempt never overwrites the current one (fencing)."""
    current = await tx.get_run(run.run_id)
    if current is None or current.attempt != run.attempt or current.status != "running":
        return None
    if end.delete_thread:
        await tx.delete_thread()
        return Finished(waiting=0)
    # Read before writing (a backend may have read both as the transaction opened).
    inflight = [r for r in await tx.inflight_runs() if r.run_id != run.run_id]
    if end.delete_run:
        await tx.delete_run(run.run_id)
    else:
        await tx.update_run(run.run_id, {"status": end.status, "result": end.result})
    await tx.update_thread(
        {**end.thread_state, "status": thread_status(end.thread_status, inflight)}
    )
    return Finished(waiting=len(inflight))
