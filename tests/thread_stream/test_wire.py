"""The v3 protocol on the wire (raw HTTP, SSE and WebSocket): resume with `since`,
filters, commands and errors. The official server's quirks are fixed here; each test says
which."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect

TIMEOUT = 20.0
ALL = [
    "values",
    "updates",
    "messages",
    "tools",
    "lifecycle",
    "input",
    "checkpoints",
    "tasks",
    "custom",
]


@pytest.fixture
async def http(v3_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=v3_url, timeout=TIMEOUT) as client:
        yield client


async def command(http: httpx.AsyncClient, thread_id: str, method: str, **params: Any) -> Any:
    response = await http.post(
        f"/threads/{thread_id}/commands", json={"id": 1, "method": method, "params": params}
    )
    assert response.status_code == 200, response.text
    return response.json()


def is_root_end(event: dict[str, Any]) -> bool:
    params = event["params"]
    return (
        event["method"] == "lifecycle"
        and params["namespace"] == []
        and params["data"]["event"] in ("completed", "failed", "interrupted")
    )


async def sse_events(
    http: httpx.AsyncClient,
    thread_id: str,
    body: dict[str, Any],
    stop: Callable[[list[dict[str, Any]]], bool],
) -> list[dict[str, Any]]:
    """Events of one SSE connection until `stop(events so far)`; then it is closed."""
    events: list[dict[str, Any]] = []
    async with asyncio.timeout(TIMEOUT):
        async with http.stream(
            "POST", f"/threads/{thread_id}/stream/events", json=body
        ) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            fields: dict[str, str] = {}
            async for line in response.aiter_lines():
                if line:
                    name, _, value = line.partition(": ")
                    fields[name] = value
                    continue
                if "data" in fields:
                    event = json.loads(fields["data"])
                    assert fields["event"] == event["method"] and int(fields["id"]) == event["seq"]
                    events.append(event)
                    if stop(events):
                        return events
                fields = {}
    raise AssertionError("the stream ended")


async def start_run(http: httpx.AsyncClient, assistant: str, **input: Any) -> tuple[str, int]:
    thread_id = str(uuid.uuid4())
    reply = await command(http, thread_id, "run.start", assistant_id=assistant, input=input)
    assert reply["type"] == "success" and isinstance(reply["result"]["run_id"], str)
    return thread_id, reply["meta"]["applied_through_seq"]


async def finished(http: httpx.AsyncClient, thread_id: str) -> list[dict[str, Any]]:
    """Every event of the thread's (one) run, read from the start."""
    return await sse_events(http, thread_id, {"channels": ALL}, lambda e: is_root_end(e[-1]))


async def test_reconnect_with_since_over_sse_has_no_gap_or_duplicate(
    http: httpx.AsyncClient,
) -> None:
    thread_id, _ = await start_run(http, "agent", delay=0.05)
    first = await sse_events(http, thread_id, {"channels": ALL}, lambda e: len(e) == 4)
    rest = await sse_events(
        http, thread_id, {"channels": ALL, "since": first[-1]["seq"]}, lambda e: is_root_end(e[-1])
    )
    whole = await finished(http, thread_id)
    assert [e["event_id"] for e in first + rest] == [e["event_id"] for e in whole]
    assert first + rest == whole
    seqs = [e["seq"] for e in whole]
    assert seqs == sorted(set(seqs))
    assert [e["params"]["data"]["node"] for e in whole if e["method"] == "custom"] == ["a"] * 3 + [
        "b"
    ] * 3


async def test_reconnect_with_since_over_websocket_has_no_gap_or_duplicate(
    http: httpx.AsyncClient, v3_url: str
) -> None:
    thread_id, _ = await start_run(http, "agent", delay=0.05)
    url = v3_url.replace("http://", "ws://") + f"/threads/{thread_id}/stream/events"
    received: list[dict[str, Any]] = []
    for since in (None, "last"):
        async with asyncio.timeout(TIMEOUT), connect(url) as socket:
            params: dict[str, Any] = {"channels": ALL}
            if since:
                params["since"] = received[-1]["seq"]
            await socket.send(
                json.dumps({"id": 1, "method": "subscription.subscribe", "params": params})
            )
            reply = json.loads(await socket.recv())
            assert reply["type"] == "success" and reply["id"] == 1
            assert isinstance(reply["result"]["subscription_id"], str)
            while True:
                event = json.loads(await socket.recv())
                assert event["type"] == "event"
                received.append(event)
                if (since is None and len(received) == 3) or is_root_end(event):
                    break
    assert received == await finished(http, thread_id)


