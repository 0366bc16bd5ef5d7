"""OpenTelemetry traces, exported over OTLP/HTTP when the `otel` extra is installed and the
standard OpenTelemetry environment asks for them. The only module that imports opentelemetry.

On when `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` or `OTEL_EXPORTER_OTLP_ENDPOINT` is set, unless
`OTEL_TRACES_EXPORTER=none` or `OTEL_SDK_DISABLED=true`; every other `OTEL_*` variable
(headers, sampler, batch delay, service name: `tether` by default) works as the OpenTelemetry
SDK documents it. Asked for without the extra: one warning line at start, and no traces.

Spans:

- one per HTTP request, named after its route (`POST /threads/{thread_id}/runs`): FastAPI's own
  server span, which it records once a tracer provider is set (`http_telemetry` gives it ours,
  without its per-operation child spans). It continues an incoming W3C `traceparent` and lasts
  until the response's last byte, to the end of a stream.
- one per run attempt, `run <graph_id>`, in whichever process executes the run. The W3C trace
  context of the span that created the run is stored with the run (`RunRecord.trace_context`);
  the run's span is a child of it, so a run sits in its request's trace, and links to it too,
  as OpenTelemetry's messaging conventions ask of work taken from a queue. The graph runs with
  the run's span current: spans made while it runs (LangSmith's, in its OpenTelemetry mode)
  nest under it.

Off, each function here costs one check of a module global: no span, no allocation.

Example (a collector on this machine)::

    OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 tether serve
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, MutableMapping
from types import TracebackType
from typing import TYPE_CHECKING, Any

from tether import __version__
from tether.records import RunRecord

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from opentelemetry.trace import Span, Tracer, TracerProvider
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

log = logging.getLogger("tether")

#: What to install for traces.
INSTALL = "pip install 'tether-server[otel]'"
#: Requests that get no span: health checks and metric scrapes, which come all the time.
UNTRACED_PATHS = frozenset({"/ok", "/metrics"})
#: The only OTLP protocol the extra's exporter speaks.
PROTOCOL = "http/protobuf"


def requested_by(environ: Mapping[str, str]) -> str | None:
    """The variable of `environ` that asks for traces; None if none does, or if
    `OTEL_TRACES_EXPORTER=none` or `OTEL_SDK_DISABLED=true` turns them off.

    >>> requested_by({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"})
    'OTEL_EXPORTER_OTLP_ENDPOINT'
    """
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return None
    exporters = {e.strip().lower() for e in environ.get("OTEL_TRACES_EXPORTER", "").split(",")}
    if "none" in exporters:
        return None
    for name in ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"):
        if environ.get(name, "").strip():
            return name
    return None


class RunSpan:
    """The span of one run attempt; this base class is the one used when tracing is off,
    and does nothing."""

    def __enter__(self) -> RunSpan:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    def ended(self, status: str, error: BaseException | None = None) -> None:
        """The run ended with `status` (`success`, `error`, `timeout`, `interrupted`);
        `error` is what failed it."""

    def handed_back(self, reason: str) -> None:
        """The attempt stopped without ending the run (`shutdown`, `lost-claim`): another
        attempt continues it."""


_NO_SPAN = RunSpan()


class _RecordingRunSpan(RunSpan):
    def __init__(self, tracing: _Tracing, run: RunRecord) -> None:
        from opentelemetry import context, trace
        from opentelemetry.trace import Link, SpanKind

        parent = context.Context()  # a run nobody traced starts a trace of its own
        links = []
        if run.trace_context:
            parent = tracing.propagator.extract(run.trace_context)
            created_by = trace.get_current_span(parent).get_span_context()
            if created_by.is_valid:
                links.append(Link(created_by))
        self._scope: AbstractContextManager[Span] = tracing.tracer.start_as_current_span(
            f"run {run.graph_id}",
            context=parent,
            kind=SpanKind.CONSUMER,
            links=links,
            attributes={
                "tether.run.id": run.run_id,
                "tether.thread.id": run.thread_id,
                "tether.assistant.id": run.assistant_id,
                "tether.graph.id": run.graph_id,
                "tether.run.attempt": run.attempt,
            },
        )
        self._span: Span | None = None

    def __enter__(self) -> RunSpan:
        self._span = self._scope.__enter__()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._scope.__exit__(kind, exc, tb)

    def ended(self, status: str, error: BaseException | None = None) -> None:
        from opentelemetry.trace import StatusCode

        span = self._span
        assert span is not None
        span.set_attribute("tether.run.status", status)
        if error is not None:
            span.record_exception(error)
            span.set_attribute("error.type", type(error).__qualname__)
            span.set_status(StatusCode.ERROR, f"{type(error).__name__}: {error}")
        elif status == "timeout":
            span.set_status(StatusCode.ERROR, "the run exceeded its timeout")

    def handed_back(self, reason: str) -> None:
        span = self._span
        assert span is not None
        span.set_attribute("tether.run.handed_back", reason)


class _Tracing:
    """The process's tracer, its provider and the propagator of stored trace contexts."""

    def __init__(self, provider: TracerProvider, propagator: TraceContextTextMapPropagator) -> None:
        self.provider = provider
        self.tracer: Tracer = provider.get_tracer("tether", __version__)
        self.propagator = propagator

    @classmethod
    def start(cls) -> _Tracing:
        """Export to the environment's OTLP endpoint; raises ImportError without the extra."""
        from opentelemetry import trace
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import SERVICE_NAME, SERVICE_VERSION, Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
        from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

        provider = trace.get_tracer_provider()
        if isinstance(provider, trace.ProxyTracerProvider):
            resource = Resource.create({SERVICE_VERSION: __version__})
            if str(resource.attributes.get(SERVICE_NAME, "")).startswith("unknown_service"):
                resource = resource.merge(Resource({SERVICE_NAME: "tether"}))
            sdk = TracerProvider(resource=resource)  # reads OTEL_TRACES_SAMPLER and the rest
            sdk.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
            trace.set_tracer_provider(sdk)
            provider = trace.get_tracer_provider()
        # else: the process set one up already (`opentelemetry-instrument tether serve`, or
        # the project's code): Tether's spans go where that one sends its own.
        return cls(provider, TraceContextTextMapPropagator())


_tracing: _Tracing | None = None
_configured = False


def configure(environ: Mapping[str, str] | None = None) -> bool:
    """Turn traces on if the environment asks for them (once per process; later calls
    return the first answer). True when on."""
    global _tracing, _configured
    if _configured:
        return _tracing is not None
    _configured = True
    environ = os.environ if environ is None else environ
    variable = requested_by(environ)
    if variable is None:
        return False
    try:
        _tracing = _Tracing.start()
    except ImportError:
        log.warning(
            "%s is set, but OpenTelemetry is not installed, so no traces are"
            " exported: install Tether with its `otel` extra (%s)",
            variable,
            INSTALL,
        )
        return False
    for name in ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"):
        protocol = environ.get(name, "").strip()
        if protocol:
            if protocol != PROTOCOL:
                log.warning(
                    "%s=%s is not supported: traces are sent as OTLP %s"
                    " (a collector's port 4318, usually)",
                    name,
                    protocol,
                    PROTOCOL,
                )
            break
    return True


def http_telemetry() -> dict[str, Any] | None:
    """FastAPI's `telemetry` settings: request spans on Tether's tracer provider, without
    FastAPI's per-operation child spans, none for `UNTRACED_PATHS`. None when off
    (FastAPI's defaults)."""
    tracing = _tracing
    if tracing is None:
        return None
    return {
        "tracer_provider": tracing.provider,
        "operation_spans": False,
        "exclude": _untraced,
    }


def _untraced(scope: MutableMapping[str, Any]) -> bool:
    path = str(scope.get("path", ""))
    return path.removeprefix(str(scope.get("root_path", ""))) in UNTRACED_PATHS


def creation_context() -> dict[str, str] | None:
    """The W3C trace context of the current span, to store with a run it creates; None
    when tracing is off or no span is current."""
    tracing = _tracing
    if tracing is None:
        return None
    carrier: dict[str, str] = {}
    tracing.propagator.inject(carrier)
    return carrier or None


def run_span(run: RunRecord) -> RunSpan:
    """The span of one attempt of `run`, to use as a context manager around its execution;
    current inside it."""
    tracing = _tracing
    if tracing is None:
        return _NO_SPAN
    return _RecordingRunSpan(tracing, run)
