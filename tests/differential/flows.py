"""The scenarios of the differential suite, each written once against the official SDK.

A scenario drives one server through a `Probe` and records what it sees under named keys
(`probe.record[...]`); the test runs it against the official server and against Tether and
compares the two transcripts after `normalizing.normalize`. Scenarios record facts that do not
depend on timing: where a stream's content depends on when a join lands, they record properties
(for example "a contiguous run of ticks ending with the last one") instead of the raw list.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
from langgraph_sdk.client import LangGraphClient
from langgraph_sdk.errors import APIStatusError
from langgraph_sdk.schema import Command

HUMAN_HI = {"messages": [{"role": "user", "content": "hi"}]}
DONE = ("success", "error", "timeout", "interrupted")


class Probe:
    """One server, seen through the official SDK; `record` collects the observations."""

    def __init__(self, sdk: LangGraphClient) -> None:
        self.sdk = sdk
        self.http: httpx.AsyncClient = sdk.http.client
        self.record: dict[str, Any] = {}

    # -- streams -------------------------------------------------------------------------

    async def parts(self, stream: AsyncIterator[Any], limit: int | None = None) -> list[Any]:
        parts = []
        async for part in stream:
            parts.append(part)
            if limit is not None and len(parts) >= limit:
                break
        await stream.aclose()  # type: ignore[attr-defined]
        return parts

    def keep_stream(self, name: str, parts: list[Any]) -> None:
        """Event names and data in order; whether the events carried ids, separately."""
        self.record[name] = [{"event": p.event, "data": p.data} for p in parts]
        with_id = sum(1 for p in parts if p.id)
        self.record[f"{name}.ids"] = (
            "none" if with_id == 0 else "all" if with_id == len(parts) else "some"
        )

    async def stream(
        self, name: str, thread_id: str | None, assistant: str, **kwargs: Any
    ) -> list[Any]:
        created: list[Any] = []
        kwargs.setdefault("on_run_created", created.append)
        parts = await self.parts(self.sdk.runs.stream(thread_id, assistant, **kwargs))
        self.keep_stream(name, parts)
        self.last_run = created[0] if created else None
        return parts

    # -- raw requests (status codes and bodies the SDK would turn into exceptions) --------

    async def call(self, name: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = await self.http.request(method, path, **kwargs)
        body: Any
        if response.headers.get("content-type", "").startswith("text/event-stream"):
            body = response.text
        else:
            try:
                body = response.json()
            except ValueError:
                body = response.text
        self.record[name] = {"status": response.status_code, "body": body}
        return response

    async def outcome(self, name: str, action: Awaitable[Any]) -> Any:
        """The value of an SDK call, or the status code and body of the error it raised."""
        try:
            value = await action
        except APIStatusError as exc:
            self.record[name] = {
                "raised": type(exc).__name__,
                "status": exc.status_code,
                "body": exc.body,
            }
            return None
        except Exception as exc:  # the SDK raises plain Exception for `__error__` results
            self.record[name] = {"raised": type(exc).__name__, "message": str(exc)}
            return None
        self.record[name] = value
        return value

    # -- helpers -------------------------------------------------------------------------

    async def thread(self) -> str:
        return str((await self.sdk.threads.create())["thread_id"])

    async def run_status(self, thread_id: str, run_id: str) -> str:
        try:
            return str((await self.sdk.runs.get(thread_id, run_id))["status"])
        except APIStatusError as exc:
            return f"HTTP {exc.status_code}"

    async def until(
        self, thread_id: str, run_id: str, statuses: tuple[str, ...], timeout: float = 15
    ) -> str:
        deadline = time.monotonic() + timeout
        while True:
            status = await self.run_status(thread_id, run_id)
            if status in statuses or time.monotonic() > deadline:
                return status
            await asyncio.sleep(0.05)

    async def settled(self, thread_id: str, timeout: float = 10) -> None:
        """Wait until the thread is no longer busy: a server may finish its bookkeeping a
        moment after a cancel answered, and the transcript must not depend on that moment."""
        deadline = time.monotonic() + timeout
        while (await self.sdk.threads.get(thread_id))["status"] == "busy":
            if time.monotonic() > deadline:
                return
            await asyncio.sleep(0.05)

    async def statuses(self, name: str, thread_id: str, *run_ids: str) -> None:
        thread = await self.sdk.threads.get(thread_id)
        self.record[name] = {
            "thread": thread["status"],
            "runs": [await self.run_status(thread_id, r) for r in run_ids],
        }

    async def state(self, name: str, thread_id: str) -> dict[str, Any]:
        state = await self.sdk.threads.get_state(thread_id)
        self.record[name] = state
        return dict(state)


Scenario = Callable[[Probe], Awaitable[None]]
SCENARIOS: dict[str, Scenario] = {}


def scenario(fn: Scenario) -> Scenario:
    SCENARIOS[fn.__name__] = fn
    return fn


def _agent_mode(mode: str, graph: str = "agent", payload: dict[str, Any] | None = None) -> Scenario:
    async def run(p: Probe) -> None:
        tid = await p.thread()
        await p.stream("stream", tid, graph, input=payload or HUMAN_HI, stream_mode=mode)
        await p.statuses("after", tid, p.last_run["run_id"])

    return run


# -- every stream mode ---------------------------------------------------------------------

for _mode in (
    "values",
    "updates",
    "custom",
    "messages-tuple",
    "messages",
    "debug",
    "tasks",
    "checkpoints",
    "events",
):
    SCENARIOS[f"mode_{_mode.replace('-', '_')}_agent"] = _agent_mode(_mode)
for _mode in ("messages-tuple", "messages", "events", "values"):
    SCENARIOS[f"mode_{_mode.replace('-', '_')}_chat"] = _agent_mode(_mode, "chat")


@scenario
async def mode_default_is_values(p: Probe) -> None:
    tid = await p.thread()
    await p.stream("stream", tid, "agent", input=HUMAN_HI)


@scenario
async def modes_interleaved(p: Probe) -> None:
    tid = await p.thread()
    await p.stream(
        "stream",
        tid,
        "agent",
        input=HUMAN_HI,
        stream_mode=["values", "updates", "custom", "messages-tuple"],
    )


@scenario
async def subgraphs_streamed(p: Probe) -> None:
    tid = await p.thread()
    await p.stream(
        "stream",
        tid,
        "nested",
        input={},
        stream_mode=["values", "updates", "custom"],
        stream_subgraphs=True,
    )
    await p.stream(
        "without_subgraphs",
        await p.thread(),
        "nested",
        input={},
        stream_mode=["values", "updates", "custom"],
    )


@scenario
async def stateless_stream(p: Probe) -> None:
    await p.stream("values", None, "agent", input=HUMAN_HI, stream_mode=["values", "updates"])
    await p.stream(
        "checkpoints_debug", None, "agent", input=HUMAN_HI, stream_mode=["checkpoints", "debug"]
    )


@scenario
async def stream_graph_error(p: Probe) -> None:
    tid = await p.thread()
    await p.stream(
        "stream", tid, "agent", input={**HUMAN_HI, "fail": True}, stream_mode=["updates"]
    )
    await p.statuses("after", tid, p.last_run["run_id"])
    thread = await p.sdk.threads.get(tid)
    p.record["thread_error"] = thread.get("error")


# -- wait ----------------------------------------------------------------------------------


@scenario
async def wait_results(p: Probe) -> None:
    tid = await p.thread()
    await p.outcome("wait", p.sdk.runs.wait(tid, "agent", input=HUMAN_HI))
    await p.outcome("wait_error", p.sdk.runs.wait(await p.thread(), "agent", input={"fail": True}))
    await p.outcome("stateless_wait", p.sdk.runs.wait(None, "trivial", input={}))
    await p.outcome("wait_interrupted", p.sdk.runs.wait(await p.thread(), "hitl", input={}))


# -- interrupts and resume -----------------------------------------------------------------


@scenario
async def interrupt_and_resume(p: Probe) -> None:
    tid = await p.thread()
    await p.stream("first", tid, "hitl", input={}, stream_mode=["values", "updates"])
    first = p.last_run["run_id"]
    await p.statuses("after_interrupt", tid, first)
    await p.state("state_interrupted", tid)
    thread = await p.sdk.threads.get(tid)
    p.record["thread_interrupts"] = thread.get("interrupts")
    await p.stream(
        "resumed",
        tid,
        "hitl",
        command=Command(resume={"ok": True}),
        stream_mode=["values", "updates"],
    )
    await p.statuses("after_resume", tid, first, p.last_run["run_id"])
    await p.state("state_done", tid)
    await p.stream(
        "resume_nothing_pending",
        tid,
        "hitl",
        command=Command(resume="again"),
        stream_mode=["values"],
    )


@scenario
async def interrupt_before_and_after(p: Probe) -> None:
    tid = await p.thread()
    await p.stream(
        "before", tid, "agent", input=HUMAN_HI, stream_mode=["updates"], interrupt_before=["step_b"]
    )
    await p.statuses("after_before", tid, p.last_run["run_id"])
    state = await p.sdk.threads.get_state(tid)
    p.record["next_before"] = state["next"]
    await p.stream("continued", tid, "agent", input=None, stream_mode=["updates"])
    tid2 = await p.thread()
    await p.stream(
        "after", tid2, "agent", input=HUMAN_HI, stream_mode=["updates"], interrupt_after="*"
    )
    p.record["next_after"] = (await p.sdk.threads.get_state(tid2))["next"]


# -- multitask strategies ------------------------------------------------------------------


async def _ticking(p: Probe, tid: str, run_id: str) -> None:
    """Until the `ticker` run (with `custom` in its stream modes) emitted its first tick.

    `running` is not enough: the run's node must be at work, its input checkpoint written,
    or what a cancel or a second run finds depends on how soon it lands on either server."""
    await p.until(tid, run_id, ("running",) + DONE)

    async def first_tick() -> None:
        stream = p.sdk.runs.join_stream(tid, run_id)
        try:
            async for part in stream:
                if part.event == "custom":
                    return
        finally:
            await stream.aclose()  # type: ignore[attr-defined]

    await asyncio.wait_for(first_tick(), timeout=15)


async def _busy_thread(p: Probe, n_events: int = 30) -> tuple[str, str]:
    """A thread with a `ticker` run at work (n_events 0.1 s apart)."""
    tid = await p.thread()
    run = await p.sdk.runs.create(
        tid, "ticker", input={"n_events": n_events, "delay": 0.1}, stream_mode=["custom"]
    )
    await _ticking(p, tid, str(run["run_id"]))
    return tid, str(run["run_id"])


@scenario
async def multitask_reject(p: Probe) -> None:
    tid, first = await _busy_thread(p)
    await p.outcome(
        "create", p.sdk.runs.create(tid, "trivial", input={}, multitask_strategy="reject")
    )
    await p.call(
        "wait_raw",
        "POST",
        f"/threads/{tid}/runs/wait",
        json={"assistant_id": "trivial", "input": {}, "multitask_strategy": "reject"},
    )
    await p.call(
        "stream_raw",
        "POST",
        f"/threads/{tid}/runs/stream",
        json={"assistant_id": "trivial", "input": {}, "multitask_strategy": "reject"},
    )
    p.record["first_still"] = await p.run_status(tid, first)
    await p.sdk.runs.cancel(tid, first, wait=True)


@scenario
async def multitask_interrupt(p: Probe) -> None:
    tid, first = await _busy_thread(p)
    second = await p.sdk.runs.create(
        tid, "ticker", input={"n_events": 2, "delay": 0}, multitask_strategy="interrupt"
    )
    p.record["second_created"] = second["status"]
    await p.outcome("second_join", p.sdk.runs.join(tid, second["run_id"]))
    await p.statuses("after", tid, first, second["run_id"])
    p.record["values"] = (await p.sdk.threads.get_state(tid))["values"]


@scenario
async def multitask_rollback(p: Probe) -> None:
    tid, first = await _busy_thread(p)
    second = await p.sdk.runs.create(
        tid, "ticker", input={"n_events": 2, "delay": 0}, multitask_strategy="rollback"
    )
    await p.outcome("second_join", p.sdk.runs.join(tid, second["run_id"]))
    await p.statuses("after", tid, first, second["run_id"])
    p.record["values"] = (await p.sdk.threads.get_state(tid))["values"]
    p.record["runs_listed"] = len(await p.sdk.runs.list(tid))


@scenario
async def multitask_enqueue(p: Probe) -> None:
    tid, first = await _busy_thread(p, n_events=10)
    second = await p.sdk.runs.create(tid, "ticker", input={"n_events": 2, "delay": 0})
    p.record["second_while_first_runs"] = await p.run_status(tid, second["run_id"])
    await p.outcome("second_join", p.sdk.runs.join(tid, second["run_id"]))
    await p.statuses("after", tid, first, second["run_id"])


# -- cancel --------------------------------------------------------------------------------


@scenario
async def cancel_interrupt(p: Probe) -> None:
    tid, run = await _busy_thread(p)
    await p.call("cancel", "POST", f"/threads/{tid}/runs/{run}/cancel")
    p.record["status"] = await p.until(tid, run, DONE)
    await p.statuses("after", tid, run)
    await p.call("cancel_again", "POST", f"/threads/{tid}/runs/{run}/cancel")
    await p.call("cancel_unknown", "POST", f"/threads/{tid}/runs/{uuid.uuid4()}/cancel")


@scenario
async def cancel_wait(p: Probe) -> None:
    tid, run = await _busy_thread(p)
    await p.call("cancel", "POST", f"/threads/{tid}/runs/{run}/cancel", params={"wait": 1})
    await p.statuses("after", tid, run)
    await p.outcome("join_cancelled", p.sdk.runs.join(tid, run))


@scenario
async def cancel_rollback(p: Probe) -> None:
    tid = await p.thread()
    await p.sdk.runs.wait(tid, "trivial", input={})
    run = await p.sdk.runs.create(
        tid, "ticker", input={"n_events": 30, "delay": 0.1}, stream_mode=["custom"]
    )
    await _ticking(p, tid, run["run_id"])
    await p.call(
        "cancel",
        "POST",
        f"/threads/{tid}/runs/{run['run_id']}/cancel",
        params={"wait": 1, "action": "rollback"},
    )
    await p.settled(tid)
    await p.statuses("after", tid, run["run_id"])
    p.record["values"] = (await p.sdk.threads.get_state(tid))["values"]


@scenario
async def cancel_pending_and_bulk(p: Probe) -> None:
    tid, first = await _busy_thread(p)
    queued = await p.sdk.runs.create(tid, "trivial", input={})
    await p.call("cancel_pending", "POST", f"/threads/{tid}/runs/{queued['run_id']}/cancel")
    p.record["pending_cancelled"] = await p.until(tid, queued["run_id"], DONE, timeout=5)
    await p.call("bulk", "POST", "/runs/cancel", json={"thread_id": tid, "run_ids": [first]})
    p.record["first"] = await p.until(tid, first, DONE)
    await p.call(
        "bulk_nothing", "POST", "/runs/cancel", json={"thread_id": tid, "run_ids": [first]}
    )


# -- join and rejoin -----------------------------------------------------------------------


@scenario
async def join_live_only(p: Probe) -> None:
    tid = await p.thread()
    run = await p.sdk.runs.create(
        tid, "ticker", input={"n_events": 12, "delay": 0.15}, stream_mode=["custom", "values"]
    )
    await _ticking(p, tid, run["run_id"])  # the first ticks went out before this join
    parts = await p.parts(p.sdk.runs.join_stream(tid, run["run_id"]))
    ticks = [part.data["i"] for part in parts if part.event == "custom"]
    p.record["join"] = {
        "has_metadata": any(part.event == "metadata" for part in parts),
        "missed_the_first_ticks": bool(ticks) and ticks[0] > 0,
        "contiguous_to_the_end": ticks == list(range(ticks[0], 12)) if ticks else False,
        "last": {"event": parts[-1].event, "data": parts[-1].data} if parts else None,
    }
    p.keep_stream("after_end", await p.parts(p.sdk.runs.join_stream(tid, run["run_id"])))


@scenario
async def join_pending_gets_everything(p: Probe) -> None:
    tid, first = await _busy_thread(p, n_events=5)
    queued = await p.sdk.runs.create(
        tid, "ticker", input={"n_events": 3, "delay": 0}, stream_mode=["custom", "values"]
    )
    parts = await p.parts(p.sdk.runs.join_stream(tid, queued["run_id"]))
    p.keep_stream("join", parts)


@scenario
async def join_replay_resumable(p: Probe) -> None:
    tid = await p.thread()
    await p.stream(
        "stream",
        tid,
        "ticker",
        input={"n_events": 4, "delay": 0.01},
        stream_mode=["custom", "values"],
        stream_resumable=True,
    )
    run_id = p.last_run["run_id"]
    p.keep_stream("replay", await p.parts(p.sdk.runs.join_stream(tid, run_id, last_event_id="0")))
    p.keep_stream("no_last_id", await p.parts(p.sdk.runs.join_stream(tid, run_id)))
    p.keep_stream(
        "only_values",
        await p.parts(p.sdk.runs.join_stream(tid, run_id, stream_mode="values", last_event_id="0")),
    )
    p.keep_stream(
        "custom_and_values",
        await p.parts(
            p.sdk.runs.join_stream(tid, run_id, stream_mode=["custom", "values"], last_event_id="0")
        ),
    )
    p.keep_stream(
        "mode_not_in_run",
        await p.parts(
            p.sdk.runs.join_stream(tid, run_id, stream_mode="updates", last_event_id="0")
        ),
    )


@scenario
async def join_replay_not_resumable(p: Probe) -> None:
    tid = await p.thread()
    await p.stream(
        "stream", tid, "ticker", input={"n_events": 3, "delay": 0}, stream_mode=["custom"]
    )
    run_id = p.last_run["run_id"]
    p.keep_stream("replay", await p.parts(p.sdk.runs.join_stream(tid, run_id, last_event_id="0")))


@scenario
async def rejoin_in_the_middle(p: Probe) -> None:
    tid = await p.thread()
    n = 20
    stream = p.sdk.runs.stream(
        tid,
        "ticker",
        input={"n_events": n, "delay": 0.05},
        stream_mode=["custom"],
        stream_resumable=True,
    )
    head = await p.parts(stream, limit=6)  # metadata + 5 ticks
    run_id = head[0].data["run_id"]
    p.record["head"] = [part.event for part in head]
    rest = await p.parts(p.sdk.runs.join_stream(tid, run_id, last_event_id=head[-1].id))
    before = [part.data["i"] for part in head if part.event == "custom"]
    after = [part.data["i"] for part in rest if part.event == "custom"]
    p.record["rejoin"] = {
        "events": sorted({part.event for part in rest}),
        "first_after": after[0] if after else None,
        "missing": sorted(set(range(n)) - set(before) - set(after)),
    }
    p.record["rejoin.duplicates"] = len(before + after) - len(set(before + after))


@scenario
async def join_unknown_and_blocking_join(p: Probe) -> None:
    tid = await p.thread()
    p.keep_stream("unknown_run", await p.parts(p.sdk.runs.join_stream(tid, str(uuid.uuid4()))))
    await p.outcome("join_unknown", p.sdk.runs.join(tid, str(uuid.uuid4())))
    run = await p.sdk.runs.create(tid, "agent", input=HUMAN_HI)
    await p.outcome("join", p.sdk.runs.join(tid, run["run_id"]))
    failing = await p.sdk.runs.create(tid, "agent", input={"fail": True})
    await p.outcome("join_failed", p.sdk.runs.join(tid, failing["run_id"]))


@scenario
async def join_cancel_on_disconnect(p: Probe) -> None:
    tid = await p.thread()
    run = await p.sdk.runs.create(
        tid, "ticker", input={"n_events": 30, "delay": 0.1}, stream_mode=["custom"]
    )
    await p.until(tid, run["run_id"], ("running",) + DONE)
    await p.parts(p.sdk.runs.join_stream(tid, run["run_id"], cancel_on_disconnect=True), limit=2)
    p.record["status"] = await p.until(tid, run["run_id"], DONE, timeout=5)
    await p.settled(tid)  # the official server frees the thread a moment after the run
    await p.statuses("after", tid, run["run_id"])


# -- errors and status codes ---------------------------------------------------------------


@scenario
async def errors_and_status_codes(p: Probe) -> None:
    tid = await p.thread()
    unknown = str(uuid.uuid4())
    run = await p.sdk.runs.create(tid, "trivial", input={})
    await p.sdk.runs.join(tid, run["run_id"])
    rid = run["run_id"]
    checks: list[tuple[str, str, str, dict[str, Any]]] = [
        ("thread_unknown", "GET", f"/threads/{unknown}", {}),
        ("thread_bad_uuid", "GET", "/threads/not-a-uuid", {}),
        ("state_unknown_thread", "GET", f"/threads/{unknown}/state", {}),
        ("run_unknown_thread", "GET", f"/threads/{unknown}/runs/{rid}", {}),
        ("run_unknown", "GET", f"/threads/{tid}/runs/{unknown}", {}),
        ("run_bad_uuid", "GET", f"/threads/{tid}/runs/not-a-uuid", {}),
        (
            "create_unknown_thread",
            "POST",
            f"/threads/{unknown}/runs",
            {"json": {"assistant_id": "agent"}},
        ),
        (
            "stream_unknown_thread",
            "POST",
            f"/threads/{unknown}/runs/stream",
            {"json": {"assistant_id": "agent"}},
        ),
        (
            "wait_unknown_thread",
            "POST",
            f"/threads/{unknown}/runs/wait",
            {"json": {"assistant_id": "agent"}},
        ),
        ("create_no_assistant", "POST", f"/threads/{tid}/runs", {"json": {"input": {}}}),
        (
            "create_unknown_graph",
            "POST",
            f"/threads/{tid}/runs",
            {"json": {"assistant_id": "nope"}},
        ),
        (
            "create_unknown_assistant",
            "POST",
            f"/threads/{tid}/runs",
            {"json": {"assistant_id": unknown}},
        ),
        (
            "create_bad_stream_mode",
            "POST",
            f"/threads/{tid}/runs",
            {"json": {"assistant_id": "agent", "stream_mode": "nope"}},
        ),
        (
            "create_body_not_json",
            "POST",
            f"/threads/{tid}/runs",
            {"content": b"{nope", "headers": {"content-type": "application/json"}},
        ),
        ("create_body_a_list", "POST", f"/threads/{tid}/runs", {"json": [1, 2]}),
        ("assistant_by_graph_name", "GET", "/assistants/agent", {}),
        ("assistant_unknown", "GET", f"/assistants/{unknown}", {}),
        ("cancel_unknown", "POST", f"/threads/{tid}/runs/{unknown}/cancel", {}),
        ("cancel_finished", "POST", f"/threads/{tid}/runs/{rid}/cancel", {}),
        ("join_unknown_raw", "GET", f"/threads/{tid}/runs/{unknown}/join", {}),
        ("join_stream_unknown_raw", "GET", f"/threads/{tid}/runs/{unknown}/stream", {}),
        ("join_stream_bad_thread", "GET", f"/threads/not-a-uuid/runs/{rid}/stream", {}),
        ("delete_thread_unknown", "DELETE", f"/threads/{unknown}", {}),
        (
            "create_thread_exists_raise",
            "POST",
            "/threads",
            {"json": {"thread_id": tid, "if_exists": "raise"}},
        ),
        (
            "update_state_unknown_node",
            "POST",
            f"/threads/{tid}/state",
            {"json": {"values": {"counter": 1}, "as_node": "nope"}},
        ),
        ("stateless_run_get", "GET", f"/runs/{rid}", {}),
    ]
    for name, method, path, kwargs in checks:
        await p.call(name, method, path, **kwargs)


# -- state and history ---------------------------------------------------------------------


@scenario
async def state_and_history(p: Probe) -> None:
    tid = await p.thread()
    p.record["empty_state"] = await p.sdk.threads.get_state(tid)
    p.record["empty_thread"] = await p.sdk.threads.get(tid)
    await p.sdk.runs.wait(tid, "agent", input=HUMAN_HI)
    await p.state("state", tid)
    p.record["thread"] = await p.sdk.threads.get(tid)
    history = await p.sdk.threads.get_history(tid)
    p.record["history"] = history
    p.record["history_limit_2"] = await p.sdk.threads.get_history(tid, limit=2)
    await p.call("history_get_default", "GET", f"/threads/{tid}/history")
    await p.call("history_post_default", "POST", f"/threads/{tid}/history", json={})
    await p.call(
        "history_get_before",
        "GET",
        f"/threads/{tid}/history",
        params={"before": history[1]["checkpoint_id"], "limit": 2},
    )
    p.record["state_at_checkpoint"] = await p.sdk.threads.get_state(
        tid, checkpoint_id=history[2]["checkpoint_id"]
    )
    p.record["update"] = await p.sdk.threads.update_state(tid, {"counter": 1000}, as_node="step_a")
    p.record["state_after_update"] = await p.sdk.threads.get_state(tid)
    p.record["history_updates"] = await p.sdk.threads.get_history(
        tid, metadata={"source": "update"}
    )


# -- run and thread objects, response headers ----------------------------------------------


@scenario
async def run_and_thread_objects(p: Probe) -> None:
    tid = str((await p.sdk.threads.create(metadata={"owner": "differential"}))["thread_id"])
    created = await p.sdk.runs.create(
        tid, "agent", input=HUMAN_HI, metadata={"tag": "x"}, stream_mode=["values", "updates"]
    )
    p.record["created"] = created
    await p.sdk.runs.join(tid, created["run_id"])
    p.record["got"] = await p.sdk.runs.get(tid, created["run_id"])
    p.record["listed"] = await p.sdk.runs.list(tid)
    p.record["thread"] = await p.sdk.threads.get(tid)
    stateless = await p.sdk.runs.create(None, "trivial", input={}, on_completion="keep")
    p.record["stateless_created"] = stateless
    await p.sdk.runs.join(stateless["thread_id"], stateless["run_id"])
    p.record["stateless_thread"] = await p.sdk.threads.get(stateless["thread_id"])


def _headers(response: httpx.Response) -> dict[str, Any]:
    keep = ("location", "content-location", "content-type", "cache-control", "x-accel-buffering")
    return {"status": response.status_code, **{k: response.headers.get(k) for k in keep}}


@scenario
async def response_headers(p: Probe) -> None:
    tid = await p.thread()
    body = {"assistant_id": "trivial", "input": {}}
    async with p.http.stream("POST", f"/threads/{tid}/runs/stream", json=body) as response:
        p.record["thread_stream"] = _headers(response)
        await response.aread()
    response = await p.http.post(f"/threads/{tid}/runs/wait", json=body)
    p.record["thread_wait"] = _headers(response)
    response = await p.http.post(f"/threads/{tid}/runs", json=body)
    p.record["thread_create"] = _headers(response)
    run_id = response.json()["run_id"]
    async with p.http.stream("GET", f"/threads/{tid}/runs/{run_id}/stream") as response:
        p.record["join_stream"] = _headers(response)
        await response.aread()
    async with p.http.stream("POST", "/runs/stream", json=body) as response:
        p.record["stateless_stream"] = _headers(response)
        await response.aread()
    response = await p.http.post("/runs", json=body)
    p.record["stateless_create"] = _headers(response)
    await p.call(
        "cancel_wait_body", "POST", f"/threads/{tid}/runs/{run_id}/cancel", params={"wait": 1}
    )


# -- MCP and A2A (wire shape) -------------------------------------------------------------

MCP_HEADERS = {"accept": "application/json, text/event-stream"}


async def _mcp(p: Probe, name: str, body: Any, **kwargs: Any) -> httpx.Response:
    kwargs.setdefault("headers", MCP_HEADERS)
    response = await p.call(name, "POST", "/mcp", json=body, **kwargs)
    return response


def _tool_text(response: httpx.Response) -> str:
    """A tool result's text: its JSON value, or `not JSON` (the official Python repr)."""
    text = response.json()["result"]["content"][0]["text"]
    try:
        return str(sorted(json.loads(text)))
    except ValueError:
        return "not JSON"


