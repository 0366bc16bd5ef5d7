"""Many processes, one deployment: any API process streams, resumes and cancels any run,
whatever worker executes it; a worker that dies loses no run; Redis and PostgreSQL
faults cost latency or a clear error, never an event or a silent hang."""

from __future__ import annotations

import concurrent.futures
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from conftest import REDIS_URL, PostgresDatabase
from langgraph_sdk import get_sync_client

from tether.ids import EventId, uuid7

from .conftest import Deployment, PostgresServer, RedisServer


def _ids(parts: list[Any]) -> list[EventId]:
    return [EventId.parse(p.id) for p in parts]  # type: ignore[misc]


def _join_in_background(
    client: Any, thread_id: str, run_id: str
) -> tuple[threading.Thread, list[Any]]:
    """Join the run from its start on a thread of its own; the list fills as parts arrive."""
    seen: list[Any] = []
    joined = threading.Thread(
        target=lambda: seen.extend(client.runs.join_stream(thread_id, run_id, last_event_id="0"))
    )
    joined.start()
    return joined, seen


def _ticks(parts: list[Any]) -> int:
    """How many `custom` events a join has seen so far."""
    return sum(1 for part in parts if part.event == "custom")


def _wait_for(condition: Any, timeout: float = 20.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def test_any_api_process_streams_resumes_and_cancels_a_run_on_any_worker(
    deployment: Deployment,
) -> None:
    api1, api2 = deployment.api(), deployment.api()
    deployment.worker()
    deployment.worker()
    one, two = get_sync_client(url=api1.url), get_sync_client(url=api2.url)
    thread_id = one.threads.create()["thread_id"]
    run = one.runs.create(
        thread_id, "ticker", input={"n_events": 600, "delay": 0.01}, stream_mode=["custom"]
    )

    first: list[Any] = []
    for part in two.runs.join_stream(thread_id, run["run_id"], last_event_id="0"):
        first.append(part)
        if len(first) == 40:
            break
    second: list[Any] = []
    for part in one.runs.join_stream(thread_id, run["run_id"], last_event_id=first[-1].id):
        second.append(part)
        if len(second) == 40:
            break
    assert two.runs.get(thread_id, run["run_id"])["status"] == "running"
    two.runs.cancel(thread_id, run["run_id"], wait=True)

    everything = list(one.runs.join_stream(thread_id, run["run_id"], last_event_id="0"))
    ids = _ids(everything)
    assert ids == sorted(set(ids)), "ids repeat or go backwards"
    assert _ids(first + second) == ids[:80], "the resumed stream has a gap or a duplicate"
    ticks = [p.data["i"] for p in everything if p.event == "custom"]
    assert ticks == list(range(len(ticks))) and 40 < len(ticks) < 600
    assert one.runs.get(thread_id, run["run_id"])["status"] == "interrupted"
    assert two.threads.get(thread_id)["status"] == "interrupted"  # as on one process


def test_a_killed_worker_s_run_is_resumed_by_another_from_its_last_checkpoint(
    deployment: Deployment,
) -> None:
    # The default lease (30 s): the dead worker's presence mark, dropped by PostgreSQL the
    # moment its process dies, brings the run back long before the lease would.
    deployment.settings["TETHER_LEASE_SECONDS"] = "30"
    api = deployment.api()
    workers = {w.process.pid: w for w in (deployment.worker(), deployment.worker())}  # type: ignore[union-attr]
    client = get_sync_client(url=api.url)
    thread_id = client.threads.create()["thread_id"]
    run = client.runs.create(
        thread_id, "agent", input={"delay": 0.3}, stream_mode=["custom", "updates"]
    )
    joined, seen = _join_in_background(client, thread_id, run["run_id"])
    _wait_for(
        lambda: client.threads.get_state(thread_id)["next"] == ["step_b"],
        what="step_a's checkpoint",
    )
    owner, lease_ends = deployment.sql(
        "SELECT lease_owner, lease_expires_at FROM runs WHERE run_id = %s", run["run_id"]
    )[0]
    pid = int(str(owner).split(":")[1])
    workers[pid].kill()

    joined.join(timeout=60)
    assert not joined.is_alive(), "the joined client never saw the run end"
    assert client.runs.get(thread_id, run["run_id"])["status"] == "success"
    attempts = [p.data["attempt"] for p in seen if p.event == "metadata"]
    assert attempts == [1, 2]
    steps = [next(iter(p.data)) for p in seen if p.event == "updates"]
    assert steps.count("step_a") == 1, "attempt 2 ran step_a again instead of resuming after it"
    assert steps[-2:] == ["step_b", "step_c"]
    assert client.threads.get(thread_id)["status"] == "idle"
    # One attempt at a time: attempt 2's first event comes after attempt 1's last.
    second = next(i for i, p in enumerate(seen) if p.event == "metadata" and p.data["attempt"] == 2)
    assert all(EventId.parse(p.id) < EventId.parse(seen[second].id) for p in seen[:second])  # type: ignore[operator]
    # Taken back by the missing mark, not the lease: attempt 2 started (event ids are ms on
    # the database's clock, as leases are) while attempt 1's last lease still ran.
    assert EventId.parse(seen[second].id).ms < float(lease_ends) * 1000  # type: ignore[union-attr, arg-type]


def test_a_live_worker_whose_mark_s_session_is_terminated_keeps_its_run(
    deployment: Deployment,
) -> None:
    api = deployment.api()
    worker = deployment.worker()
    client = get_sync_client(url=api.url)
    thread_id = client.threads.create()["thread_id"]
    run = client.runs.create(thread_id, "ticker", input={"n_events": 60, "delay": 0.05})
    _wait_for(
        lambda: client.runs.get(thread_id, run["run_id"])["status"] == "running",
        what="the run to start",
    )
    owner = deployment.sql("SELECT lease_owner FROM runs WHERE run_id = %s", run["run_id"])[0][0]
    terminated = deployment.sql(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
        f"tether presence {owner}"[:63],
    )
    assert terminated == [(True,)]
    # The worker takes its mark again at once: the run is not taken back (one attempt).
    assert client.runs.join(thread_id, run["run_id"])["counter"] is not None
    assert client.runs.get(thread_id, run["run_id"])["status"] == "success"
    events = list(client.runs.join_stream(thread_id, run["run_id"], last_event_id="0"))
    assert [p.data["attempt"] for p in events if p.event == "metadata"] == [1]
    assert "lost its presence mark" in worker.log()


def test_concurrent_creates_with_reject_through_two_apis_accept_exactly_one(
    deployment: Deployment,
) -> None:
    apis = [deployment.api(), deployment.api()]
    deployment.worker()
    thread_id = get_sync_client(url=apis[0].url).threads.create()["thread_id"]
    body = {
        "assistant_id": "ticker",
        "input": {"n_events": 20, "delay": 0.05},
        "multitask_strategy": "reject",
    }

    def create(i: int) -> int:
        url = f"{apis[i % 2].url}/threads/{thread_id}/runs"
        return httpx.post(url, json=body, timeout=30).status_code

    with concurrent.futures.ThreadPoolExecutor(20) as pool:
        codes = list(pool.map(create, range(20)))
    assert sorted(codes) == [200] + [409] * 19


def test_redis_killed_flushed_and_restarted_mid_stream_loses_nothing(
    deployment: Deployment, redis_server: RedisServer
) -> None:
    deployment.redis_url = redis_server.url
    deployment.settings["TETHER_POLL_SECONDS"] = "0.2"
    api = deployment.api()
    deployment.worker()
    client = get_sync_client(url=api.url)
    thread_id = client.threads.create()["thread_id"]
    run = client.runs.create(
        thread_id, "ticker", input={"n_events": 300, "delay": 0.01}, stream_mode=["custom"]
    )
    joined, seen = _join_in_background(client, thread_id, run["run_id"])
    _wait_for(
        lambda: client.runs.get(thread_id, run["run_id"])["status"] == "running", what="start"
    )
    # Mid-stream (the run goes on for about three seconds): Redis goes away ...
    _wait_for(lambda: _ticks(seen) >= 50, what="the stream under way")
    redis_server.kill()
    # ... and the stream goes on meanwhile (readers look at the log every poll interval).
    away = _ticks(seen)
    _wait_for(lambda: _ticks(seen) >= away + 10, what="events while Redis is away")
    redis_server.start()  # empty: everything it held is gone
    joined.join(timeout=30)
    assert not joined.is_alive(), "the stream hung after Redis came back"
    ticks = [p.data["i"] for p in seen if p.event == "custom"]
    assert ticks == list(range(300))
    ids = _ids(seen)
    assert ids == sorted(set(ids))
    # Notices flow again: a new run starts and ends promptly.
    started = time.monotonic()
    client.runs.wait(thread_id, "trivial", input={})
    assert time.monotonic() - started < 5


def test_killed_postgres_connections_end_in_recovery_or_a_clear_error(
    deployment: Deployment,
) -> None:
    api = deployment.api()
    deployment.worker()
    client = get_sync_client(url=api.url)
    thread_id = client.threads.create()["thread_id"]
    run = client.runs.create(
        thread_id, "ticker", input={"n_events": 200, "delay": 0.01}, stream_mode=["custom"]
    )
    joined, seen = _join_in_background(client, thread_id, run["run_id"])
    _wait_for(
        lambda: client.runs.get(thread_id, run["run_id"])["status"] == "running", what="start"
    )
    killed = deployment.sql(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
    )
    assert killed, "no connection of the deployment was found to kill"
    joined.join(timeout=60)
    assert not joined.is_alive(), "the stream hung after its database connections died"
    final = _wait_for(
        lambda: (
            (r := client.runs.get(thread_id, run["run_id"]))["status"] in ("success", "error") and r
        ),
        timeout=60,
        what="the run to end",
    )
    ids = _ids(seen)
    assert ids == sorted(set(ids))
    if final["status"] == "success":
        everything = list(client.runs.join_stream(thread_id, run["run_id"], last_event_id="0"))
        assert _ids(everything) == ids  # the joined client saw the log, once
        # Recovered in place, or handed back (a write cut off) and resumed by attempt 2 from
        # the last checkpoint: the node again from its first tick, or, past its end, nothing.
        attempts: list[list[int]] = []
        for part in everything:
            if part.event == "metadata":
                attempts.append([])
            elif part.event == "custom":
                attempts[-1].append(part.data["i"])
        assert all(ticks == list(range(len(ticks))) for ticks in attempts), attempts
        assert max(len(ticks) for ticks in attempts) == 200, attempts
    else:
        assert any(p.event == "error" for p in seen), "the run failed without saying why"
    assert client.threads.get(thread_id)["status"] != "busy"
    assert client.runs.wait(thread_id, "trivial", input={}) is not None


def test_postgres_stopped_mid_stream_and_back_loses_no_run_and_no_event(
    tmp_path: Path, postgres_server: PostgresServer
) -> None:
    """PostgreSQL shut down (every session ended, as in a restart or a failover) and away
    for longer than a worker may go without its presence mark: once it is back the run
    resumes from its last checkpoint and succeeds, the joined client sees every id once,
    and the worker stopped its run once (not once per attempt to take its mark again)."""
    database = PostgresDatabase(
        name="tether", url=postgres_server.url(), redis_prefix=f"pg-down-{uuid7()}"
    )
    # A worker may miss its mark for 1 s (twice the poll interval): it stops its runs at 0.5 s.
    deployment = Deployment(tmp_path, database, REDIS_URL, {"TETHER_POLL_SECONDS": "0.2"})
    subprocess.run(
        [sys.executable, "-m", "tether", "migrate"],
        env={**os.environ, **database.env},
        check=True,
        capture_output=True,
    )
    api = deployment.api()
    worker = deployment.worker()
    client = get_sync_client(url=api.url)
    thread_id = client.threads.create()["thread_id"]
    run = client.runs.create(
        thread_id, "ticker", input={"n_events": 300, "delay": 0.01}, stream_mode=["custom"]
    )
    joined, seen = _join_in_background(client, thread_id, run["run_id"])
    _wait_for(lambda: _ticks(seen) >= 30, what="the stream under way")

    postgres_server.stop()
    _wait_for(
        lambda: "could not take its presence mark again" in worker.log(),
        what="the worker to stop its run",
    )
    postgres_server.start()

    joined.join(timeout=60)
    assert not joined.is_alive(), "the stream hung after PostgreSQL came back"
    ids = _ids(seen)
    assert ids == sorted(set(ids))
    assert client.runs.get(thread_id, run["run_id"])["status"] == "success"
    everything = list(client.runs.join_stream(thread_id, run["run_id"], last_event_id="0"))
    assert _ids(everything) == ids  # the client saw what the log holds, once
    attempts = [p.data["attempt"] for p in everything if p.event == "metadata"]
    assert attempts[0] == 1 and len(attempts) >= 2
    # The last attempt ran the node from its last checkpoint (the input): every tick.
    last = max(i for i, p in enumerate(everything) if p.event == "metadata")
    assert [p.data["i"] for p in everything[last:] if p.event == "custom"] == list(range(300))
    assert client.threads.get(thread_id)["status"] == "idle"
    assert client.runs.wait(thread_id, "trivial", input={}) is not None
    assert worker.log().count("could not take its presence mark again") == 1


def test_a_stopping_worker_hands_back_what_its_grace_period_cannot_finish(
    deployment: Deployment,
) -> None:
    deployment.settings["TETHER_SHUTDOWN_GRACE_SECONDS"] = "0.5"
    api = deployment.api()
    leaving = deployment.worker()
    client = get_sync_client(url=api.url)
    thread_id = client.threads.create()["thread_id"]
    run = client.runs.create(
        thread_id, "ticker", input={"n_events": 100, "delay": 0.05}, stream_mode=["custom"]
    )
    _wait_for(
        lambda: client.runs.get(thread_id, run["run_id"])["status"] == "running", what="start"
    )
    assert leaving.process is not None
    started = time.monotonic()
    leaving.process.terminate()  # SIGTERM, as a deploy does
    assert leaving.process.wait(timeout=15) == 0
    assert time.monotonic() - started < 10
    # Handed back at once, not after its lease: the next worker resumes it as attempt 2.
    assert deployment.sql("SELECT status FROM runs WHERE run_id = %s", run["run_id"]) == [
        ("pending",)
    ]
    deployment.worker()
    client.runs.join(thread_id, run["run_id"])
    assert client.runs.get(thread_id, run["run_id"])["status"] == "success"
    replay = list(client.runs.join_stream(thread_id, run["run_id"], last_event_id="0"))
    assert [p.data["attempt"] for p in replay if p.event == "metadata"] == [1, 2]
