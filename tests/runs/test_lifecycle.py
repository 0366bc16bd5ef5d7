"""Run lifecycle: multitask strategies, cancel in every state, races, disconnects."""

from __future__ import annotations

import asyncio
import contextlib
import time

import httpx
import pytest
from langgraph_sdk import get_client, get_sync_client
from langgraph_sdk.client import SyncLangGraphClient
from langgraph_sdk.errors import ConflictError, NotFoundError


@pytest.fixture
def client(tether_url: str) -> SyncLangGraphClient:
    return get_sync_client(url=tether_url)


def _wait_status(
    client: SyncLangGraphClient,
    thread_id: str,
    run_id: str,
    statuses: set[str],
    timeout: float = 10,
) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = client.runs.get(thread_id, run_id)["status"]
        if status in statuses:
            return status
        time.sleep(0.02)
    raise AssertionError(f"run {run_id} never reached {statuses}")


def _slow(client: SyncLangGraphClient, thread_id: str, **kwargs: object) -> dict:
    run = client.runs.create(thread_id, "agent", input={"delay": 0.1}, **kwargs)
    _wait_status(client, thread_id, run["run_id"], {"running"})
    return run


@pytest.mark.parametrize("endpoint", ["create", "stream", "wait"])
def test_reject_strategy_answers_409_while_a_run_is_active(
    client: SyncLangGraphClient, endpoint: str
) -> None:
    thread = client.threads.create()
    first = _slow(client, thread["thread_id"])
    with pytest.raises((ConflictError, httpx.HTTPStatusError)) as raised:
        if endpoint == "create":
            client.runs.create(thread["thread_id"], "agent", input={}, multitask_strategy="reject")
        elif endpoint == "stream":
            list(
                client.runs.stream(
                    thread["thread_id"], "agent", input={}, multitask_strategy="reject"
                )
            )
        else:
            client.runs.wait(thread["thread_id"], "agent", input={}, multitask_strategy="reject")
    assert raised.value.response.status_code == 409
    assert client.runs.join(thread["thread_id"], first["run_id"])["counter"] == 111
    assert len(client.runs.list(thread["thread_id"])) == 1  # the rejected run left nothing behind


def _wait_for_checkpoint_after_step_a(client: SyncLangGraphClient, thread_id: str) -> None:
    deadline = time.monotonic() + 10
    while client.threads.get_state(thread_id)["next"] != ["step_b"]:
        assert time.monotonic() < deadline, "step_a never finished"
        time.sleep(0.02)


def test_interrupt_strategy_stops_the_first_run_and_keeps_its_checkpoints(
    client: SyncLangGraphClient,
) -> None:
    thread = client.threads.create()
    first = _slow(client, thread["thread_id"])
    _wait_for_checkpoint_after_step_a(client, thread["thread_id"])
    second = client.runs.create(
        thread["thread_id"], "trivial", input={}, multitask_strategy="interrupt"
    )
    result = client.runs.join(thread["thread_id"], second["run_id"])
    assert client.runs.get(thread["thread_id"], first["run_id"])["status"] == "interrupted"
    assert client.runs.get(thread["thread_id"], second["run_id"])["status"] == "success"
    assert result["counter"] == 2  # step_a's +1 survived, then trivial's +1
    assert [m["id"] for m in result["messages"]] == ["msg-a"]


def test_rollback_strategy_deletes_the_first_run_and_its_writes(
    client: SyncLangGraphClient,
) -> None:
    thread = client.threads.create()
    client.runs.wait(thread["thread_id"], "trivial", input={})
    first = _slow(client, thread["thread_id"])
    _wait_for_checkpoint_after_step_a(client, thread["thread_id"])
    second = client.runs.create(
        thread["thread_id"], "trivial", input={}, multitask_strategy="rollback"
    )
    result = client.runs.join(thread["thread_id"], second["run_id"])
    with pytest.raises(NotFoundError):
        client.runs.get(thread["thread_id"], first["run_id"])
    assert result["counter"] == 2  # 1 before, + 1 now; step_a's write was rolled back
    assert result["messages"] == []


