"""Run options beyond the basics: strict_resume, after_seconds, thread TTL, storage."""

from __future__ import annotations

import time

import pytest
from langgraph_sdk import get_sync_client
from langgraph_sdk.client import SyncLangGraphClient
from langgraph_sdk.errors import ConflictError


@pytest.fixture
def client(tether_url: str) -> SyncLangGraphClient:
    return get_sync_client(url=tether_url)


def test_strict_resume_refuses_when_nothing_waits_for_an_answer(
    client: SyncLangGraphClient,
) -> None:
    thread = client.threads.create()
    client.runs.wait(thread["thread_id"], "trivial", input={})
    with pytest.raises(ConflictError, match="no pending interrupt"):
        client.runs.create(thread["thread_id"], "hitl", command={"resume": "x"}, strict_resume=True)


def test_strict_resume_lets_exactly_one_of_two_resumes_in(client: SyncLangGraphClient) -> None:
    thread = client.threads.create()
    client.runs.wait(thread["thread_id"], "hitl", input={})
    first = client.runs.create(
        thread["thread_id"], "hitl", command={"resume": "one"}, strict_resume=True
    )
    with pytest.raises(ConflictError):
        client.runs.create(
            thread["thread_id"], "hitl", command={"resume": "two"}, strict_resume=True
        )
    assert client.runs.join(thread["thread_id"], first["run_id"])["answer"] == "one"


def test_after_seconds_delays_the_start(client: SyncLangGraphClient) -> None:
    thread = client.threads.create()
    started = time.monotonic()
    run = client.runs.create(thread["thread_id"], "trivial", input={}, after_seconds=1)
    assert client.runs.get(thread["thread_id"], run["run_id"])["status"] == "pending"
    assert client.threads.get(thread["thread_id"])["status"] == "busy"
    client.runs.join(thread["thread_id"], run["run_id"])
    assert 1.0 <= time.monotonic() - started < 3.0
    assert client.runs.get(thread["thread_id"], run["run_id"])["status"] == "success"


def test_thread_storage_reports_checkpoint_bytes(
    client: SyncLangGraphClient, tether_url: str
) -> None:
    import httpx

    thread = client.threads.create()
    client.runs.wait(thread["thread_id"], "agent", input={"delay": 0})
    storage = httpx.get(f"{tether_url}/threads/{thread['thread_id']}/storage").json()
    assert storage["thread_id"] == thread["thread_id"]
    assert storage["checkpoints"]["count"] >= 4
    assert storage["total_bytes"] >= storage["checkpoints"]["bytes"] > 0


def test_thread_ttl_deletes_the_thread_when_it_expires(fresh_server) -> None:  # type: ignore[no-untyped-def]
    fresh_server.env["TETHER_EVENT_RETENTION_SECONDS"] = "2"  # the sweep runs every 0.5 s
    fresh_server.start()
    client = get_sync_client(url=fresh_server.url)
    keep = client.threads.create()
    doomed = client.threads.create(ttl=0.01)  # minutes
    assert client.threads.get(doomed["thread_id"], include=["ttl"])["ttl"] == {
        "strategy": "delete",
        "ttl": 0.01,
    }
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and client.threads.search(ids=[doomed["thread_id"]]):
        time.sleep(0.2)
    assert client.threads.search(ids=[doomed["thread_id"]]) == []
    assert client.threads.get(keep["thread_id"])["thread_id"] == keep["thread_id"]
