"""Routes: /runs/crons."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from tether.api.auth import caller_of
from tether.api.responses import json_response, no_content, runtime_of, select_fields
from tether.api.schemas import CronCount, CronCreate, CronPatch, CronSearch
from tether.services.threads import check_thread_id

router = APIRouter(tags=["Crons"])


@router.post("/threads/{thread_id}/runs/crons")
async def create_thread_cron(thread_id: str, body: CronCreate, request: Request) -> Response:
    check_thread_id(thread_id)
    return await _create(request, thread_id, body)


@router.post("/runs/crons")
async def create_cron(body: CronCreate, request: Request) -> Response:
    return await _create(request, None, body)


async def _create(request: Request, thread_id: str | None, body: CronCreate) -> Response:
    runtime, caller = runtime_of(request), caller_of(request)
    fields = body.model_dump()
    if caller is not None:
        # The runs it starts run as its creator.
        config = dict(fields.get("config") or {})
        config["configurable"] = {**(config.get("configurable") or {}), **caller.configurable()}
        fields["config"] = config
        fields["user_id"] = caller.identity
        value = {
            "payload": fields,
            "schedule": body.schedule,
            "cron_id": None,
            "thread_id": thread_id,
            "user_id": caller.identity,
            "end_time": fields.get("end_time"),
            "metadata": dict(body.metadata or {}),
        }
        await runtime.auth.authorize(caller, "crons", "create", value)
        fields["metadata"] = value["metadata"]
        if thread_id is not None:
            await runtime.auth.check_thread(
                caller, thread_id, "read", detail=f"Thread with ID '{thread_id}' not found."
            )
        assistant_id = fields.get("assistant_id")
        await runtime.auth.check_run_assistant(
            caller, assistant_id, f"Assistant '{assistant_id}' not found"
        )
    return json_response(await runtime.crons.create(thread_id, fields))


def _metadata(cron: dict[str, Any]) -> Any:
    return cron.get("metadata")


async def _thread_check(request: Request) -> Any:
    return await runtime_of(request).auth.cron_thread_check(caller_of(request))


@router.post("/runs/crons/search")
async def search_crons(body: CronSearch, request: Request) -> Response:
    runtime = runtime_of(request)

    def fetch(metadata: dict[str, Any] | None, limit: int, offset: int) -> Any:
        return runtime.crons.search(
            assistant_id=body.assistant_id,
            thread_id=body.thread_id,
            enabled=body.enabled,
            metadata=metadata,
            limit=limit,
            offset=offset,
            sort_by=body.sort_by or "created_at",
            sort_order=body.sort_order or "desc",
        )

    value = {
        "assistant_id": body.assistant_id,
        "thread_id": body.thread_id,
        "metadata": body.metadata,
        "limit": body.limit,
        "offset": body.offset,
    }
    found = await runtime.auth.search(
        caller_of(request),
        "crons",
        value,
        fetch,
        _metadata,
        limit=body.limit,
        offset=body.offset,
        extra=await _thread_check(request),
    )
    return json_response([select_fields(c, body.select) for c in found])


@router.post("/runs/crons/count")
async def count_crons(body: CronCount, request: Request) -> Response:
    crons = runtime_of(request).crons

    def count(metadata: dict[str, Any] | None) -> Any:
        return crons.count(
            assistant_id=body.assistant_id, thread_id=body.thread_id, metadata=metadata
        )

    def fetch(metadata: dict[str, Any] | None, limit: int, offset: int) -> Any:
        return crons.search(
            assistant_id=body.assistant_id,
            thread_id=body.thread_id,
            enabled=None,
            metadata=metadata,
            limit=limit,
            offset=offset,
            sort_by="created_at",
            sort_order="asc",
        )

    value = {
        "assistant_id": body.assistant_id,
        "thread_id": body.thread_id,
        "metadata": body.metadata,
        "offset": 0,
    }
    return json_response(
        await runtime_of(request).auth.count(
            caller_of(request),
            "crons",
            value,
            count,
            fetch,
            _metadata,
            extra=await _thread_check(request),
        )
    )


async def _check(request: Request, cron_id: str, action: str, **value: Any) -> Any:
    return await runtime_of(request).auth.check_cron(
        caller_of(request), cron_id, action, value or None
    )


@router.get("/runs/crons/{cron_id}")
async def get_cron(cron_id: str, request: Request) -> Response:
    await _check(request, cron_id, "read")
    return json_response(await runtime_of(request).crons.get(cron_id))


@router.patch("/runs/crons/{cron_id}")
async def patch_cron(cron_id: str, body: CronPatch, request: Request) -> Response:
    patch = body.model_dump(exclude_unset=True)
    value = await _check(request, cron_id, "update", **patch)
    if "metadata" in patch:
        patch["metadata"] = value.get("metadata")
    caller = caller_of(request)
    if caller is not None and isinstance(patch.get("config"), dict):
        configurable = {**(patch["config"].get("configurable") or {}), **caller.configurable()}
        patch["config"] = {**patch["config"], "configurable": configurable}
    return json_response(await runtime_of(request).crons.update(cron_id, patch))


@router.delete("/runs/crons/{cron_id}", status_code=204)
async def delete_cron(cron_id: str, request: Request) -> Response:
    await _check(request, cron_id, "delete")
    await runtime_of(request).crons.delete(cron_id)
    return no_content()