def test_enqueue_strategy_runs_in_order(client: SyncLangGraphClient) -> None:
    thread = client.threads.create()
    first = _slow(client, thread["thread_id"])
    second = client.runs.create(
        thread["thread_id"], "trivial", input={}, multitask_strategy="enqueue"
    )
    assert client.runs.get(thread["thread_id"], second["run_id"])["status"] == "pending"
    assert client.threads.get(thread["thread_id"])["status"] == "busy"
    result = client.runs.join(thread["thread_id"], second["run_id"])
    assert client.runs.get(thread["thread_id"], first["run_id"])["status"] == "success"
    assert result["counter"] == 112
    assert client.threads.get(thread["thread_id"])["status"] == "idle"


async def test_two_concurrent_resumes_resume_exactly_once(tether_url: str) -> None:
    client = get_client(url=tether_url)
    thread = await client.threads.create()
    await client.runs.wait(thread["thread_id"], "hitl", input={})
    assert (await client.threads.get(thread["thread_id"]))["status"] == "interrupted"

    async def resume(answer: str) -> object:
        try:
            return await client.runs.wait(
                thread["thread_id"], "hitl", command={"resume": answer}, multitask_strategy="reject"
            )
        except httpx.HTTPStatusError as exc:
            return exc.response.status_code

    outcomes = await asyncio.gather(resume("first"), resume("second"))
    state = await client.threads.get_state(thread["thread_id"])
    assert state["values"]["counter"] == 11  # `ask` and `after` ran once each
    assert state["values"]["answer"] in ("first", "second")
    assert state["next"] == []
    winners = [
        o for o in outcomes if isinstance(o, dict) and o.get("answer") == state["values"]["answer"]
    ]
    assert len(winners) >= 1
    assert all(o == 409 or isinstance(o, dict) for o in outcomes)
    await client.aclose()


def test_cancel_pending_run(client: SyncLangGraphClient) -> None:
    thread = client.threads.create()
    run = client.runs.create(thread["thread_id"], "trivial", input={}, after_seconds=30)
    assert client.runs.get(thread["thread_id"], run["run_id"])["status"] == "pending"
    client.runs.cancel(thread["thread_id"], run["run_id"])
    assert client.runs.get(thread["thread_id"], run["run_id"])["status"] == "interrupted"
    assert client.threads.get(thread["thread_id"])["status"] == "idle"
    assert (
        list(client.runs.join_stream(thread["thread_id"], run["run_id"], last_event_id="0")) == []
    )


def test_cancel_running_run_with_wait(client: SyncLangGraphClient) -> None:
    thread = client.threads.create()
    run = client.runs.create(thread["thread_id"], "ticker", input={"n_events": 100, "delay": 0.05})
    _wait_status(client, thread["thread_id"], run["run_id"], {"running"})
    client.runs.cancel(thread["thread_id"], run["run_id"], wait=True)
    assert client.runs.get(thread["thread_id"], run["run_id"])["status"] == "interrupted"
    assert client.threads.get(thread["thread_id"])["status"] == "interrupted"


def test_cancel_finished_run_is_404(client: SyncLangGraphClient) -> None:
    thread = client.threads.create()
    client.runs.wait(thread["thread_id"], "trivial", input={})
    run = client.runs.list(thread["thread_id"])[0]
    with pytest.raises(NotFoundError):
        client.runs.cancel(thread["thread_id"], run["run_id"])


def test_cancel_racing_with_the_end_of_a_run_leaves_a_consistent_end(
    client: SyncLangGraphClient,
) -> None:
    """Cancel at every moment around a short run's end: the run ends once, in one status, and
    the thread is never left busy."""
    for delay in (0.0, 0.005, 0.01, 0.02, 0.04):
        thread = client.threads.create()
        run = client.runs.create(thread["thread_id"], "trivial", input={})
        time.sleep(delay)
        with contextlib.suppress(NotFoundError):  # it may have finished already
            client.runs.cancel(thread["thread_id"], run["run_id"])
        status = _wait_status(
            client, thread["thread_id"], run["run_id"], {"success", "interrupted"}
        )
        thread_status = client.threads.get(thread["thread_id"])["status"]
        assert thread_status == ("idle" if status == "success" else "interrupted") or (
            status == "interrupted" and thread_status == "idle"
        )
        parts = list(client.runs.join_stream(thread["thread_id"], run["run_id"], last_event_id="0"))
        assert sum(p.event == "metadata" for p in parts) <= 1


