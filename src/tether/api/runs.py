"""Routes: runs on a thread and stateless runs (create, stream, wait, join, cancel)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from tether.api.auth import caller_of
from tether.api.responses import flag, json_response, no_content, runtime_of
from tether.api.schemas import MAX_INT, RunCreate, RunsCancel
from tether.api.sse import EventStreamResponse, encode_items, encode_stream
from tether.errors import InvalidInput, NotFound
from tether.records import RunRecord
from tether.runtime import Runtime
from tether.serialization import dumps
from tether.services.runs import NOTHING_TO_CANCEL, check_run_id, normalize_modes
from tether.services.streams import ErrorFrame
from tether.services.threads import check_thread_id

router = APIRouter(tags=["Runs"])

_background: set[asyncio.Task[Any]] = set()


def _run_path(run: RunRecord, stateless: bool) -> str:
    return f"/runs/{run.run_id}" if stateless else f"/threads/{run.thread_id}/runs/{run.run_id}"


def _cancel_on_disconnect(runtime: Runtime, run: RunRecord) -> Any:
    async def cancel() -> None:
        current = await runtime.runs.find(run.run_id)
        if current is not None and not current.done:
            # Detached: the request is over, the cancel must still happen.
            task = asyncio.create_task(
                runtime.runs.cancel(run.thread_id, run.run_id, action="interrupt")
            )
            _background.add(task)
            task.add_done_callback(_background.discard)

    return cancel


def _stream_headers(path: str) -> dict[str, str]:
    """Where the official SDK reconnects (`Location`) and what the stream is about."""
    return {"Location": f"{path}/stream", "Content-Location": path}


def _stream_response(
    runtime: Runtime,
    run: RunRecord,
    *,
    stateless: bool,
    cancel_on_disconnect: bool,
    after: Any = None,
    modes: list[str] | None = None,
    replay: bool = False,
) -> Response:
    path = _run_path(run, stateless)

    return EventStreamResponse(
        encode_stream(runtime.streams.follow_run(run.run_id, after, modes, replay=replay)),
        headers=_stream_headers(path),
        on_disconnect=_cancel_on_disconnect(runtime, run) if cancel_on_disconnect else None,
        draining=runtime.draining,
    )


#: How often a waiting `/wait` or `/join` looks whether the server began to shut down.
_DRAIN_CHECK_SECONDS = 1.0


def _shutting_down(run: RunRecord) -> dict[str, Any]:
    """The result a `/wait` client gets when the server shuts down before the run ends
    (the official SDK raises it as `Exception("ServerShuttingDown: ...")`), instead of a
    body cut off mid-way."""
    path = f"/threads/{run.thread_id}/runs/{run.run_id}"
    return {
        "__error__": {
            "error": "ServerShuttingDown",
            "message": f"The server is shutting down; run {run.run_id} goes on (another"
            f" worker, or this one after its restart, resumes it). Get its result with"
            f" GET {path}/join.",
        }
    }


async def _wait_response(
    runtime: Runtime, run: RunRecord, *, stateless: bool, cancel_on_disconnect: bool
) -> Response:
    path = f"/threads/{run.thread_id}/runs/{run.run_id}"
    headers = {"Location": f"{path}/join", "Content-Location": _run_path(run, stateless)}
    fresh = run.status == "pending" and run.attempt == 0
    heartbeat = runtime.settings.heartbeat_seconds
    step = min(heartbeat, _DRAIN_CHECK_SECONDS)
    if not cancel_on_disconnect:
        # Most runs end before the first padding newline would be due: answer with a plain
        # JSON response then (one write). Only a client that asked to cancel on disconnect
        # needs to be watched from the start.
        waited = 0.0
        while waited < heartbeat:
            end = await runtime.runs.outcome(run, timeout=step, fresh=fresh)
            fresh = False
            if end is not None:
                return json_response(_wait_result(end), headers=headers)
            if runtime.draining.is_set():
                return json_response(_shutting_down(run), headers=headers)
            waited += step

    async def body() -> AsyncIterator[bytes]:
        nonlocal fresh
        since_padding = 0.0
        while True:
            end = await runtime.runs.outcome(run, timeout=step, fresh=fresh)
            fresh = False
            if end is not None:
                yield dumps(_wait_result(end))
                return
            if runtime.draining.is_set():
                yield dumps(_shutting_down(run))
                return
            since_padding += step
            if since_padding >= heartbeat:
                since_padding = 0.0
                yield b"\n"  # keep the connection alive, as the official server does

    return EventStreamResponse(
        body(),
        headers=headers,
        on_disconnect=_cancel_on_disconnect(runtime, run) if cancel_on_disconnect else None,
        media_type="application/json",
    )


def _wait_result(end: dict[str, Any]) -> Any:
    result = end.get("result")
    return {} if result is None else result


async def _create(
    request: Request, thread_id: str | None, body: RunCreate
) -> tuple[Runtime, RunRecord]:
    runtime: Runtime = runtime_of(request)
    payload = _payload(runtime, body, request)
    owner = await runtime.auth.check_run_create(caller_of(request), thread_id, payload)
    run = await runtime.runs.create(
        thread_id, payload, stateless=thread_id is None, thread_metadata=owner
    )
    return runtime, run


def _payload(runtime: Runtime, body: RunCreate, request: Request) -> dict[str, Any]:
    """The run's body, with the headers `http.configurable_headers` lets into its config."""
    payload = body.payload()
    headers = runtime.registry.project.http.headers
    config = headers.into_config(payload.get("config"), request.headers.items())
    if config is not None:
        payload["config"] = config
    return payload


