"""Runs: admission under a multitask strategy, cancel, wait and join.

Admission is decided atomically per thread inside one `ThreadTransaction`, by the
rules of `lifecycle`, so two concurrent creates (or two `Command(resume)`) can never
both pass a `reject`.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Sequence
from typing import Any

from tether.errors import Conflict, InvalidInput, NotFound
from tether.graphs import WebhookSettings
from tether.ids import EventId, is_uuid, uuid7
from tether.ports import EventLog, QueueStats, RunStore, Signals, ThreadStore
from tether.records import (
    SCOPE_CONTROL,
    SCOPE_THREAD,
    NewEvent,
    RunRecord,
    ThreadRecord,
    now_iso,
)
from tether.serialization import dumps, loads
from tether.services import lifecycle
from tether.services.assistants import AssistantService
from tether.services.lifecycle import Cancelled
from tether.services.threads import check_thread_id, new_thread
from tether.services.webhook_policy import check_webhook
from tether.tracing import creation_context
from tether.worker import protocol_stream
from tether.worker.stream_modes import STREAM_MODES

BUSY = "Thread is already running a task. Wait for it to finish or choose a different multitask strategy."
NOTHING_TO_RESUME = "Thread has no pending interrupt to resume (strict_resume)."
#: How often a waiter double-checks the run row, in case the log's end never comes.
_RUN_CHECK_SECONDS = 1.0
NOTHING_TO_CANCEL = (
    "No matching runs to cancel. Please verify the thread ID and run IDs are correct,"
    " and the runs haven't been deleted or completed."
)


def normalize_modes(stream_mode: str | Sequence[str] | None) -> list[str]:
    modes = [stream_mode] if isinstance(stream_mode, str) else list(stream_mode or ["values"])
    for mode in modes:
        if mode not in STREAM_MODES:
            raise InvalidInput(
                f"Invalid stream_mode {mode!r}: must be one of {', '.join(STREAM_MODES)}"
            )
    return list(dict.fromkeys(modes)) or ["values"]


class RunService:
    def __init__(
        self,
        *,
        threads: ThreadStore,
        runs: RunStore,
        events: EventLog,
        signals: Signals,
        assistants: AssistantService,
        retention_seconds: float,
        webhooks: WebhookSettings | None = None,
    ) -> None:
        self.threads = threads
        self.runs = runs
        self.events = events
        self.signals = signals
        self.assistants = assistants
        self.retention_seconds = retention_seconds
        #: The `ttl` of threads a run creates (langgraph.json's `checkpointer.ttl`).
        self.default_thread_ttl: dict[str, Any] | None = None
        self.webhook_settings = webhooks or WebhookSettings()

    async def create(
        self,
        thread_id: str | None,
        payload: dict[str, Any],
        *,
        stateless: bool = False,
        thread_metadata: dict[str, Any] | None = None,
    ) -> RunRecord:
        """Admit a run. `payload` is a validated run-create body; a thread the run creates
        (stateless, or `if_not_exists: create`) also gets `thread_metadata` (its owner)."""
        named = payload["assistant_id"]
        assistant_id = self.assistants.lookup_id(named)
        await check_webhook(payload.get("webhook"), self.webhook_settings)
        if stateless:
            thread_id = uuid7()
        else:
            check_thread_id(thread_id or "")
        assert thread_id is not None
        strict = bool(payload.get("strict_resume")) and "resume" in (payload.get("command") or {})
        # The assistant is read with the admission (one round trip less on a backend that
        # reads both at once), so the run is made from it as it is then.
        async with self.threads.transaction(thread_id, assistant_id=assistant_id) as tx:
            assistant = await tx.get_assistant(assistant_id)
            if assistant is None:
                raise self.assistants.not_found(named)
            run, create_thread = self._new_run(
                thread_id, payload, assistant, stateless, thread_metadata
            )
            admitted = await lifecycle.admit(
                tx,
                run,
                strict_resume=strict,
                create_thread=create_thread,
                inherit_metadata=not stateless,
            )
        if not admitted.thread_found:
            raise NotFound("Thread or assistant not found.")
        if admitted.rejected:
            raise Conflict(NOTHING_TO_RESUME if strict else BUSY)
        await self.announce(admitted.cancelled)
        await self.signals.notify_work()
        assert admitted.run is not None
        return admitted.run

    def _new_run(
        self,
        thread_id: str,
        payload: dict[str, Any],
        assistant: dict[str, Any],
        stateless: bool,
        thread_metadata: dict[str, Any] | None,
    ) -> tuple[RunRecord, ThreadRecord | None]:
        """The run a create body asks for, and the thread it creates, if any."""
        graph_id = assistant["graph_id"]
        strategy = payload.get("multitask_strategy") or "enqueue"
        create_thread = None
        if stateless or payload.get("if_not_exists") == "create":
            create_thread = new_thread(
                thread_id,
                {
                    **(thread_metadata or {}),
                    "graph_id": graph_id,
                    "assistant_id": assistant["assistant_id"],
                },
                self.default_thread_ttl,
            )
        after_seconds = payload.get("after_seconds") or 0
        if isinstance(after_seconds, float) and after_seconds.is_integer():
            after_seconds = int(after_seconds)
        run_id = uuid7()
        config = dict(payload.get("config") or {})
        configurable = dict(config.get("configurable") or {})
        configurable.setdefault("user_id", "")
        configurable.update(
            __after_seconds__=after_seconds,
            run_id=run_id,
            thread_id=thread_id,
            graph_id=graph_id,
            assistant_id=assistant["assistant_id"],
        )
        config["configurable"] = configurable
        # A run carries its thread's metadata (added on admission), then its own.
        run_metadata = {
            "created_by": "system",
            "graph_id": graph_id,
            "assistant_id": assistant["assistant_id"],
            **(payload.get("metadata") or {}),
        }
        config["metadata"] = {**(config.get("metadata") or {}), **run_metadata}
        now = now_iso()
        run = RunRecord(
            run_id=run_id,
            thread_id=thread_id,
            assistant_id=assistant["assistant_id"],
            graph_id=graph_id,
            status="pending",
            metadata=run_metadata,
            kwargs={
                "input": payload.get("input"),
                "command": payload.get("command"),
                "config": config,
                "context": payload.get("context") or {},
                "stream_mode": normalize_modes(payload.get("stream_mode")),
                "interrupt_before": payload.get("interrupt_before"),
                "interrupt_after": payload.get("interrupt_after"),
                "webhook": payload.get("webhook"),
                "feedback_keys": payload.get("feedback_keys"),
                "temporary": stateless and (payload.get("on_completion") or "delete") == "delete",
                "subgraphs": bool(payload.get("stream_subgraphs")),
                "resumable": bool(payload.get("stream_resumable")),
                "checkpoint_during": payload.get("checkpoint_during") is not False,
                "durability": payload.get("durability") or "async",
                # Set by the thread-centric protocol (v3): the run logs protocol events.
                **(
                    {"stream_protocol": payload["stream_protocol"]}
                    if payload.get("stream_protocol")
                    else {}
                ),
                **{
                    key: payload[key]
                    for key in ("checkpoint", "checkpoint_id")
                    if payload.get(key) is not None
                },
            },
            multitask_strategy=strategy,
            created_at=now,
            updated_at=now,
            delay_seconds=float(after_seconds) if after_seconds > 0 else 0.0,
            on_completion=(payload.get("on_completion") or "delete") if stateless else None,
            assistant={
                "config": assistant.get("config") or {},
                "context": assistant.get("context") or {},
            },
            # The request's span, when traced: the run's span joins its trace.
            trace_context=creation_context(),
        )
        return run, create_thread

    async def cancel_where(
        self,
        *,
        thread_id: str | None,
        run_ids: Sequence[str] | None,
        status: str | None,
        action: str,
        reason: str,
    ) -> Cancelled:
        """Cancel the in-flight runs that match, thread by thread, and announce it."""
        found = await self.runs.find_inflight(
            thread_id=thread_id,
            run_ids=run_ids,
            status=status if status in lifecycle.INFLIGHT else None,
        )
        by_thread: dict[str, list[RunRecord]] = {}
        for run in found:
            by_thread.setdefault(run.thread_id, []).append(run)
        cancelled = Cancelled()
        for on_thread, runs in by_thread.items():
            async with self.threads.transaction(on_thread) as tx:
                cancelled.extend(await lifecycle.cancel(tx, runs, action, reason))
        await self.announce(cancelled)
        return cancelled

    async def announce(self, cancelled: Cancelled) -> None:
        """Tell the workers of flagged runs to stop them; close the logs of ended ones."""
        for run in cancelled.flagged:
            await self.signals.notify_cancel(run.run_id)
        for run in cancelled.ended:
            await self.end_log(run, {"status": "interrupted", "result": None})

    async def end_log(self, run: RunRecord, end: dict[str, Any]) -> None:
        """Close a run's event log with its end record (`{"status", "result"}`)."""
        protocol_end = (
            protocol_stream.end_events(run.graph_id, str(end.get("status")), None, False)
            if run.kwargs.get("stream_protocol") == protocol_stream.PROTOCOL
            else []
        )
        await self.events.end_run(
            run.thread_id,
            run.run_id,
            [
                *protocol_end,
                NewEvent("end", dumps(end), "end", scope=SCOPE_CONTROL),
                NewEvent(
                    "metadata",
                    dumps({"status": "run_done", "run_id": run.run_id}),
                    "lifecycle",
                    SCOPE_THREAD,
                ),
            ],
            retain_seconds=self.retention_seconds,
        )

    async def get(self, thread_id: str | None, run_id: str) -> RunRecord:
        if thread_id is not None:
            check_thread_id(thread_id)
            if await self.threads.get_thread(thread_id) is None:
                raise NotFound(f"Thread with ID {thread_id} not found")
        run = await self.runs.get_run(check_run_id(run_id))
        if run is None or (thread_id is not None and run.thread_id != thread_id):
            raise NotFound("Run not found")
        return run

    async def list_runs(
        self, thread_id: str, *, limit: int, offset: int, status: str | None
    ) -> list[RunRecord]:
        check_thread_id(thread_id)
        if await self.threads.get_thread(thread_id) is None:
            raise NotFound(f"Thread with ID {thread_id} not found")
        return await self.runs.list_runs(thread_id, limit=limit, offset=offset, status=status)

    async def delete(self, thread_id: str, run_id: str) -> None:
        run = await self.get(thread_id, run_id)
        async with self.threads.transaction(run.thread_id) as tx:
            current = await tx.get_run(run.run_id)
            if current is not None and not current.done:
                raise Conflict("Run is still in progress: cancel it before deleting it")
            await tx.delete_run(run.run_id)

    async def cancel(self, thread_id: str, run_id: str, *, action: str) -> RunRecord:
        check_thread_id(thread_id)
        run = await self.runs.get_run(check_run_id(run_id))
        if run is None or run.thread_id != thread_id:
            raise NotFound("No runs found to cancel.")
        cancelled = await self.cancel_where(
            thread_id=thread_id, run_ids=[run_id], status=None, action=action, reason="user"
        )
        if not cancelled:
            raise NotFound(NOTHING_TO_CANCEL)
        return run

    async def cancel_many(
        self, *, thread_id: str | None, run_ids: list[str] | None, status: str | None, action: str
    ) -> None:
        if thread_id is not None:
            check_thread_id(thread_id)
        for run_id in run_ids or []:
            check_run_id(run_id)
        if status is None and not run_ids and thread_id is None:
            raise InvalidInput("Provide either status, or thread_id and run_ids")
        cancelled = await self.cancel_where(
            thread_id=thread_id,
            run_ids=run_ids,
            status=status if status != "all" else None,
            action=action,
            reason="user",
        )
        if not cancelled:
            raise NotFound(NOTHING_TO_CANCEL)

    async def find(self, run_id: str) -> RunRecord | None:
        """The run by id, wherever it is (None if unknown)."""
        return await self.runs.get_run(run_id)

    async def queue_stats(self) -> QueueStats:
        return await self.runs.queue_stats()

    async def outcome(
        self, run: RunRecord, timeout: float, *, fresh: bool = False
    ) -> dict[str, Any] | None:
        """Wait up to `timeout` seconds for the run to end: its end record
        `{"status", "result"}`, or None if it is still going.

        `fresh`: the run was just created, so its whole log can be followed from the
        start without looking it up first."""
        deadline = time.monotonic() + timeout
        if fresh:
            return await self._follow_to_end(run, None, deadline)
        current = await self.runs.get_run(run.run_id)
        if current is not None and current.done:
            return {"status": current.status, "result": current.result}
        cursor = (await self.events.bounds(run.run_id)).last
        if current is None:
            cursor = None  # deleted (stateless or rolled back): its end is in the log
        else:
            # The run may have ended between the two reads: its end marker is then before the cursor.
            current = await self.runs.get_run(run.run_id)
            if current is not None and current.done:
                return {"status": current.status, "result": current.result}
        return await self._follow_to_end(run, cursor, deadline)

    async def _follow_to_end(
        self, run: RunRecord, cursor: EventId | None, deadline: float
    ) -> dict[str, Any] | None:
        next_check = time.monotonic() + _RUN_CHECK_SECONDS
        idle = max(0.0, min(deadline - time.monotonic(), _RUN_CHECK_SECONDS))
        tail = self.events.tail_run(run.run_id, cursor, idle=idle)
        async with contextlib.aclosing(tail):
            async for event in tail:
                if event is not None and event.scope == SCOPE_CONTROL:
                    end: dict[str, Any] = loads(event.data)
                    return end
                now = time.monotonic()
                if now >= deadline:
                    return None
                if event is None and now >= next_check:
                    # A guarantee behind the log: the run row itself.
                    next_check = now + _RUN_CHECK_SECONDS
                    current = await self.runs.get_run(run.run_id)
                    if current is None or current.done:
                        return {
                            "status": current.status if current else "interrupted",
                            "result": current.result if current else None,
                        }
        return None


def check_run_id(run_id: str) -> str:
    if not is_uuid(run_id):
        raise InvalidInput("Invalid run ID: must be a UUID")
    return run_id
