"""Routes: /store (langgraph's long-term memory store)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from langgraph.store.base import NOT_PROVIDED
from starlette.responses import Response

from tether.api.auth import caller_of
from tether.api.responses import flag, json_response, no_content, runtime_of
from tether.api.schemas import StoreDelete, StoreListNamespaces, StorePut, StoreSearch
from tether.services.store import StoreService

router = APIRouter(tags=["Store"])


def _store(request: Request) -> StoreService:
    service: StoreService = runtime_of(request).store
    return service


@router.put("/store/items", status_code=204)
async def put_item(body: StorePut, request: Request) -> Response:
    value, _ = await _authorize(
        request,
        "put",
        {
            "namespace": tuple(body.namespace),
            "key": body.key,
            "value": body.value,
            "index": body.index,
            "ttl": body.ttl,
        },
    )
    await _store(request).put(
        value["namespace"],
        value["key"],
        value["value"],
        index=value["index"],
        # Absent: the project's `store.ttl.default_ttl`; null: never expires.
        ttl=value["ttl"] if "ttl" in body.model_fields_set else NOT_PROVIDED,
    )
    return no_content()


@router.get("/store/items")
async def get_item(
    request: Request, key: str, namespace: str = "", refresh_ttl: str | None = None
) -> Response:
    labels = namespace.split(".") if namespace else []
    # Absent: the project's `store.ttl.refresh_on_read` (default true).
    refresh = None if refresh_ttl in (None, "") else flag(refresh_ttl)
    value, _ = await _authorize(
        request, "get", {"namespace": tuple(labels), "key": key, "refresh_ttl": refresh}
    )
    item = await _store(request).get(
        value["namespace"], value["key"], refresh_ttl=value["refresh_ttl"]
    )
    return json_response(item)


@router.delete("/store/items", status_code=204)
async def delete_item(body: StoreDelete, request: Request) -> Response:
    value, _ = await _authorize(
        request, "delete", {"namespace": tuple(body.namespace), "key": body.key}
    )
    await _store(request).delete(value["namespace"], value["key"])
    return no_content()


@router.post("/store/items/search")
async def search_items(body: StoreSearch, request: Request) -> Response:
    value, filters = await _authorize(
        request,
        "search",
        {
            "namespace": tuple(body.namespace_prefix),
            "filter": body.filter,
            "limit": body.limit,
            "offset": body.offset,
            "query": body.query,
            "refresh_ttl": body.refresh_ttl,
        },
    )
    store = _store(request)

    def fetch(filter: dict[str, Any] | None, limit: int, offset: int) -> Any:
        return store.search(
            value["namespace"],
            query=value["query"],
            filter=filter,
            limit=limit,
            offset=offset,
            refresh_ttl=value["refresh_ttl"],
        )

    items = await runtime_of(request).auth.filtered(
        filters,
        fetch,
        _item_value,
        client=value["filter"],
        limit=value["limit"],
        offset=value["offset"],
    )
    return json_response({"items": items})


@router.post("/store/namespaces")
async def list_namespaces(body: StoreListNamespaces, request: Request) -> Response:
    value, _ = await _authorize(
        request,
        "list_namespaces",
        {
            "namespace": tuple(body.prefix) if body.prefix else None,
            "suffix": tuple(body.suffix) if body.suffix else None,
            "max_depth": body.max_depth,
            "limit": body.limit,
            "offset": body.offset,
        },
    )
    namespaces = await _store(request).namespaces(
        prefix=value["namespace"],
        suffix=value["suffix"],
        max_depth=value["max_depth"],
        limit=value["limit"],
        offset=value["offset"],
    )
    return json_response({"namespaces": namespaces})


def _item_value(item: dict[str, Any]) -> Any:
    return item.get("value")


async def _authorize(request: Request, action: str, value: dict[str, Any]) -> Any:
    """The store handler may refuse, rewrite the value (e.g. the namespace) or, for search,
    return a filter on item values."""
    return await runtime_of(request).auth.check_store(caller_of(request), action, value)
