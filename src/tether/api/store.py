"""Routes: /store (langgraph's long-term memory store)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from langgraph.store.base import NOT_PROVIDED
from starlette.responses import Response

from tether.api.responses import flag, json_response, no_content, runtime_of
from tether.api.schemas import StoreDelete, StoreListNamespaces, StorePut, StoreSearch
from tether.services.store import StoreService

router = APIRouter(tags=["Store"])


def _store(request: Request) -> StoreService:
    service: StoreService = runtime_of(request).store
    return service


@router.put("/store/items", status_code=204)
async def put_item(body: StorePut, request: Request) -> Response:
    await _store(request).put(
        body.namespace,
        body.key,
        body.value,
        index=body.index,
        # Absent: the project's `store.ttl.default_ttl`; null: never expires.
        ttl=body.ttl if "ttl" in body.model_fields_set else NOT_PROVIDED,
    )
    return no_content()


@router.get("/store/items")
async def get_item(
    request: Request, key: str, namespace: str = "", refresh_ttl: str | None = None
) -> Response:
    labels = namespace.split(".") if namespace else []
    # Absent: the project's `store.ttl.refresh_on_read` (default true).
    refresh = None if refresh_ttl in (None, "") else flag(refresh_ttl)
    item = await _store(request).get(labels, key, refresh_ttl=refresh)
    return json_response(item)


@router.delete("/store/items", status_code=204)
async def delete_item(body: StoreDelete, request: Request) -> Response:
    await _store(request).delete(body.namespace, body.key)
    return no_content()


@router.post("/store/items/search")
async def search_items(body: StoreSearch, request: Request) -> Response:
    items = await _store(request).search(
        body.namespace_prefix,
        query=body.query,
        filter=body.filter,
        limit=body.limit,
        offset=body.offset,
        refresh_ttl=body.refresh_ttl,
    )
    return json_response({"items": items})


@router.post("/store/namespaces")
async def list_namespaces(body: StoreListNamespaces, request: Request) -> Response:
    namespaces = await _store(request).namespaces(
        prefix=body.prefix,
        suffix=body.suffix,
        max_depth=body.max_depth,
        limit=body.limit,
        offset=body.offset,
    )
    return json_response({"namespaces": namespaces})
