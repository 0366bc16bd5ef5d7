"""Route: `/mcp`, the Model Context Protocol over streamable HTTP (stateless, JSON answers).

Served by the official `mcp` SDK's streamable-HTTP transport: one short-lived server per
request, as the official Agent Server does (no `mcp-session-id`). The tools are the
assistants (`tether.services.mcp`); with custom auth, the caller's (the request was
authenticated before it got here: 401 without credentials).
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
from tether.api.auth import caller_of
from tether.api.responses import json_response
from tether.errors import InvalidInput, NotFound, TetherError
from tether.runtime import Runtime
from tether.services.auth import JSONRPC_REFUSED, refusal
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
        except TetherError as exc:  # refused by the project's auth (assistants.search)
            raise _refused(exc) from exc
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
        except TetherError as exc:
            raise _refused(exc) from exc
        return types.CallToolResult(
            content=[types.TextContent(text=result.text)], is_error=result.is_error
        )

    return Server(
        SERVER_NAME, version=__version__, on_list_tools=list_tools, on_call_tool=call_tool
    )


def _refused(error: TetherError) -> MCPError:
    """A refusal of the project's auth handlers (or another error of ours) as a JSON-RPC
    error: never an internal error of the MCP server."""
    if error.status_code >= 500:
        return MCPError(types.INTERNAL_ERROR, error.detail)
    return MCPError(JSONRPC_REFUSED, error.detail, refusal(error))


class McpEndpoint:
    """The ASGI app behind `/mcp`: 404 when `http.disable_mcp` is set."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope)
        runtime: Runtime = request.app.state.runtime
        if scope["method"] == "GET":
            # No server-initiated stream: every answer comes back on its own POST.
            await json_response(
                {"detail": "Method Not Allowed"}, status_code=405, headers={"Allow": "POST"}
            )(scope, receive, send)
            return
        accept = request.headers.get("accept", "")
        if scope["method"] == "POST" and not (
            "application/json" in accept or "text/event-stream" in accept
        ):
            await json_response(
                {"error": "Accept header must include application/json or text/event-stream"},
                status_code=400,
            )(scope, receive, send)
            return
        tools = McpTools(
            runtime.assistants,
            runtime.runs,
            runtime.settings.run_timeout_seconds,
            auth=runtime.auth,
            caller=caller_of(request),
        )
        manager = StreamableHTTPSessionManager(_server(tools), json_response=True, stateless=True)
        async with manager.run():
            await manager.handle_request(scope, receive, send)


_endpoint = McpEndpoint()
routes: list[BaseRoute] = [
    Route("/mcp", _endpoint, methods=["GET", "POST", "DELETE"], include_in_schema=False),
    Route("/mcp/", _endpoint, methods=["GET", "POST", "DELETE"], include_in_schema=False),
]
