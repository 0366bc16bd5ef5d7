"""Runs: create, wait, join, get, list, delete, stateless runs, batches and their errors."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import httpx
import pytest
from langgraph_sdk.errors import ConflictError, NotFoundError, UnprocessableEntityError

from .support import (
    AGENT_ASSISTANT_ID,
    HUMAN_HI,
    Client,
    assert_detail,
    collect,
    names,
    unknown_id,
    wait_for_status,
)

RUN_KEYS = {
    "run_id",
    "thread_id",
    "assistant_id",
    "created_at",
    "updated_at",
    "status",
    "metadata",
    "multitask_strategy",
    "kwargs",
}
FINAL_AGENT_COUNTER = 111


def _contents(values: dict[str, Any]) -> list[str]:
    return [m["content"] for m in values["messages"]]


# -- background runs on a thread -----------------------------------------------------------


async def test_create_returns_a_pending_run(client: Client, thread: dict[str, Any]) -> None:
    created: list[Any] = []

    run = await client.runs.create(
        thread["thread_id"],
        "agent",
        input=HUMAN_HI,
        metadata={"purpose": "test"},
        on_run_created=created.append,
    )

    assert run.keys() >= RUN_KEYS
    uuid.UUID(run["run_id"])
    assert run["thread_id"] == thread["thread_id"]
    assert run["assistant_id"] == AGENT_ASSISTANT_ID
    assert run["status"] == "pending"
    assert run["multitask_strategy"] == "enqueue"
    assert run["metadata"]["purpose"] == "test"
    assert created == [{"run_id": run["run_id"], "thread_id": thread["thread_id"]}]
    await client.runs.join(thread["thread_id"], run["run_id"])


async def test_join_returns_the_final_values(client: Client, thread: dict[str, Any]) -> None:
    run = await client.runs.create(thread["thread_id"], "agent", input=HUMAN_HI)

    values = await client.runs.join(thread["thread_id"], run["run_id"])

    assert values["counter"] == FINAL_AGENT_COUNTER
    assert _contents(values) == ["hi", "from a", "from b"]
    finished = await client.runs.get(thread["thread_id"], run["run_id"])
    assert finished.keys() >= RUN_KEYS
    assert finished["status"] == "success"
    assert (await client.threads.get(thread["thread_id"]))["status"] == "idle"


async def test_join_a_finished_run_returns_at_once(client: Client, thread: dict[str, Any]) -> None:
    run = await client.runs.create(thread["thread_id"], "agent", input=HUMAN_HI)
    await client.runs.join(thread["thread_id"], run["run_id"])

    values = await client.runs.join(thread["thread_id"], run["run_id"])

    assert values["counter"] == FINAL_AGENT_COUNTER


async def test_thread_is_busy_while_a_run_is_active(client: Client, thread: dict[str, Any]) -> None:
    run = await client.runs.create(
        thread["thread_id"], "ticker", input={"n_events": 10, "delay": 0.05}
    )

    assert (await client.threads.get(thread["thread_id"]))["status"] == "busy"
    await client.runs.join(thread["thread_id"], run["run_id"])
    assert (await client.threads.get(thread["thread_id"]))["status"] == "idle"


async def test_a_failing_run_ends_in_error(client: Client, thread: dict[str, Any]) -> None:
    run = await client.runs.create(thread["thread_id"], "agent", input={"fail": True})

    result = await client.runs.join(thread["thread_id"], run["run_id"])

    assert result["__error__"] == {"error": "ValueError", "message": "boom from b"}
    assert (await client.runs.get(thread["thread_id"], run["run_id"]))["status"] == "error"
    assert (await client.threads.get(thread["thread_id"]))["status"] == "error"


async def test_get_unknown_run_or_thread_is_not_found(
    client: Client, thread: dict[str, Any]
) -> None:
    with pytest.raises(NotFoundError) as exc:
        await client.runs.get(thread["thread_id"], unknown_id())
    assert_detail(exc)
    with pytest.raises(NotFoundError):
        await client.runs.get(unknown_id(), unknown_id())


async def test_get_run_through_another_thread_is_not_found(
    client: Client, thread: dict[str, Any]
) -> None:
    run = await client.runs.create(thread["thread_id"], "trivial", input={})
    other = await client.threads.create()

    with pytest.raises(NotFoundError):
        await client.runs.get(other["thread_id"], run["run_id"])
    await client.runs.join(thread["thread_id"], run["run_id"])


async def test_non_uuid_run_id_is_422(client: Client, thread: dict[str, Any]) -> None:
    with pytest.raises(UnprocessableEntityError) as exc:
        await client.runs.get(thread["thread_id"], "not-a-uuid")
    assert_detail(exc)
    with pytest.raises(UnprocessableEntityError):
        await client.runs.get("not-a-uuid", unknown_id())


async def test_list_is_newest_first_and_filters(client: Client, thread: dict[str, Any]) -> None:
    first = await client.runs.create(thread["thread_id"], "trivial", input={})
    second = await client.runs.create(thread["thread_id"], "agent", input={"fail": True})
    third = await client.runs.create(thread["thread_id"], "trivial", input={})
    await client.runs.join(thread["thread_id"], third["run_id"])

    runs = await client.runs.list(thread["thread_id"])
    assert [r["run_id"] for r in runs] == [third["run_id"], second["run_id"], first["run_id"]]
    assert all(r.keys() >= RUN_KEYS for r in runs)

    assert [
        r["run_id"] for r in await client.runs.list(thread["thread_id"], limit=1, offset=1)
    ] == [second["run_id"]]
    errored = await client.runs.list(thread["thread_id"], status="error")
    assert [r["run_id"] for r in errored] == [second["run_id"]]
    selected = await client.runs.list(thread["thread_id"], select=["run_id", "status"])
    assert [set(r) for r in selected] == [{"run_id", "status"}] * 3


async def test_list_on_unknown_thread_is_not_found(client: Client) -> None:
    with pytest.raises(NotFoundError):
        await client.runs.list(unknown_id())


async def test_delete_removes_a_finished_run(client: Client, thread: dict[str, Any]) -> None:
    run = await client.runs.create(thread["thread_id"], "trivial", input={})
    await client.runs.join(thread["thread_id"], run["run_id"])

    assert await client.runs.delete(thread["thread_id"], run["run_id"]) is None

    with pytest.raises(NotFoundError):
        await client.runs.get(thread["thread_id"], run["run_id"])
    assert await client.runs.list(thread["thread_id"]) == []
    with pytest.raises(NotFoundError):
        await client.runs.delete(thread["thread_id"], run["run_id"])


async def test_delete_a_run_in_flight_conflicts(client: Client, thread: dict[str, Any]) -> None:
    run = await client.runs.create(
        thread["thread_id"], "ticker", input={"n_events": 10, "delay": 0.03}
    )

    with pytest.raises(ConflictError) as exc:
        await client.runs.delete(thread["thread_id"], run["run_id"])
    assert_detail(exc)

    assert (await client.runs.join(thread["thread_id"], run["run_id"]))["counter"] == 10


# -- wait ----------------------------------------------------------------------------------


async def test_wait_returns_the_final_values(client: Client, thread: dict[str, Any]) -> None:
    created: list[Any] = []

    values = await client.runs.wait(
        thread["thread_id"], "agent", input=HUMAN_HI, on_run_created=created.append
    )

    assert values["counter"] == FINAL_AGENT_COUNTER
    assert _contents(values) == ["hi", "from a", "from b"]
    assert len(created) == 1
    run = await client.runs.get(thread["thread_id"], created[0]["run_id"])
    assert run["status"] == "success"


async def test_wait_on_a_failing_run_raises_its_error(
    client: Client, thread: dict[str, Any]
) -> None:
    with pytest.raises(Exception, match="^ValueError: boom from b$"):
        await client.runs.wait(thread["thread_id"], "agent", input={"fail": True})

    result = await client.runs.wait(
        thread["thread_id"], "agent", input={"fail": True}, raise_error=False
    )
    assert result == {"__error__": {"error": "ValueError", "message": "boom from b"}}


async def test_config_context_and_metadata_reach_the_run(
    client: Client, thread: dict[str, Any]
) -> None:
    run = await client.runs.create(
        thread["thread_id"],
        "agent",
        input=HUMAN_HI,
        metadata={"m": 1},
        config={"tags": ["t1"], "configurable": {"user_setting": "x"}},
    )
    await client.runs.join(thread["thread_id"], run["run_id"])

    found = await client.runs.get(thread["thread_id"], run["run_id"])
    assert found["metadata"]["m"] == 1
    assert found["kwargs"]["config"]["configurable"]["user_setting"] == "x"
    assert "t1" in found["kwargs"]["config"]["tags"]
    state = await client.threads.get_state(thread["thread_id"])
    assert state["metadata"]["m"] == 1
    assert state["metadata"]["run_id"] == run["run_id"]


async def test_a_run_carries_its_threads_metadata_under_its_own(client: Client) -> None:
    thread = await client.threads.create(metadata={"team": "a", "m": "thread"})
    run = await client.runs.create(thread["thread_id"], "agent", input=HUMAN_HI, metadata={"m": 1})
    found = await client.runs.get(thread["thread_id"], run["run_id"])
    assert found["metadata"]["team"] == "a"
    assert found["metadata"]["m"] == 1  # the run's own wins
    assert found["metadata"]["graph_id"] == "agent"
    config_metadata = found["kwargs"]["config"]["metadata"]
    assert (config_metadata["team"], config_metadata["m"]) == ("a", 1)
    await client.runs.join(thread["thread_id"], run["run_id"])


# -- assistants and threads that do not exist ----------------------------------------------


async def test_run_on_unknown_thread_is_not_found(client: Client) -> None:
    with pytest.raises(NotFoundError) as exc:
        await client.runs.create(unknown_id(), "agent", input={})
    assert_detail(exc)
    with pytest.raises(NotFoundError):
        await collect(await client.runs.stream(unknown_id(), "agent", input={}))
    with pytest.raises(httpx.HTTPStatusError) as raw:  # wait maps no error types (SDK quirk)
        await client.runs.wait(unknown_id(), "agent", input={})
    assert raw.value.response.status_code == 404


async def test_if_not_exists_create_makes_the_thread(client: Client) -> None:
    thread_id = unknown_id()

    values = await client.runs.wait(thread_id, "agent", input=HUMAN_HI, if_not_exists="create")

    assert values["counter"] == FINAL_AGENT_COUNTER
    created = await client.threads.get(thread_id)
    assert created["metadata"]["graph_id"] == "agent"
    assert created["metadata"]["assistant_id"] == AGENT_ASSISTANT_ID
    parts = await collect(
        await client.runs.stream(unknown_id(), "trivial", input={}, if_not_exists="create")
    )
    assert names(parts)[0] == "metadata"


async def test_if_not_exists_reject_is_not_found(client: Client) -> None:
    with pytest.raises(NotFoundError):
        await client.runs.create(unknown_id(), "agent", input={}, if_not_exists="reject")


async def test_unknown_graph_name_is_422_and_writes_nothing(client: Client) -> None:
    thread_id = unknown_id()

    with pytest.raises(UnprocessableEntityError) as exc:
        await client.runs.create(thread_id, "no-such-graph", input={}, if_not_exists="create")
    assert_detail(exc)

    with pytest.raises(NotFoundError):
        await client.threads.get(thread_id)


async def test_unknown_assistant_uuid_is_not_found(client: Client, thread: dict[str, Any]) -> None:
    with pytest.raises(NotFoundError):
        await client.runs.create(thread["thread_id"], unknown_id(), input={})
    assert await client.runs.list(thread["thread_id"]) == []


async def test_invalid_run_bodies_are_422(client: Client, thread: dict[str, Any]) -> None:
    path = f"/threads/{thread['thread_id']}/runs"
    bodies: list[Any] = [
        {},  # no assistant_id
        {"assistant_id": "agent", "stream_mode": "shouting"},
        {"assistant_id": "agent", "multitask_strategy": "ignore"},
        {"assistant_id": "agent", "if_not_exists": "maybe"},
        {"assistant_id": "agent", "after_seconds": "soon"},
        {"assistant_id": "agent", "checkpoint": "not an object"},
        {"assistant_id": "agent", "stream_resumable": "perhaps"},
        {"assistant_id": "agent", "config": []},
        {"assistant_id": "agent", "metadata": "x"},
        {"assistant_id": "agent", "interrupt_before": 3},
        {"assistant_id": "agent", "durability": "forever"},
    ]
    accepted = []
    for body in bodies:
        for suffix in ("", "/stream", "/wait"):
            try:
                await client.http.post(path + suffix, json=body)
            except UnprocessableEntityError as exc:
                assert isinstance(exc.body, dict) and isinstance(exc.body.get("detail"), str), (
                    exc.body
                )
            except Exception as exc:  # e.g. a 200 event stream that `http.post` cannot decode
                accepted.append((suffix, body, type(exc).__name__))
            else:
                accepted.append((suffix, body, "200"))
    assert accepted == [], "accepted instead of 422"
    assert await client.runs.list(thread["thread_id"]) == []
    assert (await client.threads.get(thread["thread_id"]))["status"] == "idle"


async def test_durability_exit_checkpoints_only_at_the_end(
    client: Client, thread: dict[str, Any]
) -> None:
    values = await client.runs.wait(thread["thread_id"], "agent", input=HUMAN_HI, durability="exit")

    assert values["counter"] == FINAL_AGENT_COUNTER
    history = await client.threads.get_history(thread["thread_id"], limit=100)
    assert len(history) == 1
    assert history[0]["values"]["counter"] == FINAL_AGENT_COUNTER


async def test_durability_sync_checkpoints_every_step(
    client: Client, thread: dict[str, Any]
) -> None:
    await client.runs.wait(thread["thread_id"], "agent", input=HUMAN_HI, durability="sync")

    assert len(await client.threads.get_history(thread["thread_id"], limit=100)) == 5


# -- multitask: the conflict case ----------------------------------------------------------


async def test_reject_strategy_conflicts_while_a_run_is_active(
    client: Client, thread: dict[str, Any]
) -> None:
    first = await client.runs.create(
        thread["thread_id"], "ticker", input={"n_events": 10, "delay": 0.05}
    )

    with pytest.raises(ConflictError) as exc:
        await client.runs.create(
            thread["thread_id"], "agent", input={}, multitask_strategy="reject"
        )
    assert_detail(exc)
    with pytest.raises(ConflictError):
        await collect(
            await client.runs.stream(
                thread["thread_id"], "agent", input={}, multitask_strategy="reject"
            )
        )
    with pytest.raises(httpx.HTTPStatusError) as raw:
        await client.runs.wait(thread["thread_id"], "agent", input={}, multitask_strategy="reject")
    assert raw.value.response.status_code == 409

    assert [r["run_id"] for r in await client.runs.list(thread["thread_id"])] == [first["run_id"]]
    await client.runs.join(thread["thread_id"], first["run_id"])
    assert (await client.runs.get(thread["thread_id"], first["run_id"]))["status"] == "success"


async def test_enqueue_runs_one_after_the_other(client: Client, thread: dict[str, Any]) -> None:
    first = await client.runs.create(
        thread["thread_id"], "ticker", input={"n_events": 5, "delay": 0.05}
    )
    second = await client.runs.create(thread["thread_id"], "trivial", input={})

    assert second["status"] == "pending"
    assert (await client.runs.get(thread["thread_id"], second["run_id"]))["status"] == "pending"
    values = await client.runs.join(thread["thread_id"], second["run_id"])

    assert values["counter"] == 6  # 5 from the ticker, then 1
    assert (await client.runs.get(thread["thread_id"], first["run_id"]))["status"] == "success"


# -- after_seconds -------------------------------------------------------------------------


async def test_after_seconds_delays_the_start(client: Client, thread: dict[str, Any]) -> None:
    started = time.monotonic()
    run = await client.runs.create(thread["thread_id"], "trivial", input={}, after_seconds=1)

    await asyncio.sleep(0.3)
    assert (await client.runs.get(thread["thread_id"], run["run_id"]))["status"] == "pending"
    assert (await client.threads.get(thread["thread_id"]))["status"] == "busy"
    values = await client.runs.join(thread["thread_id"], run["run_id"])

    assert values["counter"] == 1
    elapsed = time.monotonic() - started
    # Not before its delay; soon after it (how soon is the benchmarks' business, not a test's).
    assert 1.0 <= elapsed < 5.0, f"a run delayed by 1 s finished after {elapsed:.2f} s"


# -- stateless runs ------------------------------------------------------------------------


async def test_stateless_wait_and_stream(client: Client) -> None:
    values = await client.runs.wait(None, "agent", input=HUMAN_HI)
    assert values["counter"] == FINAL_AGENT_COUNTER

    parts = await collect(
        await client.runs.stream(None, "agent", input=HUMAN_HI, stream_mode="updates")
    )
    assert names(parts) == ["metadata", "updates", "updates", "updates"]
    assert [list(p.data) for p in parts[1:]] == [["step_a"], ["step_b"], ["step_c"]]


async def test_stateless_wait_raises_the_graph_error(client: Client) -> None:
    with pytest.raises(Exception, match="^ValueError: boom from b$"):
        await client.runs.wait(None, "agent", input={"fail": True})


async def test_stateless_run_deletes_its_thread_by_default(client: Client) -> None:
    run = await client.runs.create(None, "trivial", input={})

    assert run.keys() >= RUN_KEYS
    assert run["status"] == "pending"
    thread_id = run["thread_id"]
    uuid.UUID(thread_id)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while loop.time() < deadline:
        try:
            await client.threads.get(thread_id)
        except NotFoundError:
            break
        await asyncio.sleep(0.05)
    else:
        pytest.fail("the temporary thread of a stateless run was not deleted")


async def test_stateless_run_keeps_its_thread_on_completion_keep(client: Client) -> None:
    run = await client.runs.create(None, "agent", input=HUMAN_HI, on_completion="keep")

    values = await client.runs.join(run["thread_id"], run["run_id"])

    assert values["counter"] == FINAL_AGENT_COUNTER
    kept = await client.threads.get(run["thread_id"])
    assert kept["values"]["counter"] == FINAL_AGENT_COUNTER
    assert kept["metadata"]["graph_id"] == "agent"
    assert kept["metadata"]["assistant_id"] == AGENT_ASSISTANT_ID
    assert (await client.runs.get(run["thread_id"], run["run_id"]))["status"] == "success"


async def test_create_batch_creates_stateless_runs(client: Client) -> None:
    runs = await client.runs.create_batch(
        [
            {"assistant_id": "trivial", "input": {}},
            {"assistant_id": "agent", "input": HUMAN_HI, "metadata": {"n": 2}},
        ]
    )

    assert len(runs) == 2
    assert all(r.keys() >= RUN_KEYS for r in runs)
    assert [r["status"] for r in runs] == ["pending", "pending"]
    assert runs[0]["run_id"] != runs[1]["run_id"]
    assert runs[0]["thread_id"] != runs[1]["thread_id"]
    assert runs[1]["metadata"]["n"] == 2


async def test_create_batch_with_an_invalid_item_is_422(client: Client) -> None:
    with pytest.raises(UnprocessableEntityError) as exc:
        await client.runs.create_batch([{"assistant_id": "trivial"}, {"input": {}}])
    assert_detail(exc)


async def test_stateless_run_with_unknown_assistant(client: Client) -> None:
    with pytest.raises(UnprocessableEntityError):
        await client.runs.create(None, "no-such-graph", input={})
    with pytest.raises(NotFoundError):
        await client.runs.create(None, unknown_id(), input={})


async def test_stateless_background_run_is_visible_while_it_runs(client: Client) -> None:
    run = await client.runs.create(None, "ticker", input={"n_events": 10, "delay": 0.05})

    running = await wait_for_status(client, run["thread_id"], run["run_id"], {"running"})

    assert running["run_id"] == run["run_id"]
    assert running["status"] == "running"
    assert running["kwargs"].get("temporary") is True
