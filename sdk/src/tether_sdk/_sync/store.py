# Generated from tether_sdk/_async/store.py by tests/sdk/unasync.py; do not edit.
# Edit the async module, then run: uv run python tests/sdk/unasync.py
"""Store: long-term documents shared across threads, grouped in namespaces."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal, cast

from tether_sdk._core import store as build
from tether_sdk._core.wire import without_none
from tether_sdk._schema import Item, ListNamespaceResponse, QueryParamTypes, SearchItemsResponse
from tether_sdk._sync.http import SyncHttpClient


class SyncStoreClient:
    """Put, get, search and delete items of the server's long-term store.

    A namespace is a sequence of labels, like a directory path; labels cannot contain ``.``.

    Example:
        ```python
        client = get_sync_client(url="http://localhost:2024")
        client.store.put_item(["users", "ada"], "prefs", {"theme": "dark"})
        item = client.store.get_item(["users", "ada"], "prefs")
        ```
    """

    def __init__(self, http: SyncHttpClient) -> None:
        self.http = http

    def put_item(
        self,
        namespace: Sequence[str],
        /,
        key: str,
        value: Mapping[str, Any],
        index: Literal[False] | list[str] | None = None,
        ttl: int | None = None,
        headers: Mapping[str, str] | None = None,
        params: QueryParamTypes | None = None,
    ) -> None:
        """Store ``value`` under ``namespace`` / ``key``, replacing any previous value.

        Args:
            namespace: The item's namespace.
            key: The item's key within the namespace.
            value: The document.
            index: ``False`` to skip semantic indexing, or the fields to index.
            ttl: Minutes until the item expires.

        Example:
            ```python
            client.store.put_item(["docs"], "intro", {"text": "hello"}, ttl=60)
            ```
        """
        self.http.put(
            "/store/items",
            json=build.put_body(namespace, key=key, value=value, index=index, ttl=ttl),
            headers=headers,
            params=params,
        )

    def get_item(
        self,
        namespace: Sequence[str],
        /,
        key: str,
        *,
        refresh_ttl: bool | None = None,
        headers: Mapping[str, str] | None = None,
        params: QueryParamTypes | None = None,
    ) -> Item:
        """Fetch one item. Raises ``NotFoundError`` if there is none.

        Args:
            refresh_ttl: Restart the item's time to live.

        Example:
            ```python
            item = client.store.get_item(["docs"], "intro")
            item["value"]
            # -> {'text': 'hello'}
            ```
        """
        return cast(
            Item,
            self.http.get(
                "/store/items",
                params=build.item_query(namespace, key, refresh_ttl, params),
                headers=headers,
            ),
        )

    def delete_item(
        self,
        namespace: Sequence[str],
        /,
        key: str,
        headers: Mapping[str, str] | None = None,
        params: QueryParamTypes | None = None,
    ) -> None:
        """Delete one item.

        Example:
            ```python
            client.store.delete_item(["docs"], "intro")
            ```
        """
        self.http.delete(
            "/store/items",
            json={"namespace": namespace, "key": key},
            headers=headers,
            params=params,
        )

    def search_items(
        self,
        namespace_prefix: Sequence[str],
        /,
        filter: Mapping[str, Any] | None = None,
        limit: int = 10,
        offset: int = 0,
        query: str | None = None,
        refresh_ttl: bool | None = None,
        headers: Mapping[str, str] | None = None,
        params: QueryParamTypes | None = None,
    ) -> SearchItemsResponse:
        """Find items under a namespace prefix, by value filter or semantic query.

        Args:
            namespace_prefix: Search this namespace and the ones below it.
            filter: Only items whose value contains these pairs.
            limit: Page size.
            offset: Items to skip.
            query: A natural-language query (needs a store index on the server).
            refresh_ttl: Restart the time to live of the items returned.

        Example:
            ```python
            found = client.store.search_items(["docs"], filter={"lang": "en"})
            [item["key"] for item in found["items"]]
            ```
        """
        body = without_none(
            {
                "namespace_prefix": namespace_prefix,
                "filter": filter,
                "limit": limit,
                "offset": offset,
                "query": query,
                "refresh_ttl": refresh_ttl,
            }
        )
        return cast(
            SearchItemsResponse,
            self.http.post("/store/items/search", json=body, headers=headers, params=params),
        )

    def list_namespaces(
        self,
        prefix: list[str] | None = None,
        suffix: list[str] | None = None,
        max_depth: int | None = None,
        limit: int = 100,
        offset: int = 0,
        headers: Mapping[str, str] | None = None,
        params: QueryParamTypes | None = None,
    ) -> ListNamespaceResponse:
        """List the namespaces that hold items.

        Args:
            prefix: Only namespaces starting with these labels.
            suffix: Only namespaces ending with these labels.
            max_depth: Truncate namespaces to this many labels (and deduplicate).

        Example:
            ```python
            result = client.store.list_namespaces(prefix=["users"], max_depth=2)
            result["namespaces"]
            # -> [['users', 'ada']]
            ```
        """
        body = without_none(
            {
                "prefix": prefix,
                "suffix": suffix,
                "max_depth": max_depth,
                "limit": limit,
                "offset": offset,
            }
        )
        return cast(
            ListNamespaceResponse,
            self.http.post("/store/namespaces", json=body, headers=headers, params=params),
        )
