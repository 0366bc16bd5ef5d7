"""Durability: SIGKILL the server mid-run and start it again."""

from __future__ import annotations

import time

from conftest import wait_for_ticks
from langgraph_sdk import get_sync_client


def test_sigkill_mid_run_then_restart_recovers_every_run(fresh_server) -> None:  # type: ignore[no-untyped-def]
    fresh_server.start()
    client = get_sync_client(url=fresh_server.url)

    done_thread = client.threads.create()
    done = client.runs.create(
        done_thread["thread_id"], "agent", input={"delay": 0}, stream_mode=["custom", "values"]
    )
    client.runs.join(done_thread["thread_id"], done["run_id"])
    done_events = [
        (p.id, p.event, p.data)
        for p in client.runs.join_stream(
            done_thread["thread_id"], done["run_id"], last_event_id="0"
        )
    ]

    thread = client.threads.create()
    run = client.runs.create(
        thread["thread_id"], "agent", input={"delay": 0.3}, stream_mode=["custom", "updates"]
    )
    queued = client.runs.create(thread["thread_id"], "trivial", input={})
    # Kill once step_a is checkpointed and step_b is under way: at step_b's first event (its
    # next comes 0.3 s later; polling the state instead could see step_b late, under load,
    # and kill a run that had already ended).
    for part in client.runs.join_stream(thread["thread_id"], run["run_id"], last_event_id="0"):
        if part.event == "custom" and part.data == {"node": "b", "i": 0}:
            break
    fresh_server.kill()

    fresh_server.start()
    client = get_sync_client(url=fresh_server.url)

    # A finished run replays exactly as before the crash.
    assert [
        (p.id, p.event, p.data)
        for p in client.runs.join_stream(
            done_thread["thread_id"], done["run_id"], last_event_id="0"
        )
    ] == done_events

    # The interrupted run is recovered: attempt 2, resumed from its last checkpoint.
    result = client.runs.join(thread["thread_id"], run["run_id"])
    assert client.runs.get(thread["thread_id"], run["run_id"])["status"] == "success"
    parts = list(client.runs.join_stream(thread["thread_id"], run["run_id"], last_event_id="0"))
    metadata = [p.data for p in parts if p.event == "metadata"]
    assert [m["attempt"] for m in metadata] == [1, 2]
    second_attempt = parts[[p.event for p in parts].index("metadata", 1) :]
    assert not any(p.event == "custom" and p.data["node"] == "a" for p in second_attempt)
    assert [p.data for p in second_attempt if p.event == "custom"] == [
        {"node": "b", "i": i} for i in range(3)
    ]
    ids = [p.id for p in parts]
    assert len(set(ids)) == len(ids)

    # The queued run ran after it; nothing is left busy or pending.
    client.runs.join(thread["thread_id"], queued["run_id"])
    assert client.runs.get(thread["thread_id"], queued["run_id"])["status"] == "success"
    assert client.threads.get_state(thread["thread_id"])["values"]["counter"] == 112
    assert client.threads.get(thread["thread_id"])["status"] == "idle"
    assert result["counter"] in (111, 112)


def test_graceful_shutdown_gives_running_runs_back_and_restart_resumes_them(fresh_server) -> None:  # type: ignore[no-untyped-def]
    fresh_server.start()
    client = get_sync_client(url=fresh_server.url)
    thread = client.threads.create()
    run = client.runs.create(
        thread["thread_id"], "ticker", input={"n_events": 40, "delay": 0.05}, stream_mode=["custom"]
    )
    deadline = time.monotonic() + 10
    while client.runs.get(thread["thread_id"], run["run_id"])["status"] != "running":
        assert time.monotonic() < deadline
        time.sleep(0.02)
    wait_for_ticks(client, thread["thread_id"], run["run_id"], 5)  # mid-run
    started = time.monotonic()
    fresh_server.stop()  # SIGTERM
    assert time.monotonic() - started < 5  # open work does not hold the shutdown
    # A clean stop hands the run back to the queue at once (another process could take it).
    assert fresh_server.stored_run_status(run["run_id"]) == "pending"

    fresh_server.start()
    client = get_sync_client(url=fresh_server.url)
    assert client.runs.join(thread["thread_id"], run["run_id"])["counter"] == 40
    parts = list(client.runs.join_stream(thread["thread_id"], run["run_id"], last_event_id="0"))
    assert [p.data["attempt"] for p in parts if p.event == "metadata"] == [1, 2]
    assert client.threads.get(thread["thread_id"])["status"] == "idle"
