"""Cancelling runs: `runs.cancel` (wait, interrupt, rollback) and `runs.cancel_many`."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from langgraph_sdk.errors import NotFoundError, UnprocessableEntityError

from .support import Client, assert_detail, names, unknown_id, wait_for_status

LONG_TICKER = {"n_events": 100, "delay": 0.03}


async def _running(client: Client, thread_id: str, **kwargs: Any) -> dict[str, Any]:
    run = await client.runs.create(thread_id, "ticker", input=LONG_TICKER, **kwargs)
    found = await wait_for_status(client, thread_id, run["run_id"], {"running"})
    assert found["status"] == "running"
    return run  # type: ignore[no-any-return]


async def test_cancel_and_wait_interrupts_a_running_run(
    client: Client, thread: dict[str, Any]
) -> None:
    run = await _running(client, thread["thread_id"])
    await _until_checkpointed(client, thread["thread_id"])

    await client.runs.cancel(thread["thread_id"], run["run_id"], wait=True)

    cancelled = await client.runs.get(thread["thread_id"], run["run_id"])
    assert cancelled["status"] == "interrupted"
    assert (await client.threads.get(thread["thread_id"]))["status"] == "interrupted"
    # What the run had checkpointed stays (its input).
    state = await client.threads.get_state(thread["thread_id"])
    assert state["values"]["n_events"] == LONG_TICKER["n_events"]


async def _until_checkpointed(client: Client, thread_id: str) -> None:
    """Wait until the running ticker's input is in the thread's state."""
    for _ in range(250):
        if "n_events" in (await client.threads.get_state(thread_id))["values"]:
            return
        await asyncio.sleep(0.02)
    pytest.fail("the run's input never reached the thread state")


async def test_cancel_without_wait_returns_at_once(client: Client, thread: dict[str, Any]) -> None:
    run = await _running(client, thread["thread_id"])

    assert await client.runs.cancel(thread["thread_id"], run["run_id"]) is None

    ended = await wait_for_status(
        client, thread["thread_id"], run["run_id"], {"interrupted", "success"}
    )
    assert ended["status"] == "interrupted"


async def test_cancel_ends_the_run_stream(client: Client, thread: dict[str, Any]) -> None:
    stream = await client.runs.stream(
        thread["thread_id"], "ticker", input=LONG_TICKER, stream_mode="custom"
    )
    parts: list[Any] = []

    async def read() -> None:
        async for part in stream:
            parts.append(part)

    reader = asyncio.create_task(read())
    for _ in range(500):
        if len(parts) >= 3:
            break
        await asyncio.sleep(0.01)
    run_id = parts[0].data["run_id"]

    await client.runs.cancel(thread["thread_id"], run_id, wait=True)

    await asyncio.wait_for(reader, 5)
    assert "error" not in names(parts)
    assert len(parts) < 1 + LONG_TICKER["n_events"]
    assert (await client.runs.get(thread["thread_id"], run_id))["status"] == "interrupted"


async def test_cancel_rollback_deletes_the_run_and_restores_the_state(
    client: Client, thread: dict[str, Any]
) -> None:
    await client.runs.wait(thread["thread_id"], "trivial", input={})
    run = await _running(client, thread["thread_id"])
    await _until_checkpointed(client, thread["thread_id"])

    await client.runs.cancel(thread["thread_id"], run["run_id"], wait=True, action="rollback")

    with pytest.raises(NotFoundError):
        await client.runs.get(thread["thread_id"], run["run_id"])
    found = await client.threads.get(thread["thread_id"])
    assert found["status"] == "idle"
    state = await client.threads.get_state(thread["thread_id"])
    assert state["values"]["counter"] == 1
    assert "n_events" not in state["values"]


async def test_cancel_a_pending_run(client: Client, thread: dict[str, Any]) -> None:
    first = await client.runs.create(
        thread["thread_id"], "ticker", input={"n_events": 5, "delay": 0.04}
    )
    queued = await client.runs.create(thread["thread_id"], "trivial", input={"counter": 1000})

    await client.runs.cancel(thread["thread_id"], queued["run_id"])

    assert (await client.runs.get(thread["thread_id"], queued["run_id"]))["status"] == "interrupted"
    values = await client.runs.join(thread["thread_id"], first["run_id"])
    assert values["counter"] == 5
    await asyncio.sleep(0.1)
    assert (await client.threads.get_state(thread["thread_id"]))["values"]["counter"] == 5, (
        "never ran"
    )
    assert (await client.runs.get(thread["thread_id"], queued["run_id"]))["status"] == "interrupted"


async def test_cancel_a_finished_run_is_not_found(client: Client, thread: dict[str, Any]) -> None:
    run = await client.runs.create(thread["thread_id"], "trivial", input={})
    await client.runs.join(thread["thread_id"], run["run_id"])

    with pytest.raises(NotFoundError) as exc:
        await client.runs.cancel(thread["thread_id"], run["run_id"])
    assert_detail(exc)
    assert (await client.runs.get(thread["thread_id"], run["run_id"]))["status"] == "success"


async def test_cancel_unknown_run_is_not_found(client: Client, thread: dict[str, Any]) -> None:
    with pytest.raises(NotFoundError) as exc:
        await client.runs.cancel(thread["thread_id"], unknown_id())
    assert_detail(exc)
    with pytest.raises(UnprocessableEntityError):
        await client.runs.cancel(thread["thread_id"], "not-a-uuid")


async def test_cancel_with_an_unknown_action_is_422(client: Client, thread: dict[str, Any]) -> None:
    run = await _running(client, thread["thread_id"])

    with pytest.raises(UnprocessableEntityError) as exc:
        await client.runs.cancel(thread["thread_id"], run["run_id"], action="explode")
    assert_detail(exc)
    assert (await client.runs.get(thread["thread_id"], run["run_id"]))["status"] == "running"
    await client.runs.cancel(thread["thread_id"], run["run_id"], wait=True)


async def test_cancel_many_by_run_ids(client: Client, thread: dict[str, Any]) -> None:
    running = await _running(client, thread["thread_id"])
    queued = await client.runs.create(thread["thread_id"], "trivial", input={})

    assert (
        await client.runs.cancel_many(
            thread_id=thread["thread_id"], run_ids=[running["run_id"], queued["run_id"]]
        )
        is None
    )

    for run in (running, queued):
        ended = await wait_for_status(
            client, thread["thread_id"], run["run_id"], {"interrupted", "success"}
        )
        assert ended["status"] == "interrupted"


async def test_cancel_many_rollback(client: Client, thread: dict[str, Any]) -> None:
    running = await _running(client, thread["thread_id"])

    await client.runs.cancel_many(
        thread_id=thread["thread_id"], run_ids=[running["run_id"]], action="rollback"
    )

    loop = asyncio.get_running_loop()
    deadline = loop.time() + 5
    while loop.time() < deadline:
        try:
            await client.runs.get(thread["thread_id"], running["run_id"])
        except NotFoundError:
            break
        await asyncio.sleep(0.02)
    else:
        pytest.fail("a run cancelled with rollback was not deleted")
    assert (await wait_for_status_idle(client, thread["thread_id"]))["status"] == "idle"


async def wait_for_status_idle(client: Client, thread_id: str) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 5
    while True:
        found = await client.threads.get(thread_id)
        if found["status"] != "busy" or loop.time() > deadline:
            return found  # type: ignore[no-any-return]
        await asyncio.sleep(0.02)


async def test_cancel_many_with_nothing_to_cancel_is_not_found(
    client: Client, thread: dict[str, Any]
) -> None:
    with pytest.raises(NotFoundError) as exc:
        await client.runs.cancel_many(thread_id=thread["thread_id"], run_ids=[unknown_id()])
    assert_detail(exc)


async def test_stream_on_disconnect_cancel_interrupts_the_run(
    client: Client, thread: dict[str, Any]
) -> None:
    stream = await client.runs.stream(
        thread["thread_id"],
        "ticker",
        input=LONG_TICKER,
        stream_mode="custom",
        on_disconnect="cancel",
    )
    parts: list[Any] = []
    async for part in stream:
        parts.append(part)
        if len(parts) == 3:
            break
    await stream.aclose()

    ended = await wait_for_status(
        client, thread["thread_id"], parts[0].data["run_id"], {"interrupted", "success"}, within=5
    )
    assert ended["status"] == "interrupted"


async def test_stream_disconnect_continues_by_default(
    client: Client, thread: dict[str, Any]
) -> None:
    stream = await client.runs.stream(
        thread["thread_id"], "ticker", input={"n_events": 10, "delay": 0.03}, stream_mode="custom"
    )
    parts: list[Any] = []
    async for part in stream:
        parts.append(part)
        if len(parts) == 2:
            break
    await stream.aclose()

    values = await client.runs.join(thread["thread_id"], parts[0].data["run_id"])

    assert values["counter"] == 10
    assert (await client.runs.get(thread["thread_id"], parts[0].data["run_id"]))[
        "status"
    ] == "success"
