"""OpenTelemetry traces: a real Tether server exports over OTLP/HTTP to a real receiver (an
HTTP server here that decodes the protobuf requests), driven by the official SDK."""

from __future__ import annotations

import contextlib
import os
import secrets
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from conftest import ServerProcess, started_on_backend
from langgraph_sdk import get_sync_client
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status
from otlp_receiver import OtlpReceiver, attributes_of

from tether.tracing import requested_by


@pytest.fixture
def receiver() -> Iterator[OtlpReceiver]:
    with OtlpReceiver() as receiver:
        yield receiver


@dataclass
class Traced:
    server: ServerProcess
    receiver: OtlpReceiver


@pytest.fixture(scope="module")
def traced(
    tmp_path_factory: pytest.TempPathFactory, backend_name: str, request: pytest.FixtureRequest
) -> Iterator[Traced]:
    """A server exporting its traces to a receiver, shared by this module's tests (each
    finds its own spans by its own ids). LangSmith's OpenTelemetry mode is on: it makes
    spans of the graph's nodes, with no LangSmith account."""
    with OtlpReceiver() as receiver:
        server = ServerProcess(tmp_path_factory.mktemp("traced"))
        server.env.update(
            OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint,
            OTEL_BSP_SCHEDULE_DELAY="50",  # ms between exports (default 5 s)
            LANGSMITH_TRACING="true",
            LANGSMITH_TRACING_MODE="otel",
        )
        with started_on_backend(server, backend_name, request) as started:
            yield Traced(started, receiver)


def _traceparent() -> tuple[str, str, str]:
    trace_id, span_id = secrets.token_hex(16), secrets.token_hex(8)
    return f"00-{trace_id}-{span_id}-01", trace_id, span_id


def test_a_run_span_is_a_child_of_the_request_that_created_it_and_links_to_it(
    traced: Traced,
) -> None:
    receiver = traced.receiver
    traceparent, trace_id, caller_span_id = _traceparent()
    client = get_sync_client(url=traced.server.url, headers={"traceparent": traceparent})
    thread = client.threads.create()
    run = client.runs.create(thread["thread_id"], "agent", input={"messages": []})
    client.runs.join(thread["thread_id"], run["run_id"])

    request = receiver.one(
        "POST /threads/{thread_id}/runs", **{"url.path": f"/threads/{thread['thread_id']}/runs"}
    )
    # The caller's trace goes on: the request span is a child of the caller's span.
    assert (request.trace_id, request.parent_span_id) == (trace_id, caller_span_id)
    assert request.span.kind == Span.SpanKind.SPAN_KIND_SERVER
    assert request.service == "tether"
    assert request.attributes["http.request.method"] == "POST"
    assert request.attributes["http.route"] == "/threads/{thread_id}/runs"
    assert request.attributes["http.response.status_code"] == 200

    span = receiver.one("run agent", **{"tether.run.id": run["run_id"]})
    assert span.trace_id == trace_id
    assert span.parent_span_id == request.span_id
    assert [(link.trace_id.hex(), link.span_id.hex()) for link in span.span.links] == [
        (trace_id, request.span_id)
    ]
    assert span.span.kind == Span.SpanKind.SPAN_KIND_CONSUMER
    assert span.attributes == {
        "tether.run.id": run["run_id"],
        "tether.thread.id": thread["thread_id"],
        "tether.assistant.id": run["assistant_id"],
        "tether.graph.id": "agent",
        "tether.run.attempt": 1,
        "tether.run.status": "success",
    }
    assert span.span.status.code == Status.StatusCode.STATUS_CODE_UNSET
    # Carried with the run in storage, never shown to clients.
    stored = _stored_trace_context(traced.server, run["run_id"])
    assert f"00-{trace_id}-{request.span_id}-01" in str(stored)
    shown = client.runs.get(thread["thread_id"], run["run_id"])
    assert "traceparent" not in repr(shown) and "trace_context" not in repr(shown)
    # Health checks (the fixture polled `/ok` until the server answered) make no spans.
    assert not receiver.named("GET /ok")


