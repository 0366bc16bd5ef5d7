"""Retention: a finished run's log is kept for a configurable time; a cursor older than the
retained log gets an explicit error, never a silent partial replay."""

from __future__ import annotations

import time

from langgraph_sdk import get_sync_client


def test_cursor_older_than_the_retained_log_gets_an_error_event(fresh_server) -> None:  # type: ignore[no-untyped-def]
    fresh_server.env["TETHER_EVENT_RETENTION_SECONDS"] = "1"
    fresh_server.start()
    client = get_sync_client(url=fresh_server.url)
    thread = client.threads.create()
    run = client.runs.create(thread["thread_id"], "trivial", input={"counter": 0})
    client.runs.join(thread["thread_id"], run["run_id"])
    replay = [
        p.event
        for p in client.runs.join_stream(thread["thread_id"], run["run_id"], last_event_id="0")
    ]
    assert replay[0] == "metadata" and "values" in replay
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        parts = list(client.runs.join_stream(thread["thread_id"], run["run_id"], last_event_id="0"))
        if parts and parts[0].event == "error":
            break
        time.sleep(0.3)
    assert [p.event for p in parts] == ["error"]
    assert parts[0].data["error"] == "EventLogExpired"
    # The run itself and its result outlive its events.
    assert client.runs.get(thread["thread_id"], run["run_id"])["status"] == "success"
    assert client.runs.join(thread["thread_id"], run["run_id"])["counter"] == 1
