"""Traces across processes: the run's span, in the worker that executes it, continues the
trace of the request that created it in an API process."""

from __future__ import annotations

import secrets

from langgraph_sdk import get_sync_client
from otlp_receiver import OtlpReceiver

from .conftest import Deployment


def test_a_run_executed_by_another_process_continues_its_request_s_trace(
    deployment: Deployment,
) -> None:
    with OtlpReceiver() as receiver:
        deployment.settings.update(
            OTEL_EXPORTER_OTLP_ENDPOINT=receiver.endpoint,
            OTEL_BSP_SCHEDULE_DELAY="50",
            # Each span says which process sent it (`process.pid`).
            OTEL_EXPERIMENTAL_RESOURCE_DETECTORS="otel,process",
        )
        api, worker = deployment.api(), deployment.worker()
        trace_id, caller = secrets.token_hex(16), secrets.token_hex(8)
        client = get_sync_client(url=api.url, headers={"traceparent": f"00-{trace_id}-{caller}-01"})
        thread = client.threads.create()
        run = client.runs.create(thread["thread_id"], "agent", input={})
        client.runs.join(thread["thread_id"], run["run_id"])

        request = receiver.one(
            "POST /threads/{thread_id}/runs",
            **{"url.path": f"/threads/{thread['thread_id']}/runs"},
        )
        span = receiver.one("run agent", **{"tether.run.id": run["run_id"]})
        assert request.resource["process.pid"] == api.process.pid  # type: ignore[union-attr]
        assert span.resource["process.pid"] == worker.process.pid  # type: ignore[union-attr]
        assert (request.trace_id, request.parent_span_id) == (trace_id, caller)
        assert (span.trace_id, span.parent_span_id) == (trace_id, request.span_id)
        assert [link.span_id.hex() for link in span.span.links] == [request.span_id]
