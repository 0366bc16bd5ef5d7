"""Resuming a stream: a client that drops and rejoins with the last id it saw gets exactly
the events it missed — no gap, no duplicate — wherever the drop happens."""

from __future__ import annotations

import random
import time

import pytest
from conftest import wait_for_ticks
from langgraph_sdk import get_sync_client
from langgraph_sdk.client import SyncLangGraphClient


def _parts(
    client: SyncLangGraphClient, thread_id: str, run_id: str, last_event_id: str
) -> list[tuple[str, str, object]]:
    return [
        (p.id or "", p.event, p.data)
        for p in client.runs.join_stream(thread_id, run_id, last_event_id=last_event_id)
    ]


def _id(part_id: str) -> tuple[int, int]:
    ms, _, seq = part_id.partition("-")
    return int(ms), int(seq)


@pytest.fixture
def client(tether_url: str) -> SyncLangGraphClient:
    return get_sync_client(url=tether_url)


def test_every_event_has_an_id_that_strictly_increases(client: SyncLangGraphClient) -> None:
    thread = client.threads.create()
    parts = list(
        client.runs.stream(
            thread["thread_id"],
            "ticker",
            input={"n_events": 30, "delay": 0},
            stream_mode=["custom", "values"],
        )
    )
    ids = [_id(p.id) for p in parts if p.id]
    assert len(ids) == len(parts) == 30 + 3  # metadata, 2 values, 30 custom
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert parts[0].event == "metadata"


@pytest.mark.parametrize("seed", range(12))
def test_resume_after_disconnect_has_no_gap_or_duplicate(
    client: SyncLangGraphClient, seed: int
) -> None:
    rng = random.Random(seed)
    n = 40
    thread = client.threads.create()
    run = client.runs.create(
        thread["thread_id"],
        "ticker",
        input={"n_events": n, "delay": 0.01},
        stream_mode=["custom", "values", "updates"],
        stream_resumable=True,
    )
    # First connection: from the start, dropped after a random number of events.
    cut = rng.randint(1, n)
    seen: list[tuple[str, str, object]] = []
    for part in client.runs.join_stream(thread["thread_id"], run["run_id"], last_event_id="0"):
        seen.append((part.id or "", part.event, part.data))
        if len(seen) == cut:
            break
    # Rejoin later — sometimes while the run goes on, sometimes after it finished.
    time.sleep(rng.choice([0.0, 0.01, 0.05, 0.3, 0.8]))
    seen += _parts(client, thread["thread_id"], run["run_id"], seen[-1][0])

    full = _parts(client, thread["thread_id"], run["run_id"], "0")
    assert [p[1] for p in full][:1] == ["metadata"]
    assert sum(1 for p in full if p[1] == "custom") == n
    assert seen == full


def test_resume_from_every_position_of_a_finished_run(client: SyncLangGraphClient) -> None:
    thread = client.threads.create()
    parts = list(
        client.runs.stream(
            thread["thread_id"],
            "agent",
            input={"delay": 0},
            stream_mode=["values", "custom", "updates"],
        )
    )
    run = client.runs.list(thread["thread_id"])[0]
    full = _parts(client, thread["thread_id"], run["run_id"], "0")
    assert [(p.id, p.event, p.data) for p in parts] == full
    for i, (event_id, _, _) in enumerate(full):
        assert _parts(client, thread["thread_id"], run["run_id"], event_id) == full[i + 1 :]


def test_join_without_last_event_id_gets_only_live_events(client: SyncLangGraphClient) -> None:
    thread = client.threads.create()
    run = client.runs.create(
        thread["thread_id"], "ticker", input={"n_events": 20, "delay": 0.05}, stream_mode=["custom"]
    )
    wait_for_ticks(client, thread["thread_id"], run["run_id"], 2)
    parts = list(client.runs.join_stream(thread["thread_id"], run["run_id"]))
    custom = [p.data["i"] for p in parts if p.event == "custom"]
    assert parts[0].event != "metadata"
    assert custom and custom[0] > 0 and custom[-1] == 19
    assert custom == list(range(custom[0], 20))


