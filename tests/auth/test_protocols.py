"""MCP and A2A under custom auth, through their official clients (the `mcp` package's
streamable-HTTP client, the `a2a-sdk` client) sending the user's token to a real server:
each user sees and runs only what the project's rules give them, as on the HTTP routes."""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import httpx2
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
    SubscribeToTaskRequest,
    TaskState,
)
from a2a.utils.errors import InvalidParamsError, TaskNotFoundError
from conftest import ServerProcess, started_on_backend
from google.protobuf import json_format, struct_pb2
from langgraph_sdk import get_client
from mcp import Client as McpClient
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

from .support import PROJECT


@pytest.fixture(scope="module")
def auth_url(
    tmp_path_factory: pytest.TempPathFactory, backend_name: str, request: pytest.FixtureRequest
) -> Iterator[str]:
    """A real server on the test project (alice and bob own what they create)."""
    server = ServerProcess(tmp_path_factory.mktemp("auth-protocols"), config=PROJECT)
    with started_on_backend(server, backend_name, request, timeout=90) as started:
        yield started.url


@pytest.fixture(params=["v1.0", "v0.3"])
def dialect(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _seen(identity: str) -> dict[str, Any]:
    """What the test project's `whoami` graph reports about its user."""
    org = {"alice": "acme", "bob": "globex"}[identity]
    return {
        "identity": identity,
        "display_name": identity,
        "org": org,
        "org_attribute": org,
        "user_id": identity,
        "permissions": {"alice": ["read", "write"], "bob": ["read"]}[identity],
        "config_user_id": identity,
    }


def _token(user: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer token-{user}"} if user else {}


async def _create_assistant(url: str, user: str, name: str) -> str:
    sdk = get_client(url=url, api_key=f"token-{user}")
    try:
        return str((await sdk.assistants.create("whoami", name=name))["assistant_id"])
    finally:
        await sdk.aclose()


# -- MCP ------------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def _mcp(url: str, user: str | None) -> AsyncIterator[McpClient]:
    async with (
        httpx2.AsyncClient(headers=_token(user), timeout=30) as http,
        McpClient(streamable_http_client(f"{url}/mcp", http_client=http)) as client,
    ):
        yield client


async def _tool_titles(client: McpClient) -> dict[str, str]:
    listed = await client.list_tools(cache_mode="bypass")
    assert listed.next_cursor is None
    return {tool.name: str(tool.title) for tool in listed.tools}


async def test_mcp_tools_are_the_callers_assistants_and_run_as_the_caller(auth_url: str) -> None:
    suffix = uuid.uuid4().hex[:8]
    hers = await _create_assistant(auth_url, "alice", f"alices helper {suffix}")
    tool = f"alices_helper_{suffix}"
    bob_sdk = get_client(url=auth_url, api_key="token-bob")
    async with _mcp(auth_url, "alice") as alice, _mcp(auth_url, "bob") as bob:
        assert tool in await _tool_titles(alice)
        bobs = await _tool_titles(bob)
        assert tool not in bobs
        # Bob's tools are exactly the assistants his rules let him search.
        searched = await bob_sdk.assistants.search(limit=100)
        assert sorted(bobs.values()) == sorted(a["name"] for a in searched)

        result = await alice.call_tool(tool, {})
        assert result.is_error is False
        assert json.loads(result.content[0].text) == {"seen": _seen("alice")}  # type: ignore[union-attr]
        for name in (tool, hers):  # by tool name or by id: as if it did not exist
            with pytest.raises(MCPError) as hidden:
                await bob.call_tool(name, {})
            assert (hidden.value.code, hidden.value.message) == (-32602, f"Unknown tool: {name}")
        # A graph's own assistant is everyone's to run (as on `POST /runs/wait`).
        own = await bob.call_tool("whoami", {})
        assert json.loads(own.content[0].text) == {"seen": _seen("bob")}  # type: ignore[union-attr]
    await bob_sdk.aclose()


async def test_mcp_without_a_valid_token_is_401(auth_url: str) -> None:
    for headers in ({}, {"Authorization": "Bearer nope"}):
        async with httpx.AsyncClient(base_url=auth_url, headers=headers) as http:
            response = await http.post(
                "/mcp",
                json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                headers={"accept": "application/json, text/event-stream"},
            )
        assert response.status_code == 401
        assert response.json() == {"detail": "Invalid or missing token"}
        assert response.headers["www-authenticate"] == "Bearer"
    # The official client cannot get past the 401 (it reports it as an error response).
    with pytest.RaisesGroup(pytest.RaisesGroup(MCPError)):
        async with _mcp(auth_url, None) as anonymous:
            await anonymous.list_tools()


# -- A2A ------------------------------------------------------------------------------------


async def _card(url: str, user: str | None, card_of: str, dialect: str) -> AgentCard:
    """The card of the agent `card_of` (an assistant id or graph name), read by `user`."""
    async with httpx.AsyncClient(headers=_token(user), timeout=30) as http:
        card = await A2ACardResolver(http, url).get_agent_card(
            f"/.well-known/agent-card.json?assistant_id={card_of}"
        )
    if dialect == "v0.3":
        card.supported_interfaces[0].protocol_version = "0.3"
    return card


@contextlib.asynccontextmanager
async def _a2a(
    user: str | None, card: AgentCard, *, streaming: bool = False
) -> AsyncIterator[Client]:
    """An a2a-sdk client sending `user`'s token to the agent of `card`."""
    async with httpx.AsyncClient(headers=_token(user), timeout=30) as http:
        yield ClientFactory(ClientConfig(httpx_client=http, streaming=streaming)).create(card)


def _data_message(context_id: str = "") -> SendMessageRequest:
    value = struct_pb2.Value()
    value.struct_value.update({"seen": None})  # the graph's one input key
    message = Message(
        role=Role.ROLE_USER,
        message_id=str(uuid.uuid4()),
        parts=[Part(data=value)],
        context_id=context_id,
    )
    return SendMessageRequest(message=message)


def _artifact_data(task: Any) -> Any:
    return json_format.MessageToDict(task.artifacts[0].parts[0].data)


async def test_a2a_tasks_belong_to_their_user(auth_url: str, dialect: str) -> None:
    hers = await _create_assistant(auth_url, "alice", "alices agent")
    her_card = await _card(auth_url, "alice", hers, dialect)
    graph_card = await _card(auth_url, "bob", "whoami", dialect)
    async with _a2a("alice", her_card) as alice:
        [event] = [e async for e in alice.send_message(_data_message())]
        task = event.task
        assert task.status.state == TaskState.TASK_STATE_COMPLETED
        assert _artifact_data(task) == {"seen": _seen("alice")}
        assert (await alice.get_task(GetTaskRequest(id=task.id))).id == task.id
    async with _a2a("alice", her_card, streaming=True) as alice:  # message/stream
        events = [e async for e in alice.send_message(_data_message())]
        [artifact] = [e.artifact_update.artifact for e in events if e.HasField("artifact_update")]
        assert json_format.MessageToDict(artifact.parts[0].data) == {"seen": _seen("alice")}
        assert events[-1].status_update.status.state == TaskState.TASK_STATE_COMPLETED

    async with httpx.AsyncClient(base_url=auth_url, headers=_token("bob")) as http:
        hidden = await http.get("/.well-known/agent-card.json", params={"assistant_id": hers})
        unknown = await http.get(f"/a2a/{uuid.uuid4()}")
    assert hidden.status_code == unknown.status_code == 404

    # Bob talking to alice's agent at its URL: an unknown assistant.
    async with _a2a("bob", her_card) as bob_at_hers:
        with pytest.raises(InvalidParamsError, match="not found"):
            await bob_at_hers.get_task(GetTaskRequest(id=task.id))
        with pytest.raises(InvalidParamsError, match="not found"):
            [e async for e in bob_at_hers.send_message(_data_message())]

    async with _a2a("bob", graph_card) as bob:
        with pytest.raises(TaskNotFoundError):
            await bob.get_task(GetTaskRequest(id=task.id))
        with pytest.raises(TaskNotFoundError):
            await bob.cancel_task(CancelTaskRequest(id=task.id))
        if dialect == "v1.0":
            listed = await bob.list_tasks(ListTasksRequest(context_id=task.context_id))
            assert list(listed.tasks) == []
        # Alice's context is not his to continue.
        with pytest.raises(InvalidParamsError, match="Thread or assistant not found"):
            [e async for e in bob.send_message(_data_message(task.context_id))]
        [his] = [e async for e in bob.send_message(_data_message())]
        assert _artifact_data(his.task) == {"seen": _seen("bob")}

    alice_sdk = get_client(url=auth_url, api_key="token-alice")
    bob_sdk = get_client(url=auth_url, api_key="token-bob")
    try:
        assert len(await alice_sdk.runs.list(task.context_id)) == 1  # bob added none
        thread = await bob_sdk.threads.get(his.task.context_id)
        assert thread["metadata"]["owner"] == "bob"
        with pytest.raises(httpx.HTTPStatusError) as other:
            await alice_sdk.threads.get(his.task.context_id)
        assert other.value.response.status_code == 404
    finally:
        await alice_sdk.aclose()
        await bob_sdk.aclose()


async def test_a2a_resubscribe_and_cancel_only_for_the_tasks_owner(
    auth_url: str, dialect: str
) -> None:
    alice_sdk = get_client(url=auth_url, api_key="token-alice")
    try:
        thread = await alice_sdk.threads.create()
        run = await alice_sdk.runs.create(
            thread["thread_id"], "whoami", input={}, after_seconds=600
        )
    finally:
        await alice_sdk.aclose()
    task_id = f"{thread['thread_id']}:{run['run_id']}"
    card = await _card(auth_url, "alice", "whoami", dialect)
    async with _a2a("bob", card, streaming=True) as bob:
        with pytest.raises(TaskNotFoundError):
            [e async for e in bob.subscribe(SubscribeToTaskRequest(id=task_id))]
        with pytest.raises(TaskNotFoundError):
            await bob.cancel_task(CancelTaskRequest(id=task_id))
    async with _a2a("alice", card, streaming=True) as alice:
        stream = alice.subscribe(SubscribeToTaskRequest(id=task_id))
        first = await anext(stream)  # type: ignore[call-overload]
        await stream.aclose()  # type: ignore[attr-defined]
        assert first.task.id == task_id
        assert first.task.status.state == TaskState.TASK_STATE_SUBMITTED
        cancelled = await alice.cancel_task(CancelTaskRequest(id=task_id))
        assert cancelled.status.state == TaskState.TASK_STATE_CANCELED


async def test_a2a_without_a_valid_token_is_401(auth_url: str) -> None:
    call = {"jsonrpc": "2.0", "id": 1, "method": "tasks/get", "params": {"id": "x"}}
    async with httpx.AsyncClient(base_url=auth_url) as http:
        answers = [
            await http.get("/.well-known/agent-card.json", params={"assistant_id": "whoami"}),
            await http.get("/a2a/whoami"),
            await http.post("/a2a/whoami", json=call),
        ]
    for answer in answers:
        assert (answer.status_code, answer.json()) == (401, {"detail": "Invalid or missing token"})


# -- refusals and the thread a new context makes (the sharing project, in process) ---------


async def _rpc(client: httpx.AsyncClient, path: str, method: str, params: Any) -> dict[str, Any]:
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
    response = await client.post(
        path, json=body, headers={"accept": "application/json, text/event-stream"}
    )
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def test_a_refusal_is_a_json_rpc_error_or_an_error_result(
    shared: dict[str, httpx.AsyncClient],
) -> None:
    mallory = shared["mallory"]
    listed = await _rpc(mallory, "/mcp", "tools/list", {})
    assert listed["error"] == {
        "code": -32000,
        "message": "No assistants for mallory",
        "data": {"error": "Forbidden", "message": "No assistants for mallory", "status": 403},
    }
    called = (await _rpc(mallory, "/mcp", "tools/call", {"name": "whoami", "arguments": {}}))[
        "result"
    ]
    assert called["isError"] is True
    assert json.loads(called["content"][0]["text"]) == {
        "error": "Forbidden",
        "message": "mallory may not start runs",
        "status": 403,
    }
    message = {"role": "user", "messageId": "m", "parts": [{"kind": "data", "data": {}}]}
    sent = await _rpc(mallory, "/a2a/whoami", "message/send", {"message": message})
    assert sent["error"]["code"] == -32000
    assert sent["error"]["message"] == "mallory may not start runs"
    assert ok_list(await mallory.post("/threads/search", json={})) == []  # nothing made


def ok_list(response: httpx.Response) -> list[Any]:
    assert response.status_code == 200, response.text
    found: list[Any] = response.json()
    return found


async def test_a_new_context_is_created_as_post_threads_would(
    shared: dict[str, httpx.AsyncClient],
) -> None:
    """The project stamps the owner on `threads.create` only: a context A2A makes for ann
    is hers (she can read her task), and only hers."""
    ann, ben = shared["ann"], shared["ben"]
    message = {"role": "user", "messageId": "m", "parts": [{"kind": "data", "data": {}}]}
    task = (await _rpc(ann, "/a2a/whoami", "message/send", {"message": message}))["result"]
    assert task["status"]["state"] == "completed"
    thread = await ann.get(f"/threads/{task['contextId']}")
    assert thread.json()["metadata"]["owner"] == "ann"
    hidden = await _rpc(ben, "/a2a/whoami", "tasks/get", {"id": task["id"]})
    assert hidden["error"]["code"] == -32001
    # Shared with ben, the context is his to read too.
    await ann.patch(f"/threads/{task['contextId']}", json={"metadata": {"shared_with": ["ben"]}})
    seen = await _rpc(ben, "/a2a/whoami", "tasks/get", {"id": task["id"]})
    assert seen["result"]["id"] == task["id"]