def test_cancel_on_disconnect_interrupts_the_run(
    client: SyncLangGraphClient, tether_url: str
) -> None:
    thread = client.threads.create()
    run = client.runs.create(
        thread["thread_id"],
        "ticker",
        input={"n_events": 200, "delay": 0.02},
        stream_mode=["custom"],
    )
    seen = 0
    for part in client.runs.join_stream(
        thread["thread_id"], run["run_id"], cancel_on_disconnect=True
    ):
        seen += part.event == "custom"
        if seen == 3:
            break
    assert (
        _wait_status(
            client, thread["thread_id"], run["run_id"], {"interrupted", "success"}, timeout=3
        )
        == "interrupted"
    )
    assert client.threads.get(thread["thread_id"])["status"] == "interrupted"


def test_plain_disconnect_lets_the_run_continue(client: SyncLangGraphClient) -> None:
    thread = client.threads.create()
    parts = client.runs.stream(
        thread["thread_id"], "ticker", input={"n_events": 10, "delay": 0.02}, stream_mode=["custom"]
    )
    for part in parts:
        if part.event == "custom":
            break
    parts.close()  # type: ignore[attr-defined]
    run = client.runs.list(thread["thread_id"])[0]
    assert (
        _wait_status(client, thread["thread_id"], run["run_id"], {"success", "interrupted"})
        == "success"
    )


def test_on_disconnect_cancel_on_create_stream(client: SyncLangGraphClient) -> None:
    thread = client.threads.create()
    parts = client.runs.stream(
        thread["thread_id"],
        "ticker",
        input={"n_events": 200, "delay": 0.02},
        stream_mode=["custom"],
        on_disconnect="cancel",
    )
    for part in parts:
        if part.event == "custom":
            break
    parts.close()  # type: ignore[attr-defined]
    run = client.runs.list(thread["thread_id"])[0]
    assert (
        _wait_status(
            client, thread["thread_id"], run["run_id"], {"interrupted", "success"}, timeout=3
        )
        == "interrupted"
    )


def test_error_in_graph_ends_run_and_thread_in_error(client: SyncLangGraphClient) -> None:
    thread = client.threads.create()
    parts = list(
        client.runs.stream(
            thread["thread_id"], "agent", input={"fail": True}, stream_mode=["updates"]
        )
    )
    assert [p.event for p in parts] == ["metadata", "updates", "error"]
    assert parts[-1].data == {"error": "ValueError", "message": "boom from b"}
    run = client.runs.list(thread["thread_id"])[0]
    assert run["status"] == "error"
    assert client.threads.get(thread["thread_id"])["status"] == "error"


def test_run_timeout_ends_with_status_timeout(fresh_server) -> None:  # type: ignore[no-untyped-def]
    fresh_server.env["TETHER_RUN_TIMEOUT_SECONDS"] = "0.5"
    fresh_server.start()
    client = get_sync_client(url=fresh_server.url)
    thread = client.threads.create()
    parts = list(
        client.runs.stream(
            thread["thread_id"],
            "ticker",
            input={"n_events": 50, "delay": 0.05},
            stream_mode=["custom"],
        )
    )
    assert parts[-1].event == "error" and parts[-1].data["error"] == "TimeoutError"
    run = client.runs.list(thread["thread_id"])[0]
    assert run["status"] == "timeout"
    assert client.threads.get(thread["thread_id"])["status"] == "error"


def test_idle_server_starts_a_run_within_milliseconds(client: SyncLangGraphClient) -> None:
    thread = client.threads.create()
    client.runs.wait(thread["thread_id"], "trivial", input={})  # warm up
    time.sleep(1.2)  # idle longer than any poll interval
    started = time.monotonic()
    client.runs.wait(thread["thread_id"], "trivial", input={})
    assert time.monotonic() - started < 0.5  # the official dev server needs 0.5–1 s here
