"""The long-term store: put, get, search, list namespaces, delete."""

from __future__ import annotations

import uuid

import pytest
from langgraph_sdk.errors import UnprocessableEntityError

from .support import Client, assert_detail

ITEM_KEYS = {"namespace", "key", "value", "created_at", "updated_at"}


def _namespace() -> list[str]:
    """A namespace of this test's own (the server is shared)."""
    return ["conformance", uuid.uuid4().hex]


async def test_put_then_get_returns_the_item(client: Client) -> None:
    namespace = [*_namespace(), "prefs"]

    assert await client.store.put_item(namespace, "theme", {"color": "dark"}) is None
    item = await client.store.get_item(namespace, "theme")

    assert item.keys() >= ITEM_KEYS
    assert item["namespace"] == namespace
    assert item["key"] == "theme"
    assert item["value"] == {"color": "dark"}


async def test_put_again_replaces_the_value(client: Client) -> None:
    namespace = _namespace()
    await client.store.put_item(namespace, "k", {"v": 1})
    first = await client.store.get_item(namespace, "k")

    await client.store.put_item(namespace, "k", {"v": 2})
    second = await client.store.get_item(namespace, "k")

    assert second["value"] == {"v": 2}
    assert second["created_at"] == first["created_at"]
    assert second["updated_at"] >= first["updated_at"]


async def test_get_missing_item_is_none(client: Client) -> None:
    assert await client.store.get_item(_namespace(), "nothing") is None


async def test_delete_removes_the_item(client: Client) -> None:
    namespace = _namespace()
    await client.store.put_item(namespace, "k", {"v": 1})

    assert await client.store.delete_item(namespace, "k") is None

    assert await client.store.get_item(namespace, "k") is None


async def test_search_by_prefix_filter_and_page(client: Client) -> None:
    root = _namespace()
    await client.store.put_item([*root, "a"], "one", {"kind": "x", "n": 1})
    await client.store.put_item([*root, "a"], "two", {"kind": "y", "n": 2})
    await client.store.put_item([*root, "b"], "three", {"kind": "x", "n": 3})

    everything = await client.store.search_items(root)
    assert sorted(i["key"] for i in everything["items"]) == ["one", "three", "two"]
    assert all(i.keys() >= ITEM_KEYS | {"score"} for i in everything["items"])

    under_a = await client.store.search_items([*root, "a"])
    assert sorted(i["key"] for i in under_a["items"]) == ["one", "two"]

    kind_x = await client.store.search_items(root, filter={"kind": "x"})
    assert sorted(i["key"] for i in kind_x["items"]) == ["one", "three"]

    first_page = await client.store.search_items(root, limit=2)
    second_page = await client.store.search_items(root, limit=2, offset=2)
    assert len(first_page["items"]) == 2
    assert len(second_page["items"]) == 1
    assert {i["key"] for i in first_page["items"] + second_page["items"]} == {"one", "two", "three"}


async def test_search_with_a_query_and_no_index_still_answers(client: Client) -> None:
    root = _namespace()
    await client.store.put_item(root, "k", {"text": "hello"})

    found = await client.store.search_items(root, query="hello")

    assert [i["key"] for i in found["items"]] == ["k"]


async def test_list_namespaces_by_prefix_and_depth(client: Client) -> None:
    root = _namespace()
    await client.store.put_item([*root, "a", "deep"], "k", {"v": 1})
    await client.store.put_item([*root, "b"], "k", {"v": 1})

    listed = await client.store.list_namespaces(prefix=root)
    assert sorted(listed["namespaces"]) == [[*root, "a", "deep"], [*root, "b"]]

    shallow = await client.store.list_namespaces(prefix=root, max_depth=3)
    assert sorted(shallow["namespaces"]) == [[*root, "a"], [*root, "b"]]

    by_suffix = await client.store.list_namespaces(prefix=root, suffix=["deep"])
    assert by_suffix["namespaces"] == [[*root, "a", "deep"]]

    assert len((await client.store.list_namespaces(prefix=root, limit=1))["namespaces"]) == 1


async def test_deleted_items_leave_no_namespace(client: Client) -> None:
    root = _namespace()
    await client.store.put_item(root, "k", {"v": 1})
    await client.store.get_item([*root, "never"], "k")
    await client.store.delete_item(root, "k")

    assert (await client.store.list_namespaces(prefix=root))["namespaces"] == []


async def test_invalid_store_requests_are_422(client: Client) -> None:
    root = _namespace()
    requests = [
        ("put", "/store/items", {"namespace": root, "key": "k", "value": [1, 2]}),
        ("put", "/store/items", {"namespace": [*root, "a.b"], "key": "k", "value": {}}),
        ("put", "/store/items", {"namespace": root, "value": {}}),
        ("post", "/store/items/search", {"namespace_prefix": root, "limit": "all"}),
        ("post", "/store/namespaces", {"max_depth": "deep"}),
    ]
    for method, path, body in requests:
        with pytest.raises(UnprocessableEntityError) as exc:
            await getattr(client.http, method)(path, json=body)
        assert_detail(exc)
    assert (await client.store.search_items(root))["items"] == []
