"""A2A driven by the `a2a-sdk` client (v1.0 JSON-RPC, and its v0.3 compatibility transport)
against a real Tether server."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from a2a.client import A2ACardResolver, Client, ClientConfig, ClientFactory
from a2a.types.a2a_pb2 import (
    AgentCard,
    CancelTaskRequest,
    GetTaskRequest,
    ListTasksRequest,
    Message,
    Part,
    Role,
    SendMessageRequest,
    StreamResponse,
    SubscribeToTaskRequest,
    Task,
    TaskState,
)
from a2a.utils.errors import (
    InvalidParamsError,
    TaskNotCancelableError,
    TaskNotFoundError,
    UnsupportedOperationError,
)
from google.protobuf import json_format, struct_pb2
from langgraph_sdk import get_client

REPLY = "Hello there, this is a fake streamed reply."


@pytest.fixture(params=["v1.0", "v0.3"])
def dialect(request: pytest.FixtureRequest) -> str:
    """Which A2A JSON dialect the client speaks (the official server answers both)."""
    return str(request.param)


async def _assistant_id(url: str, graph_id: str) -> str:
    sdk = get_client(url=url, api_key=None)
    try:
        [found] = await sdk.assistants.search(graph_id=graph_id, metadata={"created_by": "system"})
        return str(found["assistant_id"])
    finally:
        await sdk.aclose()


async def _card(http: httpx.AsyncClient, url: str, assistant_id: str) -> AgentCard:
    return await A2ACardResolver(http, url).get_agent_card(
        f"/.well-known/agent-card.json?assistant_id={assistant_id}"
    )


@contextlib.asynccontextmanager
async def _client(
    url: str, graph_id: str, dialect: str, *, streaming: bool
) -> AsyncIterator[Client]:
    async with httpx.AsyncClient(timeout=30) as http:
        card = await _card(http, url, await _assistant_id(url, graph_id))
        if dialect == "v0.3":
            # The card says 1.0; a 0.3 client is what the SDK builds for a 0.3 interface.
            card.supported_interfaces[0].protocol_version = "0.3"
        yield ClientFactory(ClientConfig(httpx_client=http, streaming=streaming)).create(card)


def _message(text: str | None = None, context_id: str = "", **data: Any) -> SendMessageRequest:
    parts = [Part(text=text)] if text is not None else []
    if data:
        value = struct_pb2.Value()
        value.struct_value.update(data)
        parts.append(Part(data=value))
    message = Message(
        role=Role.ROLE_USER, message_id=str(uuid.uuid4()), parts=parts, context_id=context_id
    )
    return SendMessageRequest(message=message)


def _texts(task: Task) -> list[tuple[int, str]]:
    return [(m.role, "".join(p.text for p in m.parts)) for m in task.history]


async def test_agent_card(tether_url: str) -> None:
    assistant_id = await _assistant_id(tether_url, "chat")
    async with httpx.AsyncClient(timeout=30) as http:
        card = await _card(http, tether_url, assistant_id)
        raw = (
            await http.get(f"{tether_url}/.well-known/agent-card.json?assistant_id={assistant_id}")
        ).json()
        same = (await http.get(f"{tether_url}/a2a/{assistant_id}")).json()
    assert card.name == "chat"
    assert card.description == "chat assistant"
    [interface] = card.supported_interfaces
    assert interface.url == f"{tether_url}/a2a/{assistant_id}"
    assert (interface.protocol_binding, interface.protocol_version) == ("JSONRPC", "1.0")
    assert card.capabilities.streaming is True
    assert [s.id for s in card.skills] == [f"{assistant_id}-main"]
    assert raw["url"] == interface.url
    input_schema = raw["skills"][0]["metadata"]["inputSchema"]
    assert input_schema["supportsA2A"] is True and "messages" in input_schema["properties"]
    assert same == raw


async def test_agent_card_errors(tether_url: str) -> None:
    async with httpx.AsyncClient(base_url=tether_url) as http:
        missing = await http.get("/.well-known/agent-card.json")
        invalid = await http.get("/.well-known/agent-card.json?assistant_id=no-such-graph")
        unknown = await http.get(f"/.well-known/agent-card.json?assistant_id={uuid.uuid4()}")
        by_graph_name = await http.get("/.well-known/agent-card.json?assistant_id=chat")
    assert missing.status_code == 400
    assert missing.json() == {
        "error": {"code": -32602, "message": "Missing required query parameter: assistant_id"}
    }
    assert invalid.status_code == 400
    assert invalid.json()["error"]["code"] == -32602
    assert unknown.status_code == 404
    # A graph name works too (the official server wants a UUID).
    assert by_graph_name.status_code == 200 and by_graph_name.json()["name"] == "chat"


async def test_send_message_runs_to_the_end_and_answers_the_task(
    tether_url: str, dialect: str
) -> None:
    async with _client(tether_url, "chat", dialect, streaming=False) as client:
        [event] = [e async for e in client.send_message(_message("hi"))]
        task = event.task
        assert task.status.state == TaskState.TASK_STATE_COMPLETED
        context_id, _, run_id = task.id.partition(":")
        assert task.context_id == context_id and run_id
        assert _texts(task) == [(Role.ROLE_USER, "hi"), (Role.ROLE_AGENT, REPLY)]
        [artifact] = task.artifacts
        assert artifact.name == "Assistant Response"
        assert [p.text for p in artifact.parts] == [REPLY]

        # The same context again: the same thread, the conversation goes on.
        [again] = [e async for e in client.send_message(_message("more", context_id))]
        assert again.task.context_id == context_id and again.task.id != task.id
        assert [text for _, text in _texts(again.task)] == ["hi", REPLY, "more", REPLY]

        fetched = await client.get_task(GetTaskRequest(id=task.id))
        assert fetched.status.state == TaskState.TASK_STATE_COMPLETED
        assert [p.text for p in fetched.artifacts[0].parts] == [REPLY]
        short = await client.get_task(GetTaskRequest(id=task.id, history_length=1))
        assert [text for _, text in _texts(short)] == [REPLY]
        if dialect == "v1.0":  # the v0.3 client drops a 0 before sending it
            none = await client.get_task(GetTaskRequest(id=task.id, history_length=0))
            assert list(none.history) == []

    sdk = get_client(url=tether_url, api_key=None)
    thread = await sdk.threads.get(context_id)  # a context is a thread
    assert [m["content"] for m in thread["values"]["messages"]] == ["hi", REPLY, "more", REPLY]
    await sdk.aclose()


async def test_message_stream_sends_events_while_the_run_goes_on(
    tether_url: str, dialect: str
) -> None:
    async with (
        _client(tether_url, "agent", dialect, streaming=True) as client,
        httpx.AsyncClient(base_url=tether_url) as http,
    ):
        events: list[StreamResponse] = []
        state_at_first_text = None
        async for event in client.send_message(_message("go", delay=0.4)):
            events.append(event)
            if state_at_first_text is None and event.HasField("status_update"):
                # The reply of step a has arrived: the run is still in step b.
                task_id = event.status_update.task_id
                answer = await http.post(
                    f"/a2a/{(await _assistant_id(tether_url, 'agent'))}",
                    json={
                        "jsonrpc": "2.0",
                        "id": 1,
                        "method": "tasks/get",
                        "params": {"id": task_id},
                    },
                )
                state_at_first_text = answer.json()["result"]["status"]["state"]
    assert state_at_first_text == "working"
    kinds = [e.WhichOneof("payload") for e in events]
    assert kinds[0] == "task" and events[0].task.status.state == TaskState.TASK_STATE_SUBMITTED
    working = [
        "".join(p.text for p in e.status_update.status.message.parts)
        for e in events
        if e.HasField("status_update")
        and e.status_update.status.state == TaskState.TASK_STATE_WORKING
    ]
    assert working == ["from a", "from b"]
    assert kinds[-2:] == ["artifact_update", "status_update"]
    assert [p.text for p in events[-2].artifact_update.artifact.parts] == ["from b"]
    assert events[-1].status_update.status.state == TaskState.TASK_STATE_COMPLETED


async def test_cancel_a_running_task(tether_url: str, dialect: str) -> None:
    async with _client(tether_url, "agent", dialect, streaming=True) as client:
        stream = client.send_message(_message("go", delay=2))
        first = await anext(stream)  # type: ignore[call-overload]
        await stream.aclose()  # type: ignore[attr-defined]
        task_id = first.task.id
        cancelled = await client.cancel_task(CancelTaskRequest(id=task_id))
        assert cancelled.status.state == TaskState.TASK_STATE_CANCELED
        fetched = await client.get_task(GetTaskRequest(id=task_id))
        assert fetched.status.state == TaskState.TASK_STATE_CANCELED
        with pytest.raises(TaskNotCancelableError):
            await client.cancel_task(CancelTaskRequest(id=task_id))


async def test_unknown_task(tether_url: str, dialect: str) -> None:
    async with _client(tether_url, "chat", dialect, streaming=False) as client:
        with pytest.raises(TaskNotFoundError):
            await client.get_task(GetTaskRequest(id=f"{uuid.uuid4()}:{uuid.uuid4()}"))
        with pytest.raises(TaskNotFoundError):
            await client.cancel_task(CancelTaskRequest(id="nope"))


async def test_data_parts_become_the_input_of_a_graph_without_messages(tether_url: str) -> None:
    async with _client(tether_url, "context", "v1.0", streaming=False) as client:
        [event] = [e async for e in client.send_message(_message(None, unrelated=1))]
        assert event.task.status.state == TaskState.TASK_STATE_COMPLETED
        [part] = event.task.artifacts[0].parts
        output = json_format.MessageToDict(part.data)
        assert output["seen_context"]["type"] == "Context"
        # Text needs a `messages` key in the graph's input.
        with pytest.raises(InvalidParamsError, match="'messages' field"):
            [e async for e in client.send_message(_message("hi"))]


async def test_raw_json_rpc_errors(tether_url: str) -> None:
    chat = await _assistant_id(tether_url, "chat")
    message = {"role": "user", "parts": [{"kind": "text", "text": "hi"}], "messageId": "m"}

    async def call(path: str, body: Any) -> dict[str, Any]:
        async with httpx.AsyncClient(base_url=tether_url) as http:
            response = await http.post(path, json=body)
        assert response.status_code == 200
        return dict(response.json())

    send = {"jsonrpc": "2.0", "id": 7, "method": "message/send", "params": {"message": message}}
    unknown_assistant = await call(f"/a2a/{uuid.uuid4()}", send)
    assert unknown_assistant["id"] == 7 and unknown_assistant["error"]["code"] == -32602
    unknown_method = await call(f"/a2a/{chat}", {**send, "method": "foo/bar"})
    assert unknown_method["error"] == {"code": -32601, "message": "Method not found: foo/bar"}
    no_message = await call(f"/a2a/{chat}", {**send, "params": {}})
    assert no_message["error"]["code"] == -32602
    async with httpx.AsyncClient(base_url=tether_url) as http:
        parse = (await http.post(f"/a2a/{chat}", content=b"{nope")).json()
    assert parse["error"]["code"] == -32700
    # The v0.3 name answers the v0.3 shape: `kind` tags and lower-case states.
    task = (await call(f"/a2a/{chat}", send))["result"]
    assert task["kind"] == "task" and task["status"]["state"] == "completed"
    assert task["history"][0]["parts"] == [{"kind": "text", "text": "hi"}]


async def test_a_task_waiting_for_input_is_answered_by_its_task_id(
    tether_url: str, dialect: str
) -> None:
    async with _client(tether_url, "hitl", dialect, streaming=False) as client:
        [asked] = [e async for e in client.send_message(_message("hi"))]
        task = asked.task
        assert task.status.state == TaskState.TASK_STATE_INPUT_REQUIRED
        question = json_format.MessageToDict(task.status.message.parts[0].data)
        [interrupt] = [i for found in question["interrupts"].values() for i in found]
        assert interrupt["value"] == {"question": "approve?", "counter": 0}

        answer = _message("yes")
        answer.message.task_id = task.id
        [answered] = [e async for e in client.send_message(answer)]
        assert answered.task.status.state == TaskState.TASK_STATE_COMPLETED
        assert answered.task.context_id == task.context_id
        # The first task is over too, and a finished task takes no more messages.
        first = await client.get_task(GetTaskRequest(id=task.id))
        assert first.status.state == TaskState.TASK_STATE_COMPLETED
        again = _message("again")
        again.message.task_id = task.id
        with pytest.raises(UnsupportedOperationError):
            [e async for e in client.send_message(again)]

    sdk = get_client(url=tether_url, api_key=None)
    state = await sdk.threads.get_state(task.context_id)
    assert state["values"]["answer"] == "yes" and state["values"]["counter"] == 11
    await sdk.aclose()


async def test_list_tasks_of_a_context(tether_url: str) -> None:
    async with _client(tether_url, "chat", "v1.0", streaming=False) as client:
        [first] = [e async for e in client.send_message(_message("one"))]
        context_id = first.task.context_id
        [second] = [e async for e in client.send_message(_message("two", context_id))]
        listed = await client.list_tasks(ListTasksRequest(context_id=context_id))
    assert [t.id for t in listed.tasks] == [second.task.id, first.task.id]
    assert {t.status.state for t in listed.tasks} == {TaskState.TASK_STATE_COMPLETED}


async def test_a_quiet_stream_gets_heartbeats(tether_url: str) -> None:
    """A run that says nothing for longer than the heartbeat period (5 s) keeps its stream
    alive with SSE comments, which A2A clients skip."""
    ticker = await _assistant_id(tether_url, "ticker")
    message = {
        "role": "user",
        "messageId": "m",
        "parts": [{"kind": "data", "data": {"n_events": 2, "delay": 5.5}}],
    }
    body = {"jsonrpc": "2.0", "id": 1, "method": "message/stream", "params": {"message": message}}
    async with (
        httpx.AsyncClient(base_url=tether_url, timeout=30) as http,
        http.stream("POST", f"/a2a/{ticker}", json=body) as response,
    ):
        raw = (await response.aread()).decode()
    assert ": heartbeat\r\n\r\n" in raw
    assert raw.rstrip().endswith('"final":true}}')
    assert '"state":"completed"' in raw.rsplit("data: ", 1)[1]


async def test_resubscribe_to_a_task_that_cannot_go_on(tether_url: str, dialect: str) -> None:
    async with _client(tether_url, "hitl", dialect, streaming=True) as client:
        asked = [e async for e in client.send_message(_message("hi"))]  # streamed
        waiting = await client.get_task(GetTaskRequest(id=asked[0].task.id))
        assert waiting.status.state == TaskState.TASK_STATE_INPUT_REQUIRED
        # Waiting for input: its state now, and nothing more from this run.
        events = [e async for e in client.subscribe(SubscribeToTaskRequest(id=waiting.id))]
        assert [e.WhichOneof("payload") for e in events] == ["task", "status_update"]
        assert events[-1].status_update.status.state == TaskState.TASK_STATE_INPUT_REQUIRED

        answer = _message("yes")
        answer.message.task_id = waiting.id
        [e async for e in client.send_message(answer)]
        with pytest.raises(UnsupportedOperationError, match="terminal state"):
            [e async for e in client.subscribe(SubscribeToTaskRequest(id=waiting.id))]
        with pytest.raises(TaskNotFoundError):
            unknown = f"{uuid.uuid4()}:{uuid.uuid4()}"
            [e async for e in client.subscribe(SubscribeToTaskRequest(id=unknown))]


async def test_the_extended_card_is_not_configured(tether_url: str) -> None:
    """Every caller gets the same card, which says so; asking for another is -32007."""
    chat = await _assistant_id(tether_url, "chat")
    async with httpx.AsyncClient(base_url=tether_url) as http:
        card = (await http.get(f"/a2a/{chat}")).json()
        answers = [
            (
                await http.post(f"/a2a/{chat}", json={"jsonrpc": "2.0", "id": 1, "method": method})
            ).json()
            for method in ("agent/getAuthenticatedExtendedCard", "GetExtendedAgentCard")
        ]
    assert not card["capabilities"].get("extendedAgentCard")
    assert not card.get("supportsAuthenticatedExtendedCard")
    for answer in answers:
        assert answer["error"]["code"] == -32007