def test_the_graph_s_own_spans_nest_under_the_run_span(traced: Traced) -> None:
    receiver = traced.receiver
    client = get_sync_client(url=traced.server.url)
    thread = client.threads.create()
    run_id = client.runs.create(thread["thread_id"], "agent", input={})["run_id"]
    client.runs.join(thread["thread_id"], run_id)

    span = receiver.one("run agent", **{"tether.run.id": run_id})
    graph = receiver.one("LangGraph", **{"langsmith.metadata.run_id": run_id})
    assert (graph.trace_id, graph.parent_span_id) == (span.trace_id, span.span_id)
    for node in ("step_a", "step_b", "step_c"):
        step = receiver.one(node, **{"langsmith.metadata.run_id": run_id})
        assert (step.trace_id, step.parent_span_id) == (span.trace_id, graph.span_id)


def test_a_failed_run_has_an_error_span_with_the_exception(traced: Traced) -> None:
    receiver = traced.receiver
    client = get_sync_client(url=traced.server.url)
    thread = client.threads.create()
    run = client.runs.create(thread["thread_id"], "agent", input={"fail": True})
    client.runs.join(thread["thread_id"], run["run_id"])

    span = receiver.one("run agent", **{"tether.run.id": run["run_id"]})
    assert span.attributes["tether.run.status"] == "error"
    assert span.attributes["error.type"] == "ValueError"
    assert span.span.status.code == Status.StatusCode.STATUS_CODE_ERROR
    assert "boom from b" in span.span.status.message
    [event] = [e for e in span.span.events if e.name == "exception"]
    assert attributes_of(event.attributes)["exception.type"] == "ValueError"
    assert attributes_of(event.attributes)["exception.message"] == "boom from b"
    # Without a caller's traceparent the run still sits in its request's trace.
    request = receiver.one(
        "POST /threads/{thread_id}/runs", **{"url.path": f"/threads/{thread['thread_id']}/runs"}
    )
    assert (span.trace_id, span.parent_span_id) == (request.trace_id, request.span_id)
    assert request.parent_span_id == ""


def test_a_streamed_request_span_lasts_until_the_stream_ends(traced: Traced) -> None:
    receiver = traced.receiver
    client = get_sync_client(url=traced.server.url)
    thread = client.threads.create()
    parts = list(
        client.runs.stream(thread["thread_id"], "agent", input={"delay": 0.1}, stream_mode="custom")
    )
    run_id = parts[0].data["run_id"]

    request = receiver.one(
        "POST /threads/{thread_id}/runs/stream",
        **{"url.path": f"/threads/{thread['thread_id']}/runs/stream"},
    )
    assert request.attributes["http.route"] == "/threads/{thread_id}/runs/stream"
    run = receiver.one("run agent", **{"tether.run.id": run_id})
    assert run.parent_span_id == request.span_id
    # Six custom events 0.1 s apart: the request span covers the run's graph.
    assert request.span.end_time_unix_nano - request.span.start_time_unix_nano >= 0.6e9
    assert request.span.end_time_unix_nano >= run.span.start_time_unix_nano + 0.6e9


def test_traces_can_be_turned_off_with_the_standard_variable(
    fresh_server: ServerProcess, receiver: OtlpReceiver
) -> None:
    fresh_server.env.update(
        OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint,
        OTEL_BSP_SCHEDULE_DELAY="50",
        OTEL_TRACES_EXPORTER="none",
    )
    fresh_server.start()
    client = get_sync_client(url=fresh_server.url)
    thread = client.threads.create()
    run = client.runs.create(thread["thread_id"], "agent", input={})
    assert client.runs.join(thread["thread_id"], run["run_id"])["counter"] == 111
    fresh_server.stop()  # a running exporter would flush at exit
    assert receiver.requests == 0


