"""`/mcp` driven by the official `mcp` client (streamable HTTP) against a real Tether server."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest
from langgraph_sdk import get_client
from mcp import Client
from mcp.shared.exceptions import MCPError

GRAPHS = ["agent", "chat", "hitl", "nested", "trivial", "firehose", "ticker", "context"]


@pytest.fixture(params=["auto", "legacy"])
def mode(request: pytest.FixtureRequest) -> str:
    """`auto`: the 2026 per-request protocol (discover); `legacy`: the initialize handshake."""
    return str(request.param)


async def _all_tools(client: Client) -> list[Any]:
    tools, cursor = [], None
    while True:
        page = await client.list_tools(cursor=cursor, cache_mode="bypass")
        tools.extend(page.tools)
        cursor = page.next_cursor
        if cursor is None:
            return tools


async def test_every_assistant_is_a_tool_with_its_input_schema(tether_url: str, mode: str) -> None:
    sdk = get_client(url=tether_url, api_key=None)
    suffix = uuid.uuid4().hex[:8]
    first = await sdk.assistants.create("trivial", name=f"My helper! {suffix}")
    second = await sdk.assistants.create(
        "agent", name=f"My helper? {suffix}", description="Counts to one hundred and eleven"
    )
    async with Client(f"{tether_url}/mcp", mode=mode) as client:
        tools = {tool.name: tool for tool in await _all_tools(client)}

    assert set(GRAPHS) <= set(tools)
    agent = tools["agent"]
    assert agent.title == "agent"
    assert agent.description == "Tool based on the agent assistant"
    assert agent.input_schema["type"] == "object"
    assert {"messages", "counter", "delay", "fail"} <= set(agent.input_schema["properties"])
    assert agent.annotations is not None and agent.annotations.open_world_hint is True
    assert tools["context"].input_schema["properties"] == {
        "seen_context": {"type": "object", "additionalProperties": True}
    }
    # Two names that are the same once made safe: both listed, the later one numbered.
    assert tools[f"My_helper_{suffix}"].title == first["name"]
    numbered = tools[f"My_helper_{suffix}_2"]
    assert numbered.title == second["name"]
    assert numbered.description == "Counts to one hundred and eleven"
    await sdk.aclose()


async def test_calling_a_tool_runs_the_assistant_and_answers_json(
    tether_url: str, mode: str
) -> None:
    async with Client(f"{tether_url}/mcp", mode=mode) as client:
        result = await client.call_tool("agent", {"delay": 0})
    assert result.is_error is False
    [content] = result.content
    output = json.loads(content.text)  # JSON, not a Python repr
    assert output["counter"] == 111
    assert [m["content"] for m in output["messages"]] == ["from a", "from b"]


async def test_a_renamed_assistant_is_called_by_its_tool_name(tether_url: str) -> None:
    sdk = get_client(url=tether_url, api_key=None)
    name = f"adder {uuid.uuid4().hex[:8]}"
    await sdk.assistants.create("trivial", name=name)
    async with Client(f"{tether_url}/mcp") as client:
        result = await client.call_tool(name.replace(" ", "_"), {"counter": 41})
    assert json.loads(result.content[0].text) == {"counter": 42, "messages": []}
    await sdk.aclose()


async def test_a_graph_error_is_an_error_result(tether_url: str) -> None:
    async with Client(f"{tether_url}/mcp") as client:
        result = await client.call_tool("agent", {"fail": True})
    assert result.is_error is True
    assert json.loads(result.content[0].text) == {"error": "ValueError", "message": "boom from b"}


async def test_arguments_that_do_not_fit_the_schema_are_an_error_result(tether_url: str) -> None:
    async with Client(f"{tether_url}/mcp") as client:
        result = await client.call_tool("trivial", {"counter": "x"})
    assert result.is_error is True
    error = json.loads(result.content[0].text)
    assert error["error"] == "InvalidArguments"
    assert error["message"].startswith("counter: 'x' is not of type 'integer'")


async def test_unknown_tool_is_a_protocol_error(tether_url: str, mode: str) -> None:
    async with Client(f"{tether_url}/mcp", mode=mode) as client:
        with pytest.raises(MCPError) as raised:
            await client.call_tool("no_such_tool", {})
    assert raised.value.code == -32602
    assert raised.value.message == "Unknown tool: no_such_tool"


async def test_wire_shape_of_raw_requests(tether_url: str) -> None:
    """What a client without the SDK sees: JSON answers, no session id, JSON-RPC errors."""
    headers = {"accept": "application/json, text/event-stream"}
    async with httpx.AsyncClient(base_url=tether_url, headers=headers) as http:
        init = await http.post(
            "/mcp",
            json={
                "jsonrpc": "2.0",
                "id": 1,
                "method": "initialize",
                "params": {
                    "protocolVersion": "2025-03-26",
                    "capabilities": {},
                    "clientInfo": {"name": "raw", "version": "1"},
                },
            },
        )
        assert init.status_code == 200
        assert init.headers["content-type"] == "application/json"
        assert "mcp-session-id" not in init.headers
        body = init.json()
        assert body["result"]["protocolVersion"] == "2025-03-26"
        assert body["result"]["capabilities"]["tools"] == {"listChanged": False}

        note = await http.post(
            "/mcp", json={"jsonrpc": "2.0", "method": "notifications/initialized"}
        )
        assert (note.status_code, note.content) == (202, b"")

        bad_args = await http.post(
            "/mcp",
            json={
                "jsonrpc": "2.0",
                "id": 2,
                "method": "tools/call",
                "params": {"name": "agent", "arguments": [1]},
            },
        )
        assert bad_args.json()["error"]["code"] == -32602

        unknown = await http.post(
            "/mcp", json={"jsonrpc": "2.0", "id": 3, "method": "resources/list"}
        )
        assert unknown.json()["error"]["code"] == -32601

        not_json = await http.post(
            "/mcp", content=b"{bad", headers={"content-type": "application/json"}
        )
        assert not_json.status_code == 400
        assert not_json.json()["error"]["code"] == -32700

        no_accept = await http.post(
            "/mcp",
            json={"jsonrpc": "2.0", "id": 4, "method": "tools/list"},
            headers={"accept": "*/*"},
        )
        assert no_accept.status_code == 400
        assert no_accept.json() == {
            "error": "Accept header must include application/json or text/event-stream"
        }

        get = await http.get("/mcp")
        assert get.status_code == 405
