"""Routes: /assistants."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from tether.api.auth import caller_of
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
    runtime = runtime_of(request)
    value = {
        "assistant_id": body.assistant_id,
        "graph_id": body.graph_id,
        "config": body.config,
        "context": body.context,
        "metadata": dict(body.metadata or {}),
        "name": body.name,
    }
    await runtime.auth.authorize(caller_of(request), "assistants", "create", value)
    await runtime.auth.check_new_assistant_id(caller_of(request), body.assistant_id)
    created = await runtime.assistants.create(
        graph_id=body.graph_id,
        assistant_id=body.assistant_id,
        if_exists=body.if_exists,
        config=value["config"],
        context=value["context"],
        metadata=value["metadata"],
        name=body.name,
        description=body.description,
    )
    return json_response(created)


@router.post("/assistants/search")
async def search_assistants(body: AssistantSearch, request: Request) -> Response:
    runtime = runtime_of(request)

    def fetch(metadata: dict[str, Any] | None, limit: int, offset: int) -> Any:
        return runtime.assistants.store.search_assistants(
            metadata=metadata,
            graph_id=body.graph_id,
            name=body.name,
            limit=limit,
            offset=offset,
            sort_by=body.sort_by or "created_at",
            sort_order=body.sort_order or "desc",
        )

    value = {
        "graph_id": body.graph_id,
        "metadata": body.metadata,
        "limit": body.limit,
        "offset": body.offset,
    }
    found = await runtime.auth.search(
        caller_of(request),
        "assistants",
        value,
        fetch,
        _metadata,
        limit=body.limit,
        offset=body.offset,
    )
    headers = (
        {"X-Pagination-Next": str(body.offset + body.limit)} if len(found) == body.limit else {}
    )
    return json_response([select_fields(a, body.select) for a in found], headers=headers)


@router.post("/assistants/count")
async def count_assistants(body: AssistantCount, request: Request) -> Response:
    store = runtime_of(request).assistants.store

    def count(metadata: dict[str, Any] | None) -> Any:
        return store.count_assistants(metadata=metadata, graph_id=body.graph_id, name=body.name)

    def fetch(metadata: dict[str, Any] | None, limit: int, offset: int) -> Any:
        return store.search_assistants(
            metadata=metadata,
            graph_id=body.graph_id,
            name=body.name,
            limit=limit,
            offset=offset,
            sort_by="created_at",
            sort_order="asc",
        )

    value = {"graph_id": body.graph_id, "metadata": body.metadata, "offset": 0}
    return json_response(
        await runtime_of(request).auth.count(
            caller_of(request), "assistants", value, count, fetch, _metadata
        )
    )


def _metadata(assistant: dict[str, Any]) -> Any:
    return assistant.get("metadata")


async def _check(request: Request, assistant_id: str, action: str = "read", **value: Any) -> Any:
    return await runtime_of(request).auth.check_assistant(
        caller_of(request), assistant_id, action, value or None
    )


@router.get("/assistants/{assistant_id}")
async def get_assistant(assistant_id: str, request: Request) -> Response:
    await _check(request, assistant_id)
    return json_response(await runtime_of(request).assistants.get(assistant_id))


@router.patch("/assistants/{assistant_id}")
async def patch_assistant(assistant_id: str, body: AssistantPatch, request: Request) -> Response:
    patch = body.model_dump(exclude_unset=True)
    fields = ("graph_id", "config", "context", "metadata", "name")
    value = await _check(request, assistant_id, "update", **{k: patch.get(k) for k in fields})
    if value.get("metadata") is not None:
        patch["metadata"] = value["metadata"]
    return json_response(await runtime_of(request).assistants.update(assistant_id, patch))


@router.delete("/assistants/{assistant_id}", status_code=204)
async def delete_assistant(
    assistant_id: str, request: Request, delete_threads: str | None = None
) -> Response:
    runtime = runtime_of(request)
    caller = caller_of(request)
    await _check(request, assistant_id, "delete")
    await runtime.assistants.delete(assistant_id)
    if flag(delete_threads):
        # Only the threads the caller may delete.
        metadata = await runtime.auth.deletable_threads(caller, {"assistant_id": assistant_id})
        if metadata is not None:
            await runtime.threads.delete_where(metadata=metadata)
    return no_content()


@router.get("/assistants/{assistant_id}/graph")
async def get_assistant_graph(
    assistant_id: str, request: Request, xray: str | None = None
) -> Response:
    await _check(request, assistant_id)
    depth: int | bool = int(xray) if xray and xray.isdigit() and int(xray) > 1 else flag(xray)
    return json_response(await runtime_of(request).assistants.drawable_graph(assistant_id, depth))


@router.get("/assistants/{assistant_id}/subgraphs")
async def get_assistant_subgraphs(
    assistant_id: str, request: Request, recurse: str | None = None
) -> Response:
    await _check(request, assistant_id)
    return json_response(
        await runtime_of(request).assistants.subgraphs(assistant_id, None, flag(recurse))
    )


@router.get("/assistants/{assistant_id}/subgraphs/{namespace}")
async def get_assistant_subgraphs_ns(
    assistant_id: str, namespace: str, request: Request, recurse: str | None = None
) -> Response:
    await _check(request, assistant_id)
    return json_response(
        await runtime_of(request).assistants.subgraphs(assistant_id, namespace, flag(recurse))
    )


@router.get("/assistants/{assistant_id}/schemas")
async def get_assistant_schemas(assistant_id: str, request: Request) -> Response:
    await _check(request, assistant_id)
    return json_response(await runtime_of(request).assistants.schemas(assistant_id))


@router.post("/assistants/{assistant_id}/versions")
async def get_assistant_versions(
    assistant_id: str, body: AssistantVersionsSearch, request: Request
) -> Response:
    await _check(request, assistant_id)
    return json_response(
        await runtime_of(request).assistants.versions(
            assistant_id, metadata=body.metadata, limit=body.limit, offset=body.offset
        )
    )


@router.post("/assistants/{assistant_id}/latest")
async def set_latest_assistant_version(
    assistant_id: str, body: AssistantVersionChange, request: Request
) -> Response:
    await _check(request, assistant_id, "update", version=body.version)
    return json_response(
        await runtime_of(request).assistants.set_latest(assistant_id, body.version)
    )