def test_without_otel_variables_runs_work_and_nothing_is_traced(
    fresh_server: ServerProcess,
) -> None:
    fresh_server.env.update(
        {name: "" for name in os.environ if name.startswith("OTEL_")}  # whatever the shell has
    )
    fresh_server.start()
    client = get_sync_client(url=fresh_server.url)
    thread = client.threads.create()
    run = client.runs.create(
        thread["thread_id"],
        "agent",
        input={},
        headers={"traceparent": _traceparent()[0]},
    )
    assert client.runs.join(thread["thread_id"], run["run_id"])["counter"] == 111
    assert "kwargs" in run and "trace_context" not in run["kwargs"]
    assert _stored_trace_context(fresh_server, run["run_id"]) is None
    assert "OpenTelemetry" not in fresh_server.log()


def _stored_trace_context(server: ServerProcess, run_id: str) -> object:
    """The run's `trace_context` column, read from its storage directly."""
    url = server.env.get("TETHER_DATABASE_URL")
    if url:
        with psycopg.connect(url) as conn:
            row = conn.execute(
                "SELECT trace_context FROM runs WHERE run_id = %s", (run_id,)
            ).fetchone()
    else:
        with contextlib.closing(sqlite3.connect(server.data_dir / "tether.sqlite")) as db:
            row = db.execute(
                "SELECT trace_context FROM runs WHERE run_id = ?", (run_id,)
            ).fetchone()
    assert row is not None
    return row[0]


def test_asking_for_traces_without_the_extra_is_one_warning_and_the_server_works(
    fresh_server: ServerProcess, receiver: OtlpReceiver, tmp_path: Path
) -> None:
    # The extra's SDK made unimportable, as in an install without `[otel]`.
    site = tmp_path / "no-otel-sdk"
    site.mkdir()
    (site / "sitecustomize.py").write_text("import sys\nsys.modules['opentelemetry.sdk'] = None\n")
    fresh_server.env.update(
        PYTHONPATH=os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]),
        OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint,
    )
    fresh_server.start()
    client = get_sync_client(url=fresh_server.url)
    thread = client.threads.create()
    run = client.runs.create(thread["thread_id"], "agent", input={})
    assert client.runs.join(thread["thread_id"], run["run_id"])["counter"] == 111
    warnings = [line for line in fresh_server.log().splitlines() if "OpenTelemetry" in line]
    assert len(warnings) == 1, fresh_server.log()
    assert "OTEL_EXPORTER_OTLP_ENDPOINT" in warnings[0]
    assert "tether-server[otel]" in warnings[0]
    fresh_server.stop()
    assert receiver.requests == 0


@pytest.mark.parametrize(
    ("environ", "asked_by"),
    [
        ({}, None),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}, "OTEL_EXPORTER_OTLP_ENDPOINT"),
        (
            {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://c:4318/v1/traces"},
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        ),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c", "OTEL_TRACES_EXPORTER": "none"}, None),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c", "OTEL_SDK_DISABLED": "true"}, None),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": ""}, None),
        ({"OTEL_SERVICE_NAME": "agents"}, None),
    ],
)
def test_the_standard_variables_decide_whether_traces_are_on(
    environ: dict[str, str], asked_by: str | None
) -> None:
    assert requested_by(environ) == asked_by


def test_an_otlp_protocol_other_than_http_is_one_warning_at_start() -> None:
    started = subprocess.run(
        [
            sys.executable,
            "-c",
            "import logging; logging.basicConfig();"
            " from tether.tracing import configure; print(configure())",
        ],
        env={
            **os.environ,
            "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4317",
            "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert started.stdout.strip() == "True"  # still on, over HTTP
    [warning] = [line for line in started.stderr.splitlines() if line.strip()]
    assert "OTEL_EXPORTER_OTLP_PROTOCOL=grpc is not supported" in warning
    assert "http/protobuf" in warning
