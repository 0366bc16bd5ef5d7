"""Routes: /assistants."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from tether.api.responses import flag, json_response, no_content, runtime_of, select_fields
from tether.api.schemas import (
    AssistantCount,
    AssistantCreate,
    AssistantPatch,
    AssistantSearch,
    AssistantVersionChange,
    AssistantVersionsSearch,
)

router = APIRouter(tags=["Assistants"])


@router.post("/assistants")
async def create_assistant(body: AssistantCreate, request: Request) -> Response:
    created = await runtime_of(request).assistants.create(
        graph_id=body.graph_id,
        assistant_id=body.assistant_id,
        if_exists=body.if_exists,
        config=body.config,
        context=body.context,
        metadata=body.metadata,
        name=body.name,
        description=body.description,
    )
    return json_response(created)


@router.post("/assistants/search")
async def search_assistants(body: AssistantSearch, request: Request) -> Response:
    found = await runtime_of(request).assistants.store.search_assistants(
        metadata=body.metadata,
        graph_id=body.graph_id,
        name=body.name,
        limit=body.limit,
        offset=body.offset,
        sort_by=body.sort_by or "created_at",
        sort_order=body.sort_order or "desc",
    )
    headers = (
        {"X-Pagination-Next": str(body.offset + body.limit)} if len(found) == body.limit else {}
    )
    return json_response([select_fields(a, body.select) for a in found], headers=headers)


@router.post("/assistants/count")
async def count_assistants(body: AssistantCount, request: Request) -> Response:
    return json_response(
        await runtime_of(request).assistants.store.count_assistants(
            metadata=body.metadata, graph_id=body.graph_id, name=body.name
        )
    )


@router.get("/assistants/{assistant_id}")
async def get_assistant(assistant_id: str, request: Request) -> Response:
    return json_response(await runtime_of(request).assistants.get(assistant_id))


@router.patch("/assistants/{assistant_id}")
async def patch_assistant(assistant_id: str, body: AssistantPatch, request: Request) -> Response:
    patch = body.model_dump(exclude_unset=True)
    return json_response(await runtime_of(request).assistants.update(assistant_id, patch))


@router.delete("/assistants/{assistant_id}", status_code=204)
async def delete_assistant(
    assistant_id: str, request: Request, delete_threads: str | None = None
) -> Response:
    runtime = runtime_of(request)
    await runtime.assistants.delete(assistant_id)
    if flag(delete_threads):
        await runtime.threads.delete_where(metadata={"assistant_id": assistant_id})
    return no_content()


@router.get("/assistants/{assistant_id}/graph")
async def get_assistant_graph(
    assistant_id: str, request: Request, xray: str | None = None
) -> Response:
    depth: int | bool = int(xray) if xray and xray.isdigit() and int(xray) > 1 else flag(xray)
    return json_response(await runtime_of(request).assistants.drawable_graph(assistant_id, depth))


@router.get("/assistants/{assistant_id}/subgraphs")
async def get_assistant_subgraphs(
    assistant_id: str, request: Request, recurse: str | None = None
) -> Response:
    return json_response(
        await runtime_of(request).assistants.subgraphs(assistant_id, None, flag(recurse))
    )


@router.get("/assistants/{assistant_id}/subgraphs/{namespace}")
async def get_assistant_subgraphs_ns(
    assistant_id: str, namespace: str, request: Request, recurse: str | None = None
) -> Response:
    return json_response(
        await runtime_of(request).assistants.subgraphs(assistant_id, namespace, flag(recurse))
    )


@router.get("/assistants/{assistant_id}/schemas")
async def get_assistant_schemas(assistant_id: str, request: Request) -> Response:
    return json_response(await runtime_of(request).assistants.schemas(assistant_id))


@router.post("/assistants/{assistant_id}/versions")
async def get_assistant_versions(
    assistant_id: str, body: AssistantVersionsSearch, request: Request
) -> Response:
    return json_response(
        await runtime_of(request).assistants.versions(
            assistant_id, metadata=body.metadata, limit=body.limit, offset=body.offset
        )
    )


@router.post("/assistants/{assistant_id}/latest")
async def set_latest_assistant_version(
    assistant_id: str, body: AssistantVersionChange, request: Request
) -> Response:
    return json_response(
        await runtime_of(request).assistants.set_latest(assistant_id, body.version)
    )
