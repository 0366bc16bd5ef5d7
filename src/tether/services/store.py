"""The long-term memory store (`/store/*`): langgraph's `BaseStore` with the API's rules
for namespaces, and its items in the official JSON shape."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

from langgraph.store.base import NOT_PROVIDED, BaseStore, Item, NotProvided

from tether.errors import InvalidInput


def check_namespace(labels: Sequence[str], *, prefix: bool = False) -> tuple[str, ...]:
    """A namespace is a non-empty tuple of labels without periods or NUL characters
    (a prefix may be empty)."""
    if not labels and not prefix:
        raise InvalidInput("Namespace cannot be empty")
    for label in labels:
        if not isinstance(label, str) or not label or "." in label or "\x00" in label:
            raise InvalidInput(
                f"Namespace label {label!r} must be a non-empty string without periods or NUL characters"
            )
    return tuple(labels)


def check_key(key: str) -> str:
    if "\x00" in key:
        raise InvalidInput("Key must not contain NUL characters")
    return key


@contextlib.contextmanager
def _bad_input_is_422() -> Iterator[None]:
    """langgraph's store raises ValueError for input it refuses (filter keys, operators...)."""
    try:
        yield
    except ValueError as exc:
        raise InvalidInput(str(exc)) from exc


def item_to_api(item: Item, *, score: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "namespace": list(item.namespace),
        "key": item.key,
        "value": item.value,
        "created_at": item.created_at.isoformat(),
        "updated_at": item.updated_at.isoformat(),
    }
    if score:
        data["score"] = getattr(item, "score", None)
    return data


class StoreService:
    def __init__(self, store: BaseStore) -> None:
        self.store = store

    async def put(
        self,
        namespace: Sequence[str],
        key: str,
        value: dict[str, Any],
        *,
        index: Any,
        ttl: float | None | NotProvided = NOT_PROVIDED,
    ) -> None:
        """Store `value`; `ttl` minutes (not provided: the store's default TTL, None: never
        expires); `index` the fields to embed (None: the configured ones, False: none)."""
        with _bad_input_is_422():
            await self.store.aput(
                check_namespace(namespace), check_key(key), value, index=index, ttl=ttl
            )

    async def get(
        self, namespace: Sequence[str], key: str, *, refresh_ttl: bool | None
    ) -> dict[str, Any] | None:
        """The item or None; `refresh_ttl` None follows the store's `refresh_on_read`."""
        with _bad_input_is_422():
            item = await self.store.aget(
                check_namespace(namespace), check_key(key), refresh_ttl=refresh_ttl
            )
        return None if item is None else item_to_api(item)

    async def delete(self, namespace: Sequence[str], key: str) -> None:
        with _bad_input_is_422():
            await self.store.adelete(check_namespace(namespace), check_key(key))

    async def search(
        self,
        namespace_prefix: Sequence[str],
        *,
        query: str | None,
        filter: dict[str, Any] | None,
        limit: int,
        offset: int,
        refresh_ttl: bool | None,
    ) -> list[dict[str, Any]]:
        with _bad_input_is_422():
            items = await self.store.asearch(
                check_namespace(namespace_prefix, prefix=True),
                query=query,
                filter=filter,
                limit=limit,
                offset=offset,
                refresh_ttl=refresh_ttl,
            )
        return [item_to_api(i, score=True) for i in items]

    async def namespaces(
        self,
        *,
        prefix: Sequence[str] | None,
        suffix: Sequence[str] | None,
        max_depth: int | None,
        limit: int,
        offset: int,
    ) -> list[list[str]]:
        with _bad_input_is_422():
            found = await self.store.alist_namespaces(
                prefix=tuple(prefix) if prefix else None,
                suffix=tuple(suffix) if suffix else None,
                max_depth=max_depth,
                limit=limit,
                offset=offset,
            )
        return [list(ns) for ns in found]