async def _check(request: Request, thread_id: str, action: str = "read", **value: Any) -> Any:
    """A run inherits its thread's access."""
    return await runtime_of(request).auth.check_thread(
        caller_of(request), thread_id, action, value or None
    )


async def _check_run(request: Request, run_id: str) -> None:
    if not await runtime_of(request).auth.check_run(caller_of(request), run_id, "read"):
        raise NotFound("Run not found")


# -- on a thread -------------------------------------------------------------------------


@router.post("/threads/{thread_id}/runs")
async def create_run(thread_id: str, body: RunCreate, request: Request) -> Response:
    _, run = await _create(request, check_thread_id(thread_id), body)
    return json_response(run.to_api(), headers={"Content-Location": _run_path(run, False)})


@router.post("/threads/{thread_id}/runs/stream")
async def stream_run(thread_id: str, body: RunCreate, request: Request) -> Response:
    runtime, run = await _create(request, check_thread_id(thread_id), body)
    return _stream_response(
        runtime, run, stateless=False, cancel_on_disconnect=body.on_disconnect == "cancel"
    )


@router.post("/threads/{thread_id}/runs/wait")
async def wait_run(thread_id: str, body: RunCreate, request: Request) -> Response:
    runtime, run = await _create(request, check_thread_id(thread_id), body)
    return await _wait_response(
        runtime, run, stateless=False, cancel_on_disconnect=body.on_disconnect == "cancel"
    )


@router.get("/threads/{thread_id}/runs")
async def list_runs(
    thread_id: str,
    request: Request,
    limit: int = Query(10, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=MAX_INT),
    status: str | None = None,
) -> Response:
    await _check(request, thread_id)
    runs = await runtime_of(request).runs.list_runs(
        thread_id, limit=limit, offset=offset, status=status
    )
    select = request.query_params.getlist("select")
    items = [r.to_api() for r in runs]
    if select:
        items = [{k: v for k, v in item.items() if k in select} for item in items]
    return json_response(items)


@router.get("/threads/{thread_id}/runs/{run_id}")
async def get_run(thread_id: str, run_id: str, request: Request) -> Response:
    await _check(request, thread_id)
    return json_response((await runtime_of(request).runs.get(thread_id, run_id)).to_api())


@router.delete("/threads/{thread_id}/runs/{run_id}", status_code=204)
async def delete_run(thread_id: str, run_id: str, request: Request) -> Response:
    await _check(request, thread_id, "delete", run_id=run_id)
    await runtime_of(request).runs.delete(thread_id, run_id)
    return no_content()


@router.get("/threads/{thread_id}/runs/{run_id}/join")
async def join_run(thread_id: str, run_id: str, request: Request) -> Response:
    await _check(request, thread_id)
    runtime: Runtime = runtime_of(request)
    run = await runtime.runs.get(thread_id, run_id)
    return await _wait_response(
        runtime,
        run,
        stateless=False,
        cancel_on_disconnect=flag(request.query_params.get("cancel_on_disconnect")),
    )


@router.get("/threads/{thread_id}/runs/{run_id}/stream")
async def join_run_stream(thread_id: str, run_id: str, request: Request) -> Response:
    return await _join_stream(request, check_thread_id(thread_id), run_id)


@router.post("/threads/{thread_id}/runs/{run_id}/cancel")
async def cancel_run(
    thread_id: str,
    run_id: str,
    request: Request,
    wait: str | None = None,
    action: str = "interrupt",
) -> Response:
    if action not in ("interrupt", "rollback"):
        raise InvalidInput("action must be 'interrupt' or 'rollback'")
    runtime: Runtime = runtime_of(request)
    metadata = {"run_ids": [run_id], "status": None}
    await runtime.auth.check_thread(
        caller_of(request),
        thread_id,
        "update",
        {"action": action, "metadata": metadata},
        detail="No runs found to cancel.",
    )
    run = await runtime.runs.cancel(thread_id, run_id, action=action)
    if not flag(wait):
        return Response(status_code=202)
    await runtime.runs.outcome(run, timeout=runtime.settings.run_timeout_seconds)
    path = f"/threads/{thread_id}/runs/{run_id}"
    return json_response({}, headers={"Location": f"{path}/join"})


