"""Prometheus metrics: what a process did shows at `/metrics` (and on a worker's own port)."""

from __future__ import annotations

import httpx
from langgraph_sdk import get_sync_client
from prometheus_client.parser import text_string_to_metric_families

from tether.metrics import Metrics


def _scrape(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _figures(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = httpx.get(f"{url}/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return _scrape(response.text)


def test_runs_events_and_streams_are_counted(tether_url: str) -> None:
    before = _figures(tether_url)
    client = get_sync_client(url=tether_url)
    thread_id = client.threads.create()["thread_id"]
    client.runs.wait(thread_id, "agent", input={"delay": 0})
    client.runs.wait(thread_id, "agent", input={"delay": 0, "fail": True}, raise_error=False)
    streamed = list(
        client.runs.stream(
            thread_id, "ticker", input={"n_events": 5, "delay": 0}, stream_mode=["custom"]
        )
    )
    after = _figures(tether_url)

    def grew(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0.0) - before.get(key, 0.0)

    assert grew("tether_runs_finished_total", status="success") == 2
    assert grew("tether_runs_finished_total", status="error") == 1
    assert grew("tether_run_duration_seconds_count", status="success") == 2
    assert grew("tether_run_queue_wait_seconds_count") == 3
    assert grew("tether_events_written_total") >= len(streamed) + 2  # + each run's metadata
    assert grew("tether_events_streamed_total") == len(streamed)
    assert after[("tether_open_streams", ())] == 0
    assert after[("tether_runs_running", ())] == 0


def test_a_worker_serves_its_metrics_on_a_port_of_its_own() -> None:
    metrics = Metrics()
    metrics.run_ended("success", 0.2)
    port = metrics.serve("127.0.0.1", 0)
    try:
        figures = _scrape(httpx.get(f"http://127.0.0.1:{port}/metrics").text)
        assert figures[("tether_runs_finished_total", (("status", "success"),))] == 1
    finally:
        metrics.close()
