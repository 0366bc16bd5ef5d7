"""Human in the loop: interrupt(), Command(resume), interrupt_before/after, checkpoint forks."""

from __future__ import annotations

from typing import Any

from .support import HUMAN_HI, Client, collect, data_of, names

QUESTION = {"question": "approve?", "counter": 0}


async def test_interrupt_ends_the_run_and_marks_the_thread(
    client: Client, thread: dict[str, Any]
) -> None:
    created: list[Any] = []

    result = await client.runs.wait(
        thread["thread_id"], "hitl", input={}, on_run_created=created.append
    )

    (interrupt,) = result["__interrupt__"]
    assert interrupt["value"] == QUESTION
    assert interrupt["id"]
    assert (await client.runs.get(thread["thread_id"], created[0]["run_id"]))["status"] == "success"
    found = await client.threads.get(thread["thread_id"])
    assert found["status"] == "interrupted"
    assert [i["value"] for pending in found["interrupts"].values() for i in pending] == [QUESTION]
    state = await client.threads.get_state(thread["thread_id"])
    assert state["next"] == ["ask"]
    assert [i["value"] for i in state["interrupts"]] == [QUESTION]
    assert [i["value"] for i in state["tasks"][0]["interrupts"]] == [QUESTION]
    assert state["tasks"][0]["name"] == "ask"


async def test_interrupt_in_the_stream(client: Client, thread: dict[str, Any]) -> None:
    parts = await collect(
        await client.runs.stream(
            thread["thread_id"], "hitl", input={}, stream_mode=["values", "updates"]
        )
    )

    assert names(parts)[-2:] == ["updates", "values"]
    (interrupt,) = parts[-2].data["__interrupt__"]
    assert interrupt["value"] == QUESTION
    assert parts[-1].data["__interrupt__"] == [interrupt]


async def test_command_resume_continues_with_the_answer(
    client: Client, thread: dict[str, Any]
) -> None:
    await client.runs.wait(thread["thread_id"], "hitl", input={})

    parts = await collect(
        await client.runs.stream(
            thread["thread_id"], "hitl", command={"resume": {"ok": True}}, stream_mode="updates"
        )
    )

    updates = data_of(parts, "updates")
    assert [list(u) for u in updates] == [["ask"], ["after"]]
    assert updates[0]["ask"]["answer"] == {"ok": True}
    state = await client.threads.get_state(thread["thread_id"])
    assert state["values"]["answer"] == {"ok": True}
    assert state["values"]["counter"] == 11
    assert state["next"] == []
    assert state["interrupts"] == []
    found = await client.threads.get(thread["thread_id"])
    assert found["status"] == "idle"
    assert found["interrupts"] == {}


async def test_command_resume_with_wait(client: Client, thread: dict[str, Any]) -> None:
    await client.runs.wait(thread["thread_id"], "hitl", input={})

    result = await client.runs.wait(thread["thread_id"], "hitl", command={"resume": "yes"})

    assert result["answer"] == "yes"
    assert "__interrupt__" not in result


async def test_command_resume_with_an_update(client: Client, thread: dict[str, Any]) -> None:
    await client.runs.wait(thread["thread_id"], "hitl", input={})

    result = await client.runs.wait(
        thread["thread_id"], "hitl", command={"resume": "x", "update": {"counter": 100}}
    )

    assert result == {"messages": [], "counter": 111, "answer": "x"}
    assert (await client.threads.get(thread["thread_id"]))["status"] == "idle"


async def test_new_input_on_an_interrupted_thread_restarts(
    client: Client, thread: dict[str, Any]
) -> None:
    first = await client.runs.wait(thread["thread_id"], "hitl", input={})

    second = await client.runs.wait(thread["thread_id"], "hitl", input={"counter": 5})

    assert second["__interrupt__"][0]["value"] == {"question": "approve?", "counter": 5}
    assert second["__interrupt__"][0]["id"] != first["__interrupt__"][0]["id"]


