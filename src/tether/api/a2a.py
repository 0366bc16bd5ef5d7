"""Routes: A2A — the agent card and the JSON-RPC endpoint of every assistant.

`GET /.well-known/agent-card.json?assistant_id=…`, `GET /a2a/{assistant_id}` (the card too) and
`POST /a2a/{assistant_id}` (`message/send`, `message/stream`, `tasks/get`, `tasks/cancel`,
`tasks/resubscribe`, and their v1.0 names `SendMessage`, `SendStreamingMessage`, `GetTask`,
`CancelTask`, `SubscribeToTask`, plus `ListTasks`). With custom auth the request was
authenticated before it got here (401 without credentials); the service applies the
caller's rules.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import orjson
from fastapi import APIRouter, Request
from starlette.responses import Response

from tether.api.auth import caller_of
from tether.api.responses import json_response
from tether.api.sse import HEARTBEAT_FRAME, EventStreamResponse
from tether.errors import TetherError
from tether.runtime import Runtime
from tether.serialization import dumps
from tether.services import a2a_wire as wire
from tether.services.a2a import (
    EXTENDED_CARD_NOT_CONFIGURED,
    INTERNAL_ERROR,
    INVALID_PARAMS,
    INVALID_REQUEST,
    METHOD_NOT_FOUND,
    A2AError,
    A2AService,
)
from tether.services.auth import JSONRPC_REFUSED, AuthError, refusal

router = APIRouter(tags=["A2A"])


def _service(request: Request) -> A2AService:
    runtime: Runtime = request.app.state.runtime
    return A2AService(
        assistants=runtime.assistants,
        threads=runtime.threads,
        runs=runtime.runs,
        streams=runtime.streams,
        timeout_seconds=runtime.settings.run_timeout_seconds,
        auth=runtime.auth,
        caller=caller_of(request),
    )


async def _card(request: Request, assistant_id: str | None) -> Response:
    service = _service(request)
    if not assistant_id:
        error = A2AError(INVALID_PARAMS, "Missing required query parameter: assistant_id")
        return json_response({"error": _error_body(error)}, status_code=400)
    try:
        card = await service.card(assistant_id, str(request.base_url))
    except A2AError as exc:
        status = 404 if "not found" in exc.message else 400
        body = {
            "code": exc.code,
            "message": f"Failed to get assistant '{assistant_id}': {exc.message}",
        }
        return json_response({"error": body}, status_code=status)
    return json_response(card)


@router.get("/.well-known/agent-card.json")
async def agent_card(request: Request, assistant_id: str | None = None) -> Response:
    return await _card(request, assistant_id)


@router.get("/a2a/{assistant_id}")
async def agent_card_at_endpoint(assistant_id: str, request: Request) -> Response:
    return await _card(request, assistant_id)


def _error_body(error: A2AError | TetherError) -> dict[str, Any]:
    if isinstance(error, A2AError):
        return {"code": error.code, "message": error.message}
    if isinstance(error, AuthError) and error.status_code < 500:
        # Refused by the project's auth handlers: not bad params, not our failure.
        return {"code": JSONRPC_REFUSED, "message": error.detail, "data": refusal(error)}
    return {"code": _code_of(error), "message": error.detail}


def _rpc_error(request_id: Any, error: A2AError | TetherError) -> Response:
    return json_response({"jsonrpc": "2.0", "id": request_id, "error": _error_body(error)})


@router.post("/a2a/{assistant_id}")
async def a2a_call(assistant_id: str, request: Request) -> Response:
    service = _service(request)
    try:
        rpc = orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        return _rpc_error(None, A2AError(-32700, "Parse error"))
    if not isinstance(rpc, dict):
        return _rpc_error(None, A2AError(INVALID_REQUEST, "Invalid Request"))
    request_id = rpc.get("id")
    method, params = rpc.get("method"), rpc.get("params", {})
    if rpc.get("jsonrpc") != "2.0" or not isinstance(method, str):
        return _rpc_error(request_id, A2AError(INVALID_REQUEST, "Invalid Request"))
    if method in wire.V1_METHODS:
        v1, name = True, wire.V1_METHODS[method]
    elif method in wire.V03_METHODS:
        v1, name = False, method
    else:
        return _rpc_error(request_id, A2AError(METHOD_NOT_FOUND, f"Method not found: {method}"))
    if not isinstance(params, dict):
        return _rpc_error(request_id, A2AError(INVALID_PARAMS, "params must be an object"))
    if v1:
        params = wire.params_v03(method, params)
    try:
        if name == "message/stream":
            items = await service.stream(assistant_id, params)
            return EventStreamResponse(_frames(request_id, items, v1))
        if name == "tasks/resubscribe":
            await service.assistant(assistant_id)
            items = await service.resubscribe(params)
            return EventStreamResponse(_frames(request_id, items, v1))
        result = await _call(service, assistant_id, name, params, v1)
    except (A2AError, TetherError) as exc:  # TetherError: a refusal, a graph that does not load
        return _rpc_error(request_id, exc)
    return json_response({"jsonrpc": "2.0", "id": request_id, "result": result})


async def _call(
    service: A2AService, assistant_id: str, name: str, params: dict[str, Any], v1: bool
) -> Any:
    if name == "message/send":
        task = await service.send(assistant_id, params)
        return {"task": wire.task_v1(task)} if v1 else task
    if name == "tasks/list":
        await service.assistant(assistant_id)
        listed = await service.list_tasks(params)
        return {**listed, "tasks": [wire.task_v1(t) for t in listed["tasks"]]}
    await service.assistant(assistant_id)
    if name == "agent/getAuthenticatedExtendedCard":
        # Every caller gets the same card: the public one says there is no other.
        raise A2AError(EXTENDED_CARD_NOT_CONFIGURED, "Authenticated Extended Card not configured")
    if name == "tasks/get":
        task = await service.get_task(params.get("id"), params.get("historyLength"))
    else:
        task = await service.cancel_task(params.get("id"))
    return wire.task_v1(task) if v1 else task


async def _frames(
    request_id: Any, items: AsyncIterator[dict[str, Any] | None], v1: bool
) -> AsyncIterator[bytes]:
    """Each event as one `event: message` SSE frame holding a JSON-RPC response; a
    heartbeat comment while the run is quiet."""
    try:
        async for item in items:
            if item is None:
                yield HEARTBEAT_FRAME
                continue
            result = wire.stream_item_v1(item) if v1 else item
            yield _frame({"jsonrpc": "2.0", "id": request_id, "result": result})
    except (A2AError, TetherError) as exc:
        yield _frame({"jsonrpc": "2.0", "id": request_id, "error": _error_body(exc)})


def _code_of(error: TetherError) -> int:
    """Bad input is invalid params; anything else is an internal error."""
    return INVALID_PARAMS if error.status_code < 500 else INTERNAL_ERROR


def _frame(body: dict[str, Any]) -> bytes:
    return b"event: message\r\ndata: " + dumps(body) + b"\r\n\r\n"
