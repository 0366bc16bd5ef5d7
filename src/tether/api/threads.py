"""Routes: /threads (records, state, history, copy, prune, the thread feed)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from tether.api.auth import caller_of
from tether.api.responses import flag, json_response, no_content, runtime_of, select_fields
from tether.api.schemas import (
    CheckpointConfig,
    ThreadCount,
    ThreadCreate,
    ThreadHistory,
    ThreadPatch,
    ThreadPrune,
    ThreadSearch,
    ThreadStateCheckpoint,
    ThreadStateUpdate,
)
from tether.api.sse import EventStreamResponse, encode_stream
from tether.errors import Conflict, InvalidInput
from tether.services.threads import check_thread_id

router = APIRouter(tags=["Threads"])


def _ttl(ttl: dict[str, Any] | None) -> dict[str, Any] | None:
    if ttl is None:
        return None
    return {"strategy": ttl.get("strategy", "delete"), "ttl": ttl.get("ttl")}


@router.post("/threads")
async def create_thread(body: ThreadCreate, request: Request) -> Response:
    runtime, caller = runtime_of(request), caller_of(request)
    value = {"thread_id": body.thread_id, "metadata": dict(body.metadata or {})}
    value["if_exists"] = body.if_exists or "raise"
    await runtime.auth.authorize(caller, "threads", "create", value)
    await runtime.auth.check_new_thread_id(caller, body.thread_id)
    thread = await runtime.threads.create(
        thread_id=body.thread_id,
        metadata=value["metadata"],
        if_exists=body.if_exists,
        ttl=_ttl(body.ttl),
        supersteps=body.supersteps,
    )
    return json_response(thread.to_api())


@router.post("/threads/search")
async def search_threads(body: ThreadSearch, request: Request) -> Response:
    for thread_id in body.ids or []:
        check_thread_id(thread_id)
    runtime = runtime_of(request)

    def fetch(metadata: dict[str, Any] | None, limit: int, offset: int) -> Any:
        return runtime.threads.search(
            ids=body.ids,
            metadata=metadata,
            values=body.values,
            status=body.status,
            limit=limit,
            offset=offset,
            sort_by=body.sort_by or "created_at",
            sort_order=body.sort_order or "desc",
        )

    value = {
        "metadata": body.metadata,
        "values": body.values,
        "status": body.status,
        "limit": body.limit,
        "offset": body.offset,
    }
    found = await runtime.auth.search(
        caller_of(request), "threads", value, fetch, _metadata, limit=body.limit, offset=body.offset
    )
    items = []
    for thread in found:
        item = thread.to_api()
        if body.extract:
            item["extracted"] = {
                alias: _extract(item, path) for alias, path in body.extract.items()
            }
        items.append(
            select_fields(
                item, body.select + ["extracted"] if body.select and body.extract else body.select
            )
        )
    return json_response(items)


def _extract(item: dict[str, Any], path: str) -> Any:
    value: Any = item
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


@router.post("/threads/count")
async def count_threads(body: ThreadCount, request: Request) -> Response:
    threads = runtime_of(request).threads

    def count(metadata: dict[str, Any] | None) -> Any:
        return threads.count(metadata=metadata, values=body.values, status=body.status)

    def fetch(metadata: dict[str, Any] | None, limit: int, offset: int) -> Any:
        return threads.search(
            ids=None,
            metadata=metadata,
            values=body.values,
            status=body.status,
            limit=limit,
            offset=offset,
            sort_by="created_at",
            sort_order="asc",
        )

    value = {"metadata": body.metadata, "values": body.values, "status": body.status}
    return json_response(
        await runtime_of(request).auth.count(
            caller_of(request), "threads", {**value, "offset": 0}, count, fetch, _metadata
        )
    )


def _metadata(thread: Any) -> Any:
    return thread.metadata


async def _check(request: Request, thread_id: str, action: str = "read", **value: Any) -> Any:
    return await runtime_of(request).auth.check_thread(
        caller_of(request), thread_id, action, value or None
    )


@router.post("/threads/prune")
async def prune_threads(body: ThreadPrune, request: Request) -> Response:
    runtime = runtime_of(request)
    await runtime.auth.check_prune(caller_of(request), body.thread_ids)
    pruned = await runtime.threads.prune(body.thread_ids, body.strategy)
    return json_response({"pruned_count": pruned})


@router.get("/threads/{thread_id}")
async def get_thread(thread_id: str, request: Request, include: str | None = None) -> Response:
    await _check(request, thread_id)
    thread = await runtime_of(request).threads.get(thread_id)
    body = thread.to_api()
    if include and "ttl" in [part.strip() for part in include.split(",")]:
        body["ttl"] = thread.ttl
    return json_response(body)


@router.get("/threads/{thread_id}/storage")
async def get_thread_storage(thread_id: str, request: Request) -> Response:
    await _check(request, thread_id)
    return json_response(await runtime_of(request).threads.storage(thread_id))


@router.patch("/threads/{thread_id}")
async def patch_thread(thread_id: str, body: ThreadPatch, request: Request) -> Response:
    value = await _check(request, thread_id, "update", metadata=dict(body.metadata or {}))
    metadata = value["metadata"] if (body.metadata is not None or value["metadata"]) else None
    thread = await runtime_of(request).threads.update(thread_id, metadata, _ttl(body.ttl))
    if request.headers.get("prefer", "").replace(" ", "") == "return=minimal":
        return no_content()
    return json_response(thread.to_api())


@router.delete("/threads/{thread_id}", status_code=204)
async def delete_thread(thread_id: str, request: Request) -> Response:
    await _check(request, thread_id, "delete")
    await runtime_of(request).threads.delete(thread_id)
    return no_content()


@router.post("/threads/{thread_id}/copy")
async def copy_thread(thread_id: str, request: Request) -> Response:
    runtime, caller = runtime_of(request), caller_of(request)
    if not await runtime.auth.thread_visible(caller, thread_id, "read"):
        raise Conflict("Conflict")
    await runtime.auth.authorize(caller, "threads", "create", {"thread_id": None})
    return json_response((await runtime_of(request).threads.copy(thread_id)).to_api())


@router.get("/threads/{thread_id}/state")
async def get_state(thread_id: str, request: Request, subgraphs: str | None = None) -> Response:
    await _check(request, thread_id)
    return json_response(
        await runtime_of(request).threads.state(thread_id, subgraphs=flag(subgraphs))
    )


@router.post("/threads/{thread_id}/state")
async def update_state(thread_id: str, body: ThreadStateUpdate, request: Request) -> Response:
    await _check(request, thread_id, "update")
    checkpoint = body.checkpoint.model_dump(exclude_none=True) if body.checkpoint else {}
    if body.checkpoint_id:
        checkpoint["checkpoint_id"] = body.checkpoint_id
    return json_response(
        await runtime_of(request).threads.update_state(
            thread_id, values=body.values, as_node=body.as_node, checkpoint=checkpoint or None
        )
    )


@router.get("/threads/{thread_id}/state/{checkpoint_id}")
async def get_state_at(
    thread_id: str, checkpoint_id: str, request: Request, subgraphs: str | None = None
) -> Response:
    await _check(request, thread_id)
    return json_response(
        await runtime_of(request).threads.state(
            thread_id, checkpoint={"checkpoint_id": checkpoint_id}, subgraphs=flag(subgraphs)
        )
    )


@router.post("/threads/{thread_id}/state/checkpoint")
async def get_state_at_checkpoint(
    thread_id: str, body: ThreadStateCheckpoint, request: Request
) -> Response:
    await _check(request, thread_id)
    return json_response(
        await runtime_of(request).threads.state(
            thread_id,
            checkpoint=body.checkpoint.model_dump(exclude_none=True),
            subgraphs=body.subgraphs,
        )
    )


async def _history(request: Request, thread_id: str, body: ThreadHistory) -> Response:
    await _check(request, thread_id)
    before = body.before
    if isinstance(before, str):
        before = CheckpointConfig(checkpoint_id=before)
    return json_response(
        await runtime_of(request).threads.history(
            thread_id,
            limit=body.limit,
            before=before.model_dump(exclude_none=True) if before else None,
            metadata=body.metadata,
            checkpoint=body.checkpoint.model_dump(exclude_none=True) if body.checkpoint else None,
        )
    )


@router.get("/threads/{thread_id}/history")
async def get_history(
    thread_id: str,
    request: Request,
    limit: int = Query(10, ge=1, le=1000),
    before: str | None = None,
) -> Response:
    return await _history(request, thread_id, ThreadHistory(limit=limit, before=before))


@router.post("/threads/{thread_id}/history")
async def post_history(thread_id: str, body: ThreadHistory, request: Request) -> Response:
    return await _history(request, thread_id, body)


@router.get("/threads/{thread_id}/stream")
async def thread_feed(thread_id: str, request: Request) -> Response:
    await _check(request, thread_id)
    runtime = runtime_of(request)
    await runtime.threads.get(thread_id)
    # The SDK sends `stream_mode`; the official OpenAPI names it `stream_modes`: take both.
    params = request.query_params
    modes = [m for m in params.getlist("stream_mode") + params.getlist("stream_modes") if m] or [
        "run_modes"
    ]
    for mode in modes:
        if mode not in ("run_modes", "lifecycle", "state_update"):
            raise InvalidInput(
                f"Invalid stream_mode {mode!r}: must be run_modes, lifecycle or state_update"
            )
    cursor = await runtime.streams.thread_cursor(thread_id, _last_event_id(request))

    return EventStreamResponse(
        encode_stream(runtime.streams.follow_thread(thread_id, cursor, modes)),
        draining=runtime.draining,
    )


def _last_event_id(request: Request) -> str | None:
    return request.headers.get("last-event-id")
