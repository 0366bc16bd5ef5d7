"""Executing one claimed run: stream the graph into the event log, then end the run,
its thread's status and its log in one transaction (refused if the claim was lost)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from tether.errors import StorageFailed
from tether.graphs import GraphRegistry
from tether.logs import run_fields
from tether.metrics import Metrics
from tether.ports import Backend, ThreadTransaction
from tether.records import SCOPE_CONTROL, SCOPE_THREAD, NewEvent, RunRecord, now_iso
from tether.serialization import dumps, to_jsonable
from tether.services import lifecycle
from tether.services.run_config import run_config, run_context, run_input, thread_config
from tether.services.state import snapshot_interrupts
from tether.services.webhooks import WebhookSender, webhook_delivery
from tether.settings import Settings
from tether.tracing import RunSpan, run_span
from tether.worker import protocol_stream
from tether.worker.event_writer import EventWriter
from tether.worker.stream_modes import StreamTranslator

log = logging.getLogger("tether.worker")


@dataclass
class _FinalState:
    """The thread's state as a run left it (empty when it could not be read)."""

    values: Any = None
    interrupts: dict[str, Any] = field(default_factory=dict)
    streamed_interrupts: list[Any] = field(default_factory=list)
    pending_next: bool = False


@dataclass
class Outcome:
    status: str  # success | error | timeout | interrupted | rollback
    error: dict[str, Any] | None = None
    #: What failed the run (for its span).
    exception: BaseException | None = None


class StopReason:
    """Why a run's graph was stopped from outside."""

    CANCEL = "cancel"
    LOST_CLAIM = "lost-claim"
    SHUTDOWN = "shutdown"


class RunHandle:
    """Lets the pool stop a run's graph without interrupting the run's bookkeeping."""

    def __init__(self) -> None:
        self.reason: str | None = None
        self._graph_task: asyncio.Task[None] | None = None

    def stop(self, reason: str) -> None:
        if self.reason is None:
            self.reason = reason
            if self._graph_task is not None:
                self._graph_task.cancel()

    async def run_graph(self, coro: Any) -> None:
        self._graph_task = asyncio.ensure_future(coro)
        if self.reason is not None:
            self._graph_task.cancel()
        await self._graph_task