async def test_a_stream_stays_open_for_the_next_run(http: httpx.AsyncClient) -> None:
    thread_id, _ = await start_run(http, "agent")

    def two_runs(events: list[dict[str, Any]]) -> bool:
        if len([e for e in events if is_root_end(e)]) == 1 and not hasattr(two_runs, "started"):
            two_runs.started = True  # type: ignore[attr-defined]
            asyncio.get_running_loop().create_task(
                command(http, thread_id, "run.start", assistant_id="agent", input={})
            )
        return len([e for e in events if is_root_end(e)]) == 2

    events = await sse_events(http, thread_id, {"channels": ["lifecycle"]}, two_runs)
    assert [e["params"]["data"]["event"] for e in events] == ["running", "completed"] * 2


async def test_applied_through_seq_lets_a_client_skip_earlier_runs(http: httpx.AsyncClient) -> None:
    thread_id, applied = await start_run(http, "agent")
    assert applied == 0  # a new thread
    await finished(http, thread_id)
    second = await command(http, thread_id, "run.start", assistant_id="agent", input={})
    since = second["meta"]["applied_through_seq"]
    events = await sse_events(
        http, thread_id, {"channels": ["lifecycle"], "since": since}, lambda e: is_root_end(e[-1])
    )
    assert [e["params"]["data"]["event"] for e in events] == ["running", "completed"]
    assert events[0]["seq"] > since


async def test_every_channel_is_delivered(http: httpx.AsyncClient) -> None:
    # The official server never sends custom, updates, tools, tasks or checkpoints events.
    thread_id, _ = await start_run(http, "agent")
    methods = {e["method"] for e in await finished(http, thread_id)}
    assert {
        "values",
        "updates",
        "custom",
        "tasks",
        "checkpoints",
        "lifecycle",
        "messages",
    } <= methods


async def test_depth_zero_without_namespaces_is_the_root_only(http: httpx.AsyncClient) -> None:
    # The official server ignores `depth: 0` when no namespaces are given.
    thread_id, _ = await start_run(http, "nested")
    events = await sse_events(
        http,
        thread_id,
        {"channels": ["values", "lifecycle"], "depth": 0},
        lambda e: is_root_end(e[-1]),
    )
    assert {tuple(e["params"]["namespace"]) for e in events} == {()}
    child = await sse_events(
        http,
        thread_id,
        {"channels": ["values", "lifecycle"], "namespaces": [["child"]]},
        lambda e: (
            e[-1]["method"] == "lifecycle" and e[-1]["params"]["data"]["event"] == "completed"
        ),
    )
    assert (
        child[0]["params"]["data"] == {"messages": [], "counter": 1}
        or child[0]["method"] == "lifecycle"
    )
    assert all(e["params"]["namespace"][0].startswith("child:") for e in child)
    started = [
        e for e in child if e["method"] == "lifecycle" and e["params"]["data"]["event"] == "started"
    ]
    assert started[0]["params"]["data"]["graph_name"] == "child"
    assert started[0]["params"]["data"]["namespace"] == started[0]["params"]["namespace"]


async def test_stream_errors(http: httpx.AsyncClient) -> None:
    missing = str(uuid.uuid4())
    # The official server answers 200 for a thread that does not exist, then never sends anything.
    response = await http.post(f"/threads/{missing}/stream/events", json={"channels": ["values"]})
    assert response.status_code == 404
    response = await http.post(f"/threads/{missing}/stream/events", json={"channels": []})
    assert response.status_code == 400
    assert response.json() == {"detail": "channels is required and must be a non-empty array"}
    response = await http.post(f"/threads/{missing}/stream/events", json={"channels": ["debug"]})
    assert response.status_code == 400 and "unsupported entries: debug" in response.json()["detail"]
    response = await http.post(f"/threads/{missing}/stream/events", content=b"{")
    assert (response.status_code, response.json()) == (400, {"detail": "Invalid JSON body"})