_EXAMPLE_GRAPHS = {"agent", "chat", "context", "firehose", "hitl", "nested", "ticker", "trivial"}


@scenario
async def mcp_wire(p: Probe) -> None:
    init = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-03-26",
            "capabilities": {},
            "clientInfo": {"name": "differential", "version": "1"},
        },
    }
    response = await _mcp(p, "initialize", init)
    p.record["initialize"]["body"]["result"].pop("serverInfo", None)  # names the server
    p.record["initialize.session_header"] = "mcp-session-id" in response.headers
    p.record["initialize.content_type"] = response.headers.get("content-type")
    await _mcp(p, "initialized", {"jsonrpc": "2.0", "method": "notifications/initialized"})
    listed = await _mcp(p, "tools_list_raw", {"jsonrpc": "2.0", "id": 2, "method": "tools/list"})
    p.record.pop("tools_list_raw")
    # The tools of the example graphs' own assistants (other scenarios on the same server
    # create assistants of their own).
    p.record["tools"] = sorted(
        t["name"] for t in listed.json()["result"]["tools"] if t["name"] in _EXAMPLE_GRAPHS
    )
    call = {"name": "trivial", "arguments": {"counter": 1}}
    called = await _mcp(
        p, "call_raw", {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": call}
    )
    p.record.pop("call_raw")
    p.record["call.is_error"] = called.json()["result"].get("isError")
    p.record["call.text"] = _tool_text(called)
    bad = {"name": "trivial", "arguments": [1]}
    bad_args = await _mcp(
        p, "bad", {"jsonrpc": "2.0", "id": 4, "method": "tools/call", "params": bad}
    )
    p.record["bad"] = {
        "status": bad_args.status_code,
        "code": bad_args.json().get("error", {}).get("code"),
        "is_error": bad_args.json().get("result", {}).get("isError"),
    }
    await _mcp(p, "unknown_method", {"jsonrpc": "2.0", "id": 5, "method": "resources/list"})
    p.record["unknown_method"]["body"]["error"].pop("data", None)
    p.record["unknown_method"]["body"]["error"].pop("message", None)
    no_accept = await p.http.post(
        "/mcp", json={"jsonrpc": "2.0", "id": 6, "method": "tools/list"}, headers={"accept": "*/*"}
    )
    p.record["no_accept"] = {"status": no_accept.status_code, "body": no_accept.json()}
    p.record["get"] = (await p.http.get("/mcp")).status_code
    p.record["delete"] = (await p.http.delete("/mcp")).status_code
    batch = await p.http.post("/mcp", json=[init], headers=MCP_HEADERS)
    p.record["batch"] = batch.status_code
    not_json = await p.http.post("/mcp", content=b"{x", headers=MCP_HEADERS)
    p.record["not_json"] = not_json.status_code


async def _a2a(p: Probe, name: str, assistant_id: str, method: str, params: Any) -> Any:
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
    response = await p.call(name, "POST", f"/a2a/{assistant_id}", json=body)
    return response.json()


@scenario
async def a2a_wire(p: Probe) -> None:
    [chat] = await p.sdk.assistants.search(graph_id="chat", metadata={"created_by": "system"})
    aid = chat["assistant_id"]
    card = await p.call("card", "GET", "/.well-known/agent-card.json", params={"assistant_id": aid})
    body = p.record["card"]["body"]
    body.pop("version", None)  # the server's version
    # URLs hold each server's own port.
    p.record["card.url"] = body.pop("url").endswith(f"/a2a/{aid}")
    for interface in body.get("supportedInterfaces", []):
        interface["url"] = interface["url"].endswith(f"/a2a/{aid}")
    assert card.status_code == 200
    await p.call("card_missing", "GET", "/.well-known/agent-card.json")
    await p.call(
        "card_by_name", "GET", "/.well-known/agent-card.json", params={"assistant_id": "chat"}
    )
    message = {"role": "user", "parts": [{"kind": "text", "text": "hi"}], "messageId": "m1"}
    sent = await _a2a(p, "send", aid, "message/send", {"message": message})
    task_id = sent["result"]["id"]
    await _a2a(p, "get", aid, "tasks/get", {"id": task_id})
    await _a2a(p, "get_unknown", aid, "tasks/get", {"id": "nope"})
    await _a2a(p, "cancel_finished", aid, "tasks/cancel", {"id": task_id})
    await _a2a(p, "unknown_method", aid, "foo/bar", {})
    v1_message = {"role": "ROLE_USER", "parts": [{"text": "hi"}], "messageId": "m2"}
    v1 = await _a2a(p, "send_v1_raw", aid, "SendMessage", {"message": v1_message})
    p.record.pop("send_v1_raw")
    task = v1.get("result", {}).get("task", {})
    p.record["send_v1"] = {
        "keys": sorted(v1.get("result", {})),
        "state": task.get("status", {}).get("state"),
        "roles": [m.get("role") for m in task.get("history", [])],
        "parts": [m.get("parts") for m in task.get("history", [])],
    }
    stream_body = {
        "jsonrpc": "2.0",
        "id": 3,
        "method": "message/stream",
        "params": {"message": {**message, "messageId": "m3"}},
    }
    frames = []
    async with p.http.stream("POST", f"/a2a/{aid}", json=stream_body) as response:
        async for line in response.aiter_lines():
            if line.startswith("data:"):
                frames.append(json.loads(line[5:]))
    p.record["stream"] = [
        {
            "kind": f["result"]["kind"],
            "state": f["result"].get("status", {}).get("state"),
            "final": f["result"].get("final"),
            "text": [
                part.get("text")
                for part in (
                    f["result"].get("status", {}).get("message", {}).get("parts")
                    or f["result"].get("artifact", {}).get("parts")
                    or []
                )
            ],
        }
        for f in frames
    ]


# -- thread-centric streaming (v3): commands and the SSE event stream ----------------------

V3_TIMEOUT = 20.0  # seconds a v3 stream may take to show what a scenario waits for
V3_END = ("completed", "failed", "interrupted")

Frame = dict[str, Any]  # one SSE event: `event` and `id` lines, `envelope` (the parsed data)


def _root_ended(frame: Frame) -> bool:
    params = frame["envelope"]["params"]
    return (
        frame["envelope"]["method"] == "lifecycle"
        and params["namespace"] == []
        and params["data"].get("event") in V3_END
    )


def _child_ended(frame: Frame) -> bool:
    params = frame["envelope"]["params"]
    return (
        frame["envelope"]["method"] == "lifecycle"
        and params["namespace"] != []
        and params["data"].get("event") in V3_END
    )


async def _v3_command(
    p: Probe, name: str, thread_id: str, command_id: Any, method: str, params: Any
) -> dict[str, Any]:
    """One command over `POST /threads/{id}/commands`; its status and JSON body."""
    body = {"id": command_id, "method": method, "params": params}
    response = await p.call(name, "POST", f"/threads/{thread_id}/commands", json=body)
    return dict(response.json())


async def _v3_stream(
    p: Probe, thread_id: str, body: Any, until: Callable[[Frame], bool] = _root_ended
) -> tuple[dict[str, Any], list[Frame]]:
    """Open the SSE stream and read it until `until(frame)` holds (the official stream never
    ends by itself), `V3_TIMEOUT` at most: a frame `{"timed out": True}` then closes the list,
    so a hang shows up as a difference instead of hanging the suite."""
    head: dict[str, Any] = {}
    frames: list[Frame] = []

    async def read() -> None:
        async with p.http.stream(
            "POST",
            f"/threads/{thread_id}/stream/events",
            json=body,
            headers={"accept": "text/event-stream"},
            timeout=httpx.Timeout(V3_TIMEOUT, connect=5.0),
        ) as response:
            head.update(_headers(response))
            if response.status_code != 200:
                head["body"] = json.loads(await response.aread())
                return
            lines: dict[str, str] = {}
            async for line in response.aiter_lines():
                if line:
                    key, _, value = line.partition(":")
                    lines[key] = value.strip()
                    continue
                if "data" not in lines:  # a heartbeat comment
                    lines = {}
                    continue
                frame = {
                    "event": lines.get("event"),
                    "id": lines.get("id"),
                    "envelope": json.loads(lines["data"]),
                }
                lines = {}
                frames.append(frame)
                if until(frame):
                    return

    try:
        await asyncio.wait_for(read(), V3_TIMEOUT)
    except (TimeoutError, httpx.ReadTimeout):
        frames.append({"timed out": True})
    return head, frames


def _v3_message(message: Any) -> Any:
    """A message of a `values` event, reduced to what both servers send: the official server
    sends `{type, content, id}` only, Tether the whole message (see `values.message_keys`)."""
    if not isinstance(message, dict):
        return message
    return {k: message.get(k) for k in ("type", "content", "id")}


def _v3_events(frames: list[Frame]) -> list[Any]:
    """What each event said, in order: SSE `event:` line, method, namespace and data."""
    events: list[Any] = []
    for frame in frames:
        if "envelope" not in frame:
            events.append(frame)
            continue
        envelope = frame["envelope"]
        data = envelope["params"].get("data")
        if envelope["method"] == "values" and isinstance(data, dict) and "messages" in data:
            data = {**data, "messages": [_v3_message(m) for m in data["messages"]]}
        events.append(
            {
                "event": frame["event"],
                "method": envelope["method"],
                "namespace": envelope["params"].get("namespace"),
                "data": data,
            }
        )
    return events


def _v3_wire(frames: list[Frame]) -> dict[str, Any]:
    """Properties of the envelopes that hold on both servers although their values differ
    (`seq` and `event_id` numbering, compatibility rows V4 and V5; delivery timestamps)."""
    envelopes = [f["envelope"] for f in frames if "envelope" in f]
    seqs = [e.get("seq") for e in envelopes]
    return {
        "envelope_keys": sorted({k for e in envelopes for k in e}),
        "params_keys": sorted({k for e in envelopes for k in e["params"]}),
        "type": sorted({e.get("type") for e in envelopes}),
        "event_line_is_method": all(f["event"] == f["envelope"]["method"] for f in frames[:-1]),
        "id_line_is_seq": all(f["id"] == str(f["envelope"]["seq"]) for f in frames[:-1]),
        "seq_increasing": all(
            isinstance(a, int) and isinstance(b, int) and a < b
            for a, b in zip(seqs, seqs[1:], strict=False)
        ),
        "event_ids_unique": len({e.get("event_id") for e in envelopes}) == len(envelopes),
        "event_ids_strings": all(isinstance(e.get("event_id"), str) for e in envelopes),
        "timestamps_ms": all(
            isinstance(e["params"].get("timestamp"), int) and e["params"]["timestamp"] > 10**12
            for e in envelopes
        ),
    }


def _values_message_keys(frames: list[Frame]) -> list[str]:
    keys: set[str] = set()
    for frame in frames:
        envelope = frame.get("envelope") or {}
        if envelope.get("method") == "values":
            for message in envelope["params"]["data"].get("messages") or ():
                keys.update(message)
    return sorted(keys)


@scenario
async def v3_thread_stream(p: Probe) -> None:
    """`run.start` on a new thread, its SSE stream (values, messages, lifecycle) to the end,
    a resume with `since` from the middle, `agent.getTree`, and the protocol's error answers."""
    tid = str(uuid.uuid4())  # as the SDK does: the thread is made by the first run.start
    await _v3_command(
        p, "run_start", tid, 1, "run.start", {"assistant_id": "chat", "input": HUMAN_HI}
    )
    channels = ["values", "messages", "lifecycle"]
    head, frames = await _v3_stream(p, tid, {"channels": channels})
    p.record["stream.head"] = head
    p.record["stream"] = _v3_events(frames)
    p.record["stream.wire"] = _v3_wire(frames)
    p.record["values.message_keys"] = _values_message_keys(frames)

    # Resume after the fourth event: exactly the rest, none twice, none missing.
    cut = 4
    since = frames[cut - 1]["envelope"]["seq"] if len(frames) >= cut else None
    _, rest = await _v3_stream(p, tid, {"channels": channels, "since": since})
    p.record["resume"] = {
        "count": len(rest),
        "same_as_the_rest": _v3_events(rest) == _v3_events(frames[cut:]),
        "event_ids": [f["envelope"]["event_id"] for f in rest]
        == [f["envelope"]["event_id"] for f in frames[cut:]],
    }
    # A resume of lifecycle alone (the SDK's watcher): the run's end again, once.
    _, watcher = await _v3_stream(p, tid, {"channels": ["lifecycle"], "since": since})
    p.record["resume_lifecycle"] = _v3_events(watcher)

    await _v3_command(p, "tree", tid, 2, "agent.getTree", {})
    await _v3_command(p, "unknown_command", tid, 3, "thread.nope", {})
    await _v3_command(p, "run_start_no_assistant", tid, 4, "run.start", {"input": {}})
    await _v3_command(
        p,
        "input_respond_unknown",
        tid,
        5,
        "input.respond",
        {"interrupt_id": "nope", "namespace": [], "response": 1},
    )
    await _v3_command(
        p, "unsubscribe_unknown", tid, 6, "subscription.unsubscribe", {"subscription_id": "x"}
    )
    await _v3_command(
        p, "subscribe_http", tid, 7, "subscription.subscribe", {"channels": ["values"]}
    )
    await _v3_command(
        p, "subscribe_bad_channel", tid, 8, "subscription.subscribe", {"channels": ["debug"]}
    )
    await _v3_command(p, "reconnect_http", tid, 9, "subscription.reconnect", {})
    await _v3_command(p, "run_start_unknown_graph", tid, 10, "run.start", {"assistant_id": "nope"})
    await _v3_command(p, "id_not_an_integer", tid, "11", "agent.getTree", {})
    await p.call(
        "body_not_json",
        "POST",
        f"/threads/{tid}/commands",
        content=b"{nope",
        headers={"content-type": "application/json"},
    )
    for name, body in (
        ("stream_no_channels", {}),
        ("stream_empty_channels", {"channels": []}),
        ("stream_bad_channel", {"channels": ["values", "debug"]}),
    ):
        head, _ = await _v3_stream(p, tid, body)
        p.record[name] = {"status": head["status"], "body": head.get("body")}


@scenario
async def v3_channels_and_depth(p: Probe) -> None:
    """The official server's documented v3 quirks beside Tether: channels it never delivers
    (V1), `depth` without `namespaces` (V2), and a `namespaces` filter both honour."""
    tid = str(uuid.uuid4())
    await _v3_command(
        p, "run_start", tid, 1, "run.start", {"assistant_id": "agent", "input": HUMAN_HI}
    )
    _, frames = await _v3_stream(p, tid, {"channels": ["updates", "custom", "lifecycle"]})
    p.record["lifecycle"] = [e for e in _v3_events(frames) if e.get("method") == "lifecycle"]
    p.record["unsent_channels"] = sorted(
        {e["method"] for e in _v3_events(frames) if e.get("method") != "lifecycle"}
    )
    _, frames = await _v3_stream(p, tid, {"channels": ["messages", "lifecycle"]})
    p.record["node_messages"] = [
        e["data"].get("id")
        for e in _v3_events(frames)
        if e.get("method") == "messages" and e["data"].get("event") == "message-start"
    ]

    nested = str(uuid.uuid4())
    await _v3_command(
        p, "nested_start", nested, 1, "run.start", {"assistant_id": "nested", "input": {}}
    )
    _, frames = await _v3_stream(p, nested, {"channels": ["values", "lifecycle"]})
    everything = _v3_events(frames)
    p.record["nested.root"] = [e for e in everything if e.get("namespace") == []]
    p.record["nested.child"] = [e for e in everything if e.get("namespace") not in ([], None)]
    _, frames = await _v3_stream(p, nested, {"channels": ["values", "lifecycle"], "depth": 0})
    p.record["depth_0.namespaces"] = sorted(
        {"/".join(s.partition(":")[0] for s in e["namespace"]) for e in _v3_events(frames)}
    )
    _, frames = await _v3_stream(
        p,
        nested,
        {"channels": ["values", "lifecycle"], "namespaces": [["child"]]},
        until=_child_ended,
    )
    p.record["child_only"] = _v3_events(frames)


@scenario
async def v3_resume_mid_run(p: Probe) -> None:
    """A stream closed in the middle of a run and opened again with `since` (the last `seq`
    received) gets the rest: together they are the whole run, with no gap and no duplicate."""
    tid = str(uuid.uuid4())
    payload = {"assistant_id": "agent", "input": {**HUMAN_HI, "delay": 0.1}}
    await _v3_command(p, "run_start", tid, 1, "run.start", payload)
    body = {"channels": ["values", "lifecycle"]}
    _, head = await _v3_stream(p, tid, body, until=lambda f: f["envelope"]["method"] == "values")
    since = head[-1]["envelope"]["seq"] if "envelope" in head[-1] else None
    _, rest = await _v3_stream(p, tid, {**body, "since": since})
    _, whole = await _v3_stream(p, tid, body)
    p.record["whole"] = _v3_events(whole)
    p.record["head"] = _v3_events(head)
    ids = [f["envelope"]["event_id"] for f in head + rest if "envelope" in f]
    p.record["resumed"] = {
        "joined_is_whole": _v3_events(head + rest) == _v3_events(whole),
        "event_ids_joined_are_whole": ids
        == [f["envelope"]["event_id"] for f in whole if "envelope" in f],
        "duplicates": len(ids) - len(set(ids)),
    }


# -- the second project: semantic store search and http options ---------------------------
# `store_project/langgraph.json`: `store.index` with the deterministic `embed.py`, and an `http`
# section (`app`, `disable_mcp`, `configurable_headers`). Its scenarios run on servers of their
# own (`test_same_store_and_http_behaviour_as_the_official_server`).

STORE_SCENARIOS: dict[str, Scenario] = {}


def store_scenario(fn: Scenario) -> Scenario:
    STORE_SCENARIOS[fn.__name__] = fn
    return fn


#: Items of the semantic search scenarios, chosen so that each query below scores them apart
#: (no ties whose order would be arbitrary). "e" is stored with `index=False`.
DOCS = {
    "a": {"text": "red apple pie", "kind": "food"},
    "b": {"text": "green apple tree", "kind": "plant"},
    "c": {"text": "red car fast road", "kind": "car"},
    "d": {"text": "blue sky over apple orchard", "kind": "plant"},
    "e": {"text": "apple", "kind": "food"},
    "f": {"text": "fresh green pie crust", "kind": "food"},
}


def _hits(items: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """Keys and scores (rounded: float32 and float64 cosines differ in the last digits), in
    order; the keys of items found without a score (not embedded) apart."""
    return {
        "scored": [[i["key"], round(i["score"], 3)] for i in items if i.get("score") is not None],
        "unscored": [i["key"] for i in items if i.get("score") is None],
    }


async def _put_docs(p: Probe) -> tuple[str, ...]:
    namespace = ("docs", uuid.uuid4().hex[:8])
    for key, value in DOCS.items():
        await p.sdk.store.put_item(namespace, key, value, index=False if key == "e" else None)
    return namespace


@store_scenario
async def store_semantic_search(p: Probe) -> None:
    ns = await _put_docs(p)
    search = p.sdk.store.search_items
    p.record["apple"] = _hits((await search(ns, query="apple", limit=10))["items"])
    p.record["green_tree_road"] = _hits((await search(ns, query="green tree road"))["items"])
    p.record["red_pie_top3"] = _hits((await search(ns, query="red pie", limit=3))["items"])
    p.record["paged"] = _hits(
        (await search(ns, query="green tree road", limit=2, offset=1))["items"]
    )
    p.record["filtered"] = _hits(
        (await search(ns, query="apple", filter={"kind": "food"}, limit=10))["items"]
    )
    item = await p.sdk.store.get_item(ns, "a")
    p.record["item"] = {"namespace_as_put": item["namespace"] == list(ns)}
    p.record["item"].update({k: item[k] for k in ("key", "value")})
    p.record["not_indexed_item"] = (await p.sdk.store.get_item(ns, "e"))["value"]


@store_scenario
async def store_search_in_a_graph(p: Probe) -> None:
    """A node's own `store.asearch(query=...)` uses the project's index."""
    # The same items every time: the official server keeps its store across both backends' runs.
    await p.sdk.store.put_item(("shelf",), "apple", {"text": "green apple tree"})
    await p.sdk.store.put_item(("shelf",), "car", {"text": "red car fast road"})
    await p.sdk.store.put_item(("shelf",), "pie", {"text": "red apple pie"})
    tid = await p.thread()
    p.record["wait"] = await p.sdk.runs.wait(tid, "searcher", input={"query": "apple"})
    await p.stream("stream", None, "searcher", input={"query": "red pie"}, stream_mode="updates")


@store_scenario
async def http_options(p: Probe) -> None:
    """`configurable_headers`, `disable_mcp` and the project's own routes (`http.app`)."""
    headers = {
        "x-probe-color": "teal",
        "x-probe-secret": "hidden",
        "x-other": "not included",
        "authorization": "Bearer not-copied",
    }
    body = {"assistant_id": "headers", "input": {}}
    await p.call("headers_wait", "POST", "/runs/wait", json=body, headers=headers)
    tid = await p.thread()
    await p.call(
        "headers_thread_wait", "POST", f"/threads/{tid}/runs/wait", json=body, headers=headers
    )
    shadowed = {
        **body,
        "config": {"configurable": {"x-probe-shadowed": "from the body"}},
    }
    await p.call(
        "headers_vs_config",
        "POST",
        "/runs/wait",
        json=shadowed,
        headers={"x-probe-shadowed": "from the header"},
    )
    await p.call("hello", "GET", "/custom/hello", params={"name": "tether"})
    await p.call("echo", "POST", "/custom/echo", json={"n": 1})
    await p.call("custom_wrong_method", "DELETE", "/custom/hello")
    mcp_headers = {"accept": "application/json, text/event-stream"}
    ping = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    await p.call("mcp_disabled", "POST", "/mcp", json=ping, headers=mcp_headers)
    await p.call("ok", "GET", "/ok")