async def test_interrupt_before_stops_before_the_node(
    client: Client, thread: dict[str, Any]
) -> None:
    created: list[Any] = []

    result = await client.runs.wait(
        thread["thread_id"],
        "agent",
        input=HUMAN_HI,
        interrupt_before=["step_b"],
        on_run_created=created.append,
    )

    assert result["counter"] == 1
    assert (await client.runs.get(thread["thread_id"], created[0]["run_id"]))["status"] == "success"
    found = await client.threads.get(thread["thread_id"])
    assert found["status"] == "interrupted"
    state = await client.threads.get_state(thread["thread_id"])
    assert state["next"] == ["step_b"]

    resumed = await client.runs.wait(thread["thread_id"], "agent", input=None)

    assert resumed["counter"] == 111
    assert (await client.threads.get(thread["thread_id"]))["status"] == "idle"


async def test_interrupt_before_in_the_stream(client: Client, thread: dict[str, Any]) -> None:
    parts = await collect(
        await client.runs.stream(
            thread["thread_id"],
            "agent",
            input=HUMAN_HI,
            interrupt_before=["step_b"],
            stream_mode="updates",
        )
    )

    assert names(parts) == ["metadata", "updates", "updates"]
    assert list(parts[1].data) == ["step_a"]
    assert parts[2].data == {"__interrupt__": []}


async def test_interrupt_after_all_nodes(client: Client, thread: dict[str, Any]) -> None:
    result = await client.runs.wait(
        thread["thread_id"], "agent", input=HUMAN_HI, interrupt_after="*"
    )

    assert result["counter"] == 1
    assert (await client.threads.get_state(thread["thread_id"]))["next"] == ["step_b"]
    second = await client.runs.wait(thread["thread_id"], "agent", input=None, interrupt_after="*")
    assert second["counter"] == 11
    assert (await client.threads.get_state(thread["thread_id"]))["next"] == ["step_c"]


async def test_fork_from_a_checkpoint_reruns_from_there(
    client: Client, thread: dict[str, Any]
) -> None:
    await client.runs.wait(thread["thread_id"], "agent", input=HUMAN_HI)
    history = await client.threads.get_history(thread["thread_id"], limit=100)
    after_a = next(s for s in history if s["metadata"]["step"] == 1)
    fork_point = after_a["checkpoint"]["checkpoint_id"]

    parts = await collect(
        await client.runs.stream(
            thread["thread_id"],
            "agent",
            input=None,
            checkpoint_id=fork_point,
            stream_mode="updates",
        )
    )

    assert [list(u) for u in data_of(parts, "updates")] == [["step_b"], ["step_c"]]
    state = await client.threads.get_state(thread["thread_id"])
    assert state["values"]["counter"] == 111
    assert [m["content"] for m in state["values"]["messages"]] == ["hi", "from a", "from b"]
    new_history = await client.threads.get_history(thread["thread_id"], limit=100)
    old_ids = {s["checkpoint"]["checkpoint_id"] for s in history}
    assert old_ids <= {s["checkpoint"]["checkpoint_id"] for s in new_history}, (
        "the old branch stays"
    )
    assert len(new_history) > len(history)
    # Walking up from the new head reaches the fork point.
    by_id = {s["checkpoint"]["checkpoint_id"]: s for s in new_history}
    cursor = state["checkpoint"]["checkpoint_id"]
    ancestors = []
    while cursor in by_id:
        ancestors.append(cursor)
        parent = by_id[cursor]["parent_checkpoint"]
        cursor = parent["checkpoint_id"] if parent else None
    assert fork_point in ancestors


async def test_fork_with_a_checkpoint_dict(client: Client, thread: dict[str, Any]) -> None:
    await client.runs.wait(thread["thread_id"], "agent", input=HUMAN_HI)
    history = await client.threads.get_history(thread["thread_id"], limit=100)
    after_b = next(s for s in history if s["metadata"]["step"] == 2)

    result = await client.runs.wait(
        thread["thread_id"],
        "agent",
        input=None,
        checkpoint={"checkpoint_id": after_b["checkpoint"]["checkpoint_id"], "checkpoint_ns": ""},
    )

    assert result["counter"] == 111
