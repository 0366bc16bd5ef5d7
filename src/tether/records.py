"""The records that services and backends exchange (thread, run, stream event)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tether.ids import EventId


def now_iso() -> str:
    """Timestamps in the official shape: `2026-11-24T18:48:30.922669+00:00`."""
    return datetime.now(UTC).isoformat()


@dataclass
class ThreadRecord:
    thread_id: str
    created_at: str
    updated_at: str
    state_updated_at: str
    metadata: dict[str, Any]
    status: str = "idle"
    config: dict[str, Any] = field(default_factory=dict)
    values: Any = None
    #: Pending interrupts by task id; None until the thread's state was first written.
    interrupts: dict[str, Any] | None = None
    error: Any = None
    #: `{"strategy": "delete"|"keep_latest", "ttl": minutes}` or None.
    ttl: dict[str, Any] | None = None

    def to_api(self) -> dict[str, Any]:
        body = {
            "thread_id": self.thread_id,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "state_updated_at": self.state_updated_at,
            "metadata": self.metadata,
            "status": self.status,
            "config": self.config,
            "values": self.values,
        }
        if self.interrupts is not None:  # as the official server: once a run has written state
            body["interrupts"] = self.interrupts
            body["error"] = self.error
        return body


@dataclass
class RunRecord:
    run_id: str
    thread_id: str
    assistant_id: str
    graph_id: str
    status: str
    metadata: dict[str, Any]
    #: Everything the run was created with: input, command, config, context, stream_mode, ...
    kwargs: dict[str, Any]
    multitask_strategy: str
    created_at: str
    updated_at: str
    #: Number of times a worker claimed the run; 0 while it never started.
    attempt: int = 0
    #: Unix time (backend clock) before which the run must not start; set by the backend
    #: from `delay_seconds` when the run is queued.
    available_at: float = 0.0
    #: `after_seconds` of the request: the run waits this long after being queued.
    delay_seconds: float = 0.0
    #: Stateless runs: "delete" or "keep" the temporary thread when done.
    on_completion: str | None = None
    #: Set by a cancel request: "interrupt" or "rollback".
    cancel_action: str | None = None
    cancel_reason: str | None = None
    #: What `/wait` and `/join` return: final values, or `{"__error__": ...}`.
    result: Any = None
    ended_at: float | None = None
    #: The assistant's config and context as they were when the run was created.
    assistant: dict[str, Any] | None = None
    #: The W3C trace context (`traceparent`, `tracestate`) of the span that created the run,
    #: when traces are on: the run's span continues that trace wherever the run executes.
    #: Never shown to clients.
    trace_context: dict[str, str] | None = None

    @property
    def temporary(self) -> bool:
        return self.on_completion is not None

    @property
    def done(self) -> bool:
        return self.status in ("success", "error", "timeout", "interrupted")

    def to_api(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "thread_id": self.thread_id,
            "assistant_id": self.assistant_id,
            "metadata": self.metadata,
            "status": self.status,
            "kwargs": self.kwargs,
            "multitask_strategy": self.multitask_strategy,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "langsmith_session_name": None,
            **({"cancel_reason": self.cancel_reason} if self.cancel_reason else {}),
        }


# Event scopes: who sees an event.
SCOPE_RUN = 0  # the run's own stream and the thread feed
SCOPE_THREAD = 1  # only the thread feed (lifecycle: run_done, state updates)
SCOPE_CONTROL = 2  # nobody: marks the end of a run's log


@dataclass(slots=True)
class StreamEvent:
    """One logged event. `data` is the encoded JSON, kept as bytes to be sent as is."""

    id: EventId
    event: str
    data: bytes
    #: The stream mode that produced it (`values`, `messages-tuple`, ... or `metadata`/`error`).
    mode: str
    run_id: str
    scope: int = SCOPE_RUN


@dataclass(slots=True)
class NewEvent:
    event: str
    data: bytes
    mode: str
    scope: int = SCOPE_RUN