async def test_command_errors(http: httpx.AsyncClient) -> None:
    thread_id = str(uuid.uuid4())
    url = f"/threads/{thread_id}/commands"
    response = await http.post(url, content=b"nope")
    assert (response.status_code, response.json()) == (400, {"detail": "Invalid JSON body"})
    response = await http.post(url, json={"id": "1", "method": "run.start"})
    assert response.status_code == 400
    assert response.json() == {
        "type": "error",
        "id": "1",
        "error": "invalid_argument",
        "message": "Protocol commands must include an integer id and string method.",
    }
    cases = [
        ("nope.nope", {}, "unknown_command", "Unknown protocol command: nope.nope"),
        ("run.start", {}, "invalid_argument", "run.start requires an assistant_id."),
        ("run.start", {"assistant_id": "nope"}, "invalid_argument", "Invalid assistant: 'nope'"),
        ("input.respond", {"interrupt_id": "x", "namespace": [], "response": 1}, "no_such_run", ""),
        ("subscription.unsubscribe", {"subscription_id": "x"}, "no_such_subscription", ""),
        ("agent.getTree", {}, "no_such_run", ""),
    ]
    for method, params, code, message in cases:
        reply = await command(http, thread_id, method, **params)
        assert reply["type"] == "error" and reply["id"] == 1 and "meta" not in reply
        assert reply["error"] == code and reply["message"].startswith(message), reply


async def test_interrupt_and_respond_on_the_wire(http: httpx.AsyncClient) -> None:
    thread_id, _ = await start_run(http, "hitl")
    events = await finished(http, thread_id)
    [requested] = [e for e in events if e["method"] == "input.requested"]
    data = requested["params"]["data"]
    assert data["payload"] == {"question": "approve?", "counter": 0} == data["value"]
    assert [e["params"]["data"]["event"] for e in events if e["method"] == "lifecycle"] == [
        "running",
        "interrupted",
    ]
    tree = await command(http, thread_id, "agent.getTree")
    assert tree["result"]["tree"] == {
        "namespace": [],
        "status": "interrupted",
        "graph_name": "hitl",
    }
    wrong = await command(
        http, thread_id, "input.respond", interrupt_id="nope", namespace=[], response=1
    )
    assert (wrong["error"], wrong["message"]) == (
        "no_such_interrupt",
        "Unknown or already-consumed interrupt: nope",
    )
    reply = await command(
        http,
        thread_id,
        "input.respond",
        interrupt_id=data["interrupt_id"],
        namespace=[],
        response="yes",
    )
    assert reply["type"] == "success"
    after = await sse_events(
        http,
        thread_id,
        {"channels": ["lifecycle", "values"], "since": events[-1]["seq"]},
        lambda e: is_root_end(e[-1]),
    )
    assert after[-1]["params"]["data"]["event"] == "completed"
    assert [e for e in after if e["method"] == "values"][-1]["params"]["data"]["answer"] == "yes"
    again = await command(
        http,
        thread_id,
        "input.respond",
        interrupt_id=data["interrupt_id"],
        namespace=[],
        response=1,
    )
    assert again["error"] == "no_such_interrupt"


async def test_state_commands(http: httpx.AsyncClient) -> None:
    # state.get, state.listCheckpoints and state.fork are `unknown_command` on the official server.
    thread_id, _ = await start_run(http, "agent")
    await finished(http, thread_id)
    state = (await command(http, thread_id, "state.get", namespace=[]))["result"]
    assert state["values"]["counter"] == 111 and state["checkpoint"]["ns"] == ""
    only = (await command(http, thread_id, "state.get", namespace=[], keys=["counter"]))["result"]
    assert only["values"] == {"counter": 111}
    listed = (await command(http, thread_id, "state.listCheckpoints", limit=10))["result"]
    checkpoints = listed["checkpoints"]
    assert checkpoints[0]["id"] == state["checkpoint"]["id"]
    assert [c["step"] for c in checkpoints] == [3, 2, 1, 0, -1]
    after_a = next(c for c in checkpoints if c["step"] == 1)
    assert after_a["node_name"] == "step_a"
    page = (await command(http, thread_id, "state.listCheckpoints", limit=2, before=after_a["id"]))[
        "result"
    ]["checkpoints"]
    assert [c["step"] for c in page] == [0, -1]

    fork = await command(http, thread_id, "state.fork", checkpoint_id=after_a["id"])
    assert fork["result"]["thread_id"] == thread_id and isinstance(fork["result"]["run_id"], str)
    replayed = await sse_events(
        http,
        thread_id,
        {
            "channels": ["values", "lifecycle"],
            "since": fork["meta"]["applied_through_seq"],
            "depth": 0,
        },
        lambda e: is_root_end(e[-1]),
    )
    counters = [e["params"]["data"]["counter"] for e in replayed if e["method"] == "values"]
    assert counters == [1, 11, 111]  # from the forked checkpoint on
    unknown = await command(http, thread_id, "state.fork", checkpoint_id="nope")
    assert unknown["error"] == "no_such_checkpoint"