class RunExecutor:
    def __init__(
        self,
        backend: Backend,
        registry: GraphRegistry,
        settings: Settings,
        *,
        metrics: Metrics | None = None,
    ) -> None:
        self.backend = backend
        self.registry = registry
        self.settings = settings
        self.metrics = metrics or Metrics()
        #: Set by the runtime: told when a delivery was queued, to send it at once.
        self.webhooks: WebhookSender | None = None

    async def execute(
        self, run: RunRecord, handle: RunHandle, thread_metadata: dict[str, Any]
    ) -> None:
        """Run to an end, unless `handle` stops it for shutdown or a lost claim.
        `thread_metadata`: the thread's, as the run was claimed."""
        # The graph runs with the run's span current: spans made in it nest under it.
        with run_span(run) as span:
            await self._execute(run, handle, thread_metadata, span)

    async def _execute(
        self,
        run: RunRecord,
        handle: RunHandle,
        thread_metadata: dict[str, Any],
        span: RunSpan,
    ) -> None:
        started = time.monotonic()
        self.metrics.run_started(run)
        await self._started(run, thread_metadata)
        # A first attempt starts an empty log; a later one continues the earlier's.
        after = None if run.attempt <= 1 else (await self.backend.events.bounds(run.run_id)).last
        writer = EventWriter(
            self.backend.events,
            run.thread_id,
            run.run_id,
            after=after,
            on_stored=self.metrics.events_written.inc,
        )
        await writer.put(
            [
                NewEvent(
                    "metadata", dumps({"run_id": run.run_id, "attempt": run.attempt}), "metadata"
                )
            ]
        )
        assistant = run.assistant
        config = run_config(run, assistant)
        outcome = Outcome("success")
        try:
            async with asyncio.timeout(self.settings.run_timeout_seconds):
                await handle.run_graph(self._stream(run, assistant, config, writer))
        except asyncio.CancelledError:
            if handle.reason != StopReason.CANCEL:
                # Shutdown or a lost claim: the run will be claimed again (attempt + 1).
                # What it emitted is stored even after a lost claim: the next attempt
                # resumes after the last stored checkpoint, which may be newer than some
                # of these events (dropping them could lose them; the ids stay unique).
                await writer.close()
                if handle.reason == StopReason.SHUTDOWN and await self.backend.runs.release_run(
                    run
                ):
                    self.metrics.runs_handed_back.inc()
                    await self.backend.signals.notify_work()  # another worker takes it at once
                if handle.reason is None:
                    raise
                span.handed_back(handle.reason)
                return
            fresh = await self.backend.runs.get_run(run.run_id)
            action = (fresh.cancel_action if fresh else None) or "interrupt"
            outcome = Outcome("rollback" if action == "rollback" else "interrupted")
        except TimeoutError:
            outcome = Outcome(
                "timeout", {"error": "TimeoutError", "message": "Run exceeded its timeout"}
            )
        except Exception as exc:  # the graph failed: that is the run's result, not ours
            if writer.failure is not None:
                # Not the graph: its events could not be stored. The pool hands the run
                # back; the next attempt resumes it from its last checkpoint.
                raise writer.failure from exc
            if isinstance(exc, StorageFailed):
                # Nor here: its checkpoints could not be stored (the database away). The
                # same, once what it emitted is stored (while the run is still this
                # attempt's): handed back, resumed from the last checkpoint stored.
                with contextlib.suppress(Exception):
                    await writer.close()
                raise
            log.warning("run failed: %r", exc, exc_info=exc, extra=run_fields(run))
            outcome = Outcome(
                "error", {"error": type(exc).__name__, "message": str(exc)}, exception=exc
            )
        if outcome.error is not None:
            await writer.put([NewEvent("error", dumps(outcome.error), "error")])
        if await self._finish(run, config, outcome, writer):
            self.metrics.run_ended(outcome.status, time.monotonic() - started)
            span.ended(
                "interrupted" if outcome.status == "rollback" else outcome.status,
                outcome.exception,
            )
        else:
            span.handed_back(StopReason.LOST_CLAIM)

    async def _started(self, run: RunRecord, thread_metadata: dict[str, Any]) -> None:
        # Most runs start on a thread that already names their graph (as the claim saw
        # it): nothing to write.
        if not lifecycle.thread_changes_on_start(thread_metadata, run):
            return
        async with self.backend.threads.transaction(run.thread_id) as tx:
            thread = await tx.get_thread()
            if thread is not None and (
                changes := lifecycle.thread_changes_on_start(thread.metadata, run)
            ):
                await tx.update_thread(changes)

    async def _stream(
        self, run: RunRecord, assistant: dict[str, Any] | None, config: Any, writer: EventWriter
    ) -> None:
        kwargs = run.kwargs
        translator = StreamTranslator(kwargs.get("stream_mode") or ["values"])
        subgraphs = bool(kwargs.get("subgraphs"))
        async with self.registry.graph(run.graph_id, config) as graph:
            graph_input = run_input(kwargs)
            if run.attempt > 1:
                graph_input, config = await self._resume_point(graph, run, config, graph_input)
            options: dict[str, Any] = {
                "context": run_context(run, assistant, graph),
                "stream_mode": translator.langgraph_modes(),
                "subgraphs": subgraphs,
                "interrupt_before": kwargs.get("interrupt_before"),
                "interrupt_after": kwargs.get("interrupt_after"),
            }
            if kwargs.get("durability"):
                options["durability"] = kwargs["durability"]
            try:
                if kwargs.get("stream_protocol") == protocol_stream.PROTOCOL:
                    await protocol_stream.stream_protocol(
                        graph, graph_input, config, options, writer, run.graph_id
                    )
                    return
                if translator.wants_events:
                    await self._stream_events(
                        graph, graph_input, config, options, translator, writer
                    )
                    return
                async for chunk in graph.astream(graph_input, config, **options):
                    namespace, mode, data = chunk if subgraphs else ((), *chunk)
                    await writer.put(translator.translate(namespace, mode, data))
            except asyncio.CancelledError as exc:
                # langgraph hands over its unfinished exit (pending checkpoint writes) with the
                # cancellation; let it finish, so that nothing is written after a rollback.
                for task in exc.args:
                    if isinstance(task, asyncio.Task):
                        with contextlib.suppress(BaseException):
                            await task
                raise

    async def _stream_events(
        self,
        graph: Any,
        graph_input: Any,
        config: dict[str, Any],
        options: dict[str, Any],
        translator: StreamTranslator,
        writer: EventWriter,
    ) -> None:
        subgraphs = options["subgraphs"]
        root_run_id: str | None = None
        # The root events carry the graph's name and the API's run id, as the official server's.
        config = {
            **config,
            "run_name": config["configurable"]["graph_id"],
            "run_id": uuid.UUID(config["configurable"]["run_id"]),
        }
        async for event in graph.astream_events(graph_input, config, version="v2", **options):
            if root_run_id is None:
                root_run_id = event.get("run_id")
            if event.get("event") == "on_chain_stream" and event.get("run_id") == root_run_id:
                chunk = event["data"]["chunk"]
                namespace, mode, data = chunk if subgraphs else ((), *chunk)
                await writer.put(translator.translate(namespace, mode, data))
            else:
                await writer.put(translator.astream_event(event))

    async def _resume_point(
        self, graph: Any, run: RunRecord, config: dict[str, Any], graph_input: Any
    ) -> tuple[Any, dict[str, Any]]:
        """A retried run continues from its own last checkpoint, if it made one."""
        snapshot = await graph.aget_state(thread_config(run.thread_id))
        if (snapshot.metadata or {}).get("run_id") == run.run_id:
            configurable = {k: v for k, v in config["configurable"].items() if k != "checkpoint_id"}
            return None, {**config, "configurable": configurable}
        return graph_input, config

    async def _finish(
        self, run: RunRecord, config: Any, outcome: Outcome, writer: EventWriter
    ) -> bool:
        """Write the run's end, with the events `writer` has not stored yet before its
        end marker; False if its claim was lost (another attempt owns the run: those
        events are dropped, that attempt emits them again)."""
        backend = self.backend
        if outcome.status == "rollback":
            await backend.checkpoints.rollback(run.thread_id, run.run_id)
        async with backend.threads.transaction(run.thread_id, run_id=run.run_id) as tx:
            # While the transaction's opening reads are on their way: read the final
            # state, and let the writer's batch on its way commit (it takes no lock the
            # transaction holds); what the writer has left goes with the run's end.
            final = await self._final_state(run, config)
            rest = await writer.stop()
            finished = await self._end(tx, run, outcome, final, rest)
        if not finished:
            log.warning("run lost its claim; its result is discarded", extra=run_fields(run))
            return False
        self.metrics.events_written.inc(len(rest))
        if run.on_completion == "delete":
            await backend.checkpoints.delete_thread(run.thread_id)
        if finished.waiting:  # the thread's next run can start now
            await backend.signals.notify_work()
        if run.kwargs.get("webhook") and self.webhooks is not None:
            self.webhooks.wake()
        return True

    async def _final_state(self, run: RunRecord, config: Any) -> _FinalState:
        try:
            async with self.registry.graph(run.graph_id, config) as graph:
                snapshot = await graph.aget_state(thread_config(run.thread_id))
        except Exception:  # the state cannot be read: report the run's own outcome
            log.exception("reading the run's final state failed", extra=run_fields(run))
            return _FinalState()
        return _FinalState(
            values=to_jsonable(snapshot.values),
            interrupts=snapshot_interrupts(snapshot),
            # `/wait` shows interrupts as the stream does (with `response_schema`).
            streamed_interrupts=to_jsonable(
                [i for task in snapshot.tasks for i in task.interrupts]
            ),
            pending_next=bool(snapshot.next),
        )

    async def _end(
        self,
        tx: ThreadTransaction,
        run: RunRecord,
        outcome: Outcome,
        final: _FinalState,
        rest: list[NewEvent],
    ) -> lifecycle.Finished | None:
        """The run's end, its thread's state, webhook and log end, in `tx`; None (nothing
        written) if the attempt's claim was lost."""
        status = outcome.status
        if outcome.error is not None:
            result: Any = {"__error__": outcome.error}
            thread_status = "error"
        else:
            values = final.values
            result = dict(values or {}) if isinstance(values, dict) or values is None else values
            if final.streamed_interrupts and isinstance(result, dict):
                result["__interrupt__"] = final.streamed_interrupts
            if status == "interrupted":
                thread_status = "interrupted"
            elif status == "rollback":
                thread_status = "interrupted" if final.interrupts else "idle"
            else:
                thread_status = (
                    "interrupted" if (final.interrupts or final.pending_next) else "idle"
                )
        end_status = "interrupted" if status == "rollback" else status
        finished = await lifecycle.finish(
            tx,
            run,
            lifecycle.RunEnd(
                status=end_status,
                result=result,
                thread_status=thread_status,
                thread_state={
                    "values": final.values,
                    "interrupts": final.interrupts,
                    "error": outcome.error,
                    "state_updated_at": now_iso(),
                },
                delete_run=status == "rollback",
                delete_thread=run.on_completion == "delete",
            ),
        )
        if not finished:
            return None
        if webhook := run.kwargs.get("webhook"):
            # Queued with the run's end: a crash cannot lose one without the other ...
            await tx.add_webhook(webhook_delivery(run, webhook, end_status, result, final.values))
        protocol_end = (
            protocol_stream.end_events(
                run.graph_id, end_status, outcome.error, bool(final.interrupts)
            )
            if run.kwargs.get("stream_protocol") == protocol_stream.PROTOCOL
            else []
        )
        # ... and so is its log's end marker, where the backend can.
        await tx.end_run_log(
            run.run_id,
            [
                *rest,
                *protocol_end,
                NewEvent(
                    "end",
                    dumps({"status": end_status, "result": result}),
                    "end",
                    scope=SCOPE_CONTROL,
                ),
                NewEvent(
                    "metadata",
                    dumps({"status": "run_done", "run_id": run.run_id}),
                    "lifecycle",
                    scope=SCOPE_THREAD,
                ),
            ],
            retain_seconds=self.settings.event_retention_seconds,
        )
        return finished
