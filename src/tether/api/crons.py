"""Routes: /runs/crons."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from tether.api.responses import json_response, no_content, runtime_of, select_fields
from tether.api.schemas import CronCount, CronCreate, CronPatch, CronSearch
from tether.services.threads import check_thread_id

router = APIRouter(tags=["Crons"])


@router.post("/threads/{thread_id}/runs/crons")
async def create_thread_cron(thread_id: str, body: CronCreate, request: Request) -> Response:
    check_thread_id(thread_id)
    return json_response(await runtime_of(request).crons.create(thread_id, body.model_dump()))


@router.post("/runs/crons")
async def create_cron(body: CronCreate, request: Request) -> Response:
    return json_response(await runtime_of(request).crons.create(None, body.model_dump()))


@router.post("/runs/crons/search")
async def search_crons(body: CronSearch, request: Request) -> Response:
    found = await runtime_of(request).crons.search(
        assistant_id=body.assistant_id,
        thread_id=body.thread_id,
        enabled=body.enabled,
        metadata=body.metadata,
        limit=body.limit,
        offset=body.offset,
        sort_by=body.sort_by or "created_at",
        sort_order=body.sort_order or "desc",
    )
    return json_response([select_fields(c, body.select) for c in found])


@router.post("/runs/crons/count")
async def count_crons(body: CronCount, request: Request) -> Response:
    return json_response(
        await runtime_of(request).crons.count(
            assistant_id=body.assistant_id, thread_id=body.thread_id, metadata=body.metadata
        )
    )


@router.get("/runs/crons/{cron_id}")
async def get_cron(cron_id: str, request: Request) -> Response:
    return json_response(await runtime_of(request).crons.get(cron_id))


@router.patch("/runs/crons/{cron_id}")
async def patch_cron(cron_id: str, body: CronPatch, request: Request) -> Response:
    return json_response(
        await runtime_of(request).crons.update(cron_id, body.model_dump(exclude_unset=True))
    )


@router.delete("/runs/crons/{cron_id}", status_code=204)
async def delete_cron(cron_id: str, request: Request) -> Response:
    await runtime_of(request).crons.delete(cron_id)
    return no_content()