async def test_input_inject_adds_a_message(http: httpx.AsyncClient) -> None:
    thread_id, _ = await start_run(http, "chat", messages=[{"role": "user", "content": "hi"}])
    events = await finished(http, thread_id)
    reply = await command(
        http, thread_id, "input.inject", namespace=[], message={"role": "user", "content": "again"}
    )
    assert reply["type"] == "success"
    await sse_events(
        http,
        thread_id,
        {"channels": ["lifecycle"], "since": events[-1]["seq"]},
        lambda e: is_root_end(e[-1]),
    )
    values = (await command(http, thread_id, "state.get", namespace=[]))["result"]["values"]
    assert [m["type"] for m in values["messages"]] == ["human", "ai", "human", "ai"]
    assert values["messages"][2]["content"] == "again"
    bad = await command(http, thread_id, "input.inject", namespace=[], message={"role": "robot"})
    assert bad["error"] == "invalid_argument"


async def test_websocket_session(v3_url: str) -> None:
    thread_id = str(uuid.uuid4())
    url = v3_url.replace("http://", "ws://") + f"/threads/{thread_id}/stream/events"
    async with asyncio.timeout(TIMEOUT), connect(url) as socket:

        async def call(command_id: int, method: str, **params: Any) -> dict[str, Any]:
            """Send a command; the events that arrive before its response go to `events`."""
            await socket.send(json.dumps({"id": command_id, "method": method, "params": params}))
            while True:
                frame = json.loads(await socket.recv())
                if frame.get("type") == "event":
                    events.append(frame)
                elif frame.get("id") == command_id:
                    return dict(frame)

        events: list[dict[str, Any]] = []
        # Subscribing before the thread exists is fine on a socket: events come once it runs.
        subscribed = await call(1, "subscription.subscribe", channels=["lifecycle", "values"])
        subscription_id = subscribed["result"]["subscription_id"]
        started = await call(2, "run.start", assistant_id="agent", input={})
        assert started["type"] == "success"
        while not events or not is_root_end(events[-1]):
            events.append(json.loads(await socket.recv()))
        assert [e["params"]["data"]["event"] for e in events if e["method"] == "lifecycle"] == [
            "running",
            "completed",
        ]
        tree = await call(3, "agent.getTree")
        assert tree["result"]["tree"]["status"] == "completed"

        await socket.send("not json")
        assert json.loads(await socket.recv()) == {
            "type": "error",
            "id": None,
            "error": "invalid_argument",
            "message": "Protocol commands must be valid JSON.",
        }
        await socket.send(json.dumps({"method": "run.start"}))
        assert json.loads(await socket.recv())["error"] == "invalid_argument"
        assert (await call(4, "subscription.unsubscribe", subscription_id=subscription_id))[
            "result"
        ] == {}
        again = await call(5, "subscription.unsubscribe", subscription_id=subscription_id)
        assert again["error"] == "no_such_subscription"
        # A second subscription on the same socket replays from `since`.
        await call(6, "subscription.subscribe", channels=["lifecycle"], since=events[0]["seq"])
        replayed = json.loads(await socket.recv())
        assert (
            replayed["method"] == "lifecycle" and replayed["params"]["data"]["event"] == "completed"
        )


async def test_a_cancelled_run_ends_its_lifecycle(http: httpx.AsyncClient) -> None:
    thread_id, _ = await start_run(http, "agent", delay=0.2)
    queued = await command(http, thread_id, "run.start", assistant_id="agent", input={})
    cancel = await http.post(
        f"/threads/{thread_id}/runs/{queued['result']['run_id']}/cancel", params={"wait": "true"}
    )
    assert cancel.status_code in (200, 202, 204), cancel.text
    events = await sse_events(
        http,
        thread_id,
        {"channels": ["lifecycle"], "depth": 0},
        lambda e: len([x for x in e if is_root_end(x)]) == 2,
    )
    ends = [e["params"]["data"] for e in events if is_root_end(e)]
    assert {end["event"] for end in ends} == {"completed", "failed"}
    assert all(end["graph_name"] == "agent" for end in ends)


async def test_a_failed_run_ends_with_its_error(http: httpx.AsyncClient) -> None:
    thread_id, _ = await start_run(http, "agent", fail=True)
    events = await finished(http, thread_id)
    assert events[-1]["params"]["data"] == {
        "graph_name": "agent",
        "event": "failed",
        "error": "boom from b",
    }
    tree = await command(http, thread_id, "agent.getTree")
    assert tree["result"]["tree"]["status"] == "failed"
