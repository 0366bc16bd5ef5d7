"""This process's figures for Prometheus: runs, queue wait, events, streams, webhooks.

Each runtime has a registry of its own (several apps in one process, as in tests, do not
mix their counts). An API process serves them at `/metrics`; a `tether worker` process,
which has no HTTP server, serves them on `--metrics-port` when given. Counts are per
process: a Prometheus server sums them across processes.
"""

from __future__ import annotations

import contextlib
import threading
import time
from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import start_http_server

from tether.records import RunRecord

#: Run durations from a few milliseconds (a trivial graph) to hours (an agent at work).
_DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800)
#: Queue waits: a woken worker claims in milliseconds; a full one leaves runs waiting.
_WAIT_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.run_duration = Histogram(
            "tether_run_duration_seconds",
            "Time from a run's start in this process to its end, by final status.",
            ["status"],
            buckets=_DURATION_BUCKETS,
            registry=r,
        )
        self.queue_wait = Histogram(
            "tether_run_queue_wait_seconds",
            "Time a run waited between becoming available and its first start.",
            buckets=_WAIT_BUCKETS,
            registry=r,
        )
        self.runs_finished = Counter(
            "tether_runs_finished",
            "Runs this process ended, by final status (success, error, timeout, interrupted).",
            ["status"],
            registry=r,
        )
        self.runs_handed_back = Counter(
            "tether_runs_handed_back",
            "Runs this process gave back to the queue (shutdown, or storage failing under them).",
            registry=r,
        )
        self.events_written = Counter(
            "tether_events_written", "Run events this process stored in the event log.", registry=r
        )
        self.events_streamed = Counter(
            "tether_events_streamed", "Events this process sent to stream clients.", registry=r
        )
        self.open_streams = Gauge(
            "tether_open_streams", "Event streams this process is serving now.", registry=r
        )
        self.webhook_deliveries = Counter(
            "tether_webhook_deliveries",
            "Webhook deliveries this process attempted, by outcome (delivered, retried, dropped).",
            ["outcome"],
            registry=r,
        )
        # Gauges read when scraped (`observe_queue`).
        self.runs_pending = Gauge(
            "tether_runs_pending", "Runs waiting to be claimed (all processes).", registry=r
        )
        self.runs_running = Gauge(
            "tether_runs_running", "Runs being executed (all processes).", registry=r
        )
        self.workers_max = Gauge(
            "tether_workers_max", "Concurrent runs this process executes at most.", registry=r
        )
        self.workers_active = Gauge(
            "tether_workers_active", "Runs this process is executing now.", registry=r
        )
        self._server: Any = None

    def run_started(self, run: RunRecord) -> None:
        """A claimed run starts here; its first attempt's wait in the queue is recorded
        (from its creation, or from the end of its delay)."""
        if run.attempt > 1:
            return
        since = run.available_at
        if since <= 0:
            with contextlib.suppress(ValueError):
                since = datetime.fromisoformat(run.created_at).timestamp()
        if since > 0:
            self.queue_wait.observe(max(0.0, time.time() - since))

    def run_ended(self, status: str, seconds: float) -> None:
        self.runs_finished.labels(status).inc()
        self.run_duration.labels(status).observe(seconds)

    def exposition(self) -> bytes:
        """The text format Prometheus scrapes."""
        return generate_latest(self.registry)

    def serve(self, host: str, port: int) -> int:
        """Serve `/metrics` on a port of its own (a worker process); returns the port."""
        server, thread = start_http_server(port, addr=host, registry=self.registry)
        self._server = (server, thread)
        return int(server.server_address[1])

    def close(self) -> None:
        if self._server is not None:
            server, thread = self._server
            server.shutdown()
            server.server_close()
            if isinstance(thread, threading.Thread):
                thread.join(timeout=5)
            self._server = None
