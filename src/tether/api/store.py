"""Routes: /store (langgraph's long-term memory store)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from tether.api.responses import flag, json_response, no_content, runtime_of
from tether.api.schemas import StoreDelete, StoreListNamespaces, StorePut, StoreSearch
from tether.errors import InvalidInput

router = APIRouter(tags=["Store"])


def _namespace(labels: list[str], *, prefix: bool = False) -> tuple[str, ...]:
    if not labels and not prefix:
        raise InvalidInput("Namespace cannot be empty")
    for label in labels:
        if not isinstance(label, str) or not label or "." in label or "\x00" in label:
            raise InvalidInput(
                f"Namespace label {label!r} must be a non-empty string without periods or NUL characters"
            )
    return tuple(labels)


@contextlib.contextmanager
def _bad_input_is_422() -> Iterator[None]:
    """langgraph's store raises ValueError for input it refuses (filter keys, operators...)."""
    try:
        yield
    except ValueError as exc:
        raise InvalidInput(str(exc)) from exc


def _item(item: Any, *, score: bool = False) -> dict[str, Any]:
    data = {
        "namespace": list(item.namespace),
        "key": item.key,
        "value": item.value,
        "created_at": item.created_at.isoformat(),
        "updated_at": item.updated_at.isoformat(),
    }
    if score:
        data["score"] = getattr(item, "score", None)
    return data


@router.put("/store/items", status_code=204)
async def put_item(body: StorePut, request: Request) -> Response:
    store = runtime_of(request).backend.store
    with _bad_input_is_422():
        await store.aput(
            _namespace(body.namespace), body.key, body.value, index=body.index, ttl=body.ttl
        )
    return no_content()


@router.get("/store/items")
async def get_item(
    request: Request, key: str, namespace: str = "", refresh_ttl: str | None = None
) -> Response:
    labels = [label for label in namespace.split(".")] if namespace else []
    store = runtime_of(request).backend.store
    with _bad_input_is_422():
        item = await store.aget(
            _namespace(labels), key, refresh_ttl=flag(refresh_ttl, default=True)
        )
    return json_response(None if item is None else _item(item))


@router.delete("/store/items", status_code=204)
async def delete_item(body: StoreDelete, request: Request) -> Response:
    with _bad_input_is_422():
        await runtime_of(request).backend.store.adelete(_namespace(body.namespace), body.key)
    return no_content()


@router.post("/store/items/search")
async def search_items(body: StoreSearch, request: Request) -> Response:
    store = runtime_of(request).backend.store
    with _bad_input_is_422():
        items = await store.asearch(
            _namespace(body.namespace_prefix, prefix=True),
            query=body.query,
            filter=body.filter,
            limit=body.limit,
            offset=body.offset,
            refresh_ttl=body.refresh_ttl,
        )
    return json_response({"items": [_item(i, score=True) for i in items]})


@router.post("/store/namespaces")
async def list_namespaces(body: StoreListNamespaces, request: Request) -> Response:
    store = runtime_of(request).backend.store
    with _bad_input_is_422():
        namespaces = await store.alist_namespaces(
            prefix=tuple(body.prefix) if body.prefix else None,
            suffix=tuple(body.suffix) if body.suffix else None,
            max_depth=body.max_depth,
            limit=body.limit,
            offset=body.offset,
        )
    return json_response({"namespaces": [list(ns) for ns in namespaces]})
