"""Route: `/mcp`, the Model Context Protocol over streamable HTTP (stateless, JSON answers).

Served by the official `mcp` SDK's streamable-HTTP transport: one short-lived server per
request, as the official Agent Server does (no `mcp-session-id`). The tools are the
assistants (`tether.services.mcp`).
"""

from __future__ import annotations

from typing import Any

import mcp_types as types
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel import Server
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.shared.exceptions import MCPError
from starlette.requests import Request
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from tether import __version__
from tether.api.responses import json_response
from tether.errors import InvalidInput, NotFound
from tether.runtime import Runtime
from tether.services.mcp import McpTools

SERVER_NAME = "Tether"


def _server(tools: McpTools) -> Server[Any]:
    async def list_tools(
        ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        try:
            page, next_cursor = await tools.list_tools(params.cursor if params else None)
        except InvalidInput as exc:
            raise MCPError(types.INVALID_PARAMS, exc.detail) from exc
        return types.ListToolsResult.model_validate(
            {"tools": page, **({"nextCursor": next_cursor} if next_cursor else {})}
        )

    async def call_tool(
        ctx: ServerRequestContext[Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        try:
            result = await tools.call_tool(params.name, params.arguments)
        except (NotFound, InvalidInput) as exc:
            raise MCPError(types.INVALID_PARAMS, exc.detail) from exc
        return types.CallToolResult(
            content=[types.TextContent(text=result.text)], is_error=result.is_error
        )

    return Server(
        SERVER_NAME, version=__version__, on_list_tools=list_tools, on_call_tool=call_tool
    )


class McpEndpoint:
    """The ASGI app behind `/mcp`: 404 when `http.disable_mcp` is set."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        runtime: Runtime = Request(scope).app.state.runtime
        if runtime.auth.enabled:
            # Per-user rules are not applied to MCP yet: refuse rather than let a user run
            # and read what another user's rules would hide (docs/compatibility.md).
            detail = "MCP is not available when custom auth is configured (per-user rules are not applied to it yet)"
            await json_response({"detail": detail}, status_code=403)(scope, receive, send)
            return
        if scope["method"] == "GET":
            # No server-initiated stream: every answer comes back on its own POST.
            await json_response(
                {"detail": "Method Not Allowed"}, status_code=405, headers={"Allow": "POST"}
            )(scope, receive, send)
            return
        accept = Request(scope).headers.get("accept", "")
        if scope["method"] == "POST" and not (
            "application/json" in accept or "text/event-stream" in accept
        ):
            await json_response(
                {"error": "Accept header must include application/json or text/event-stream"},
                status_code=400,
            )(scope, receive, send)
            return
        tools = McpTools(runtime.assistants, runtime.runs, runtime.settings.run_timeout_seconds)
        manager = StreamableHTTPSessionManager(_server(tools), json_response=True, stateless=True)
        async with manager.run():
            await manager.handle_request(scope, receive, send)


_endpoint = McpEndpoint()
routes: list[BaseRoute] = [
    Route("/mcp", _endpoint, methods=["GET", "POST", "DELETE"], include_in_schema=False),
    Route("/mcp/", _endpoint, methods=["GET", "POST", "DELETE"], include_in_schema=False),
]