def test_join_of_finished_run_without_last_event_id_is_empty(client: SyncLangGraphClient) -> None:
    thread = client.threads.create()
    client.runs.wait(thread["thread_id"], "trivial", input={})
    run = client.runs.list(thread["thread_id"])[0]
    assert list(client.runs.join_stream(thread["thread_id"], run["run_id"])) == []


def test_join_stream_mode_filters_to_every_requested_mode(client: SyncLangGraphClient) -> None:
    thread = client.threads.create()
    run = client.runs.create(
        thread["thread_id"],
        "agent",
        input={"delay": 0},
        stream_mode=["custom", "updates", "values"],
    )
    client.runs.join(thread["thread_id"], run["run_id"])
    parts = list(
        client.runs.join_stream(
            thread["thread_id"], run["run_id"], stream_mode=["custom", "updates"], last_event_id="0"
        )
    )
    assert {p.event for p in parts} == {"custom", "updates"}
    assert sum(p.event == "custom" for p in parts) == 6
    assert sum(p.event == "updates" for p in parts) == 3


def test_official_sdk_reconnects_through_location_after_a_drop(tether_url: str) -> None:
    """The official client reconnects with Location + Last-Event-ID; the result must be whole."""
    import httpx

    client = get_sync_client(url=tether_url)
    thread = client.threads.create()
    run = client.runs.create(
        thread["thread_id"], "ticker", input={"n_events": 25, "delay": 0.01}, stream_mode=["custom"]
    )
    # Read part of the stream over a raw connection, then drop it mid-body.
    with httpx.stream(
        "GET",
        f"{tether_url}/threads/{thread['thread_id']}/runs/{run['run_id']}/stream",
        headers={"Last-Event-ID": "0"},
        timeout=10,
    ) as response:
        assert (
            response.headers["location"]
            == f"/threads/{thread['thread_id']}/runs/{run['run_id']}/stream"
        )
        assert (
            response.headers["content-location"]
            == f"/threads/{thread['thread_id']}/runs/{run['run_id']}"
        )
        last_id = None
        for line in response.iter_lines():
            if line.startswith("id: "):
                last_id = line[4:]
                break
    assert last_id is not None
    rest = list(client.runs.join_stream(thread["thread_id"], run["run_id"], last_event_id=last_id))
    assert [p.data["i"] for p in rest if p.event == "custom"] == list(range(25))


def test_a_run_cannot_be_joined_through_another_thread(client: SyncLangGraphClient) -> None:
    mine, other = client.threads.create(), client.threads.create()
    run = client.runs.create(mine["thread_id"], "trivial", input={"counter": 0})
    client.runs.join(mine["thread_id"], run["run_id"])
    parts = list(client.runs.join_stream(other["thread_id"], run["run_id"], last_event_id="0"))
    assert [(p.event, p.data) for p in parts] == [
        ("error", {"error": "HTTPException", "message": "404: Run not found"})
    ]


def test_a_finished_stateless_run_replays_from_its_location(tether_url: str) -> None:
    """The official server points stateless streams at /runs/{id}/stream but answers 404 there;
    Tether keeps the log, so the official SDK's reconnect can resume it."""
    import httpx

    with httpx.stream(
        "POST",
        f"{tether_url}/runs/stream",
        json={
            "assistant_id": "ticker",
            "input": {"n_events": 5, "delay": 0},
            "stream_mode": ["custom"],
        },
    ) as response:
        location = response.headers["location"]
        body = response.read().decode()
    assert location.startswith("/runs/") and location.endswith("/stream")
    first_id = body.split("id: ", 1)[1].split("\r\n", 1)[0]
    replay = httpx.get(f"{tether_url}{location}", headers={"Last-Event-ID": first_id}).text
    assert replay.count("event: custom") == 5
    assert body.endswith(replay)