# -- anywhere ----------------------------------------------------------------------------


@router.post("/runs/cancel")
async def cancel_runs(body: RunsCancel, request: Request, action: str = "interrupt") -> Response:
    if action not in ("interrupt", "rollback"):
        raise InvalidInput("action must be 'interrupt' or 'rollback'")
    runtime, caller = runtime_of(request), caller_of(request)
    run_ids = body.run_ids
    if caller is not None:
        value = {"action": action, "metadata": {"run_ids": run_ids, "status": body.status}}
        if body.thread_id is not None:
            await runtime.auth.check_thread(
                caller, body.thread_id, "update", value, detail=NOTHING_TO_CANCEL
            )
        else:
            # Only the runs on threads the caller may update.
            run_ids = await runtime.auth.cancellable_runs(caller, run_ids, body.status, value)
            if not run_ids:
                raise NotFound(NOTHING_TO_CANCEL)
    await runtime.runs.cancel_many(
        thread_id=body.thread_id,
        run_ids=run_ids,
        status=body.status if run_ids == body.run_ids else None,
        action=action,
    )
    return Response(status_code=204)


@router.post("/runs")
async def create_stateless_run(body: RunCreate, request: Request) -> Response:
    _, run = await _create(request, None, body)
    return json_response(run.to_api(), headers={"Content-Location": _run_path(run, True)})


@router.post("/runs/stream")
async def stream_stateless_run(body: RunCreate, request: Request) -> Response:
    runtime, run = await _create(request, None, body)
    return _stream_response(
        runtime, run, stateless=True, cancel_on_disconnect=body.on_disconnect == "cancel"
    )


@router.post("/runs/wait")
async def wait_stateless_run(body: RunCreate, request: Request) -> Response:
    runtime, run = await _create(request, None, body)
    return await _wait_response(
        runtime, run, stateless=True, cancel_on_disconnect=body.on_disconnect == "cancel"
    )


@router.post("/runs/batch")
async def create_run_batch(bodies: list[RunCreate], request: Request) -> Response:
    runs = [(await _create(request, None, body))[1] for body in bodies]
    return json_response([r.to_api() for r in runs])


@router.get("/runs/{run_id}")
async def get_stateless_run(run_id: str, request: Request) -> Response:
    await _check_run(request, run_id)
    return json_response((await runtime_of(request).runs.get(None, run_id)).to_api())


@router.get("/runs/{run_id}/stream")
async def join_stateless_run_stream(run_id: str, request: Request) -> Response:
    return await _join_stream(request, None, run_id)


async def _join_stream(request: Request, thread_id: str | None, run_id: str) -> Response:
    runtime: Runtime = runtime_of(request)
    check_run_id(run_id)
    modes = [m for m in request.query_params.getlist("stream_mode") if m] or None
    if modes:
        normalize_modes(modes)  # an unknown mode is a 422, as on create
    last_event_id = request.headers.get("last-event-id")
    run = await runtime.runs.find(run_id)
    if run is not None and thread_id is not None and run.thread_id != thread_id:
        run = None
    if not await runtime.auth.check_run(caller_of(request), run_id, "read"):
        # Hidden from this caller: exactly as if it did not exist.
        return EventStreamResponse(encode_items(ErrorFrame("HTTPException", "404: Run not found")))
    # A stateless run is deleted with its temporary thread, but its log outlives it.
    replayable = run is None and thread_id is None and last_event_id is not None
    if run is None and not (replayable and await runtime.streams.replayable(run_id)):
        return EventStreamResponse(encode_items(ErrorFrame("HTTPException", "404: Run not found")))
    cursor, over = await runtime.streams.join_cursor(run_id, last_event_id)
    if run is None:
        path = f"/runs/{run_id}"
        return EventStreamResponse(
            encode_stream(runtime.streams.follow_run(run_id, cursor, modes, replay=True)),
            headers=_stream_headers(path),
        )
    if over:
        path = _run_path(run, thread_id is None)
        return EventStreamResponse(encode_items(), headers=_stream_headers(path))
    return _stream_response(
        runtime,
        run,
        stateless=thread_id is None,
        cancel_on_disconnect=flag(request.query_params.get("cancel_on_disconnect")),
        after=cursor,
        modes=modes,
        replay=last_event_id is not None,
    )
