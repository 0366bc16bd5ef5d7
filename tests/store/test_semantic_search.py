"""Semantic search (`store.index` in langgraph.json): `query` ranks items by meaning with a
score, over HTTP, through the official SDK, and inside a graph, on both backends."""

from __future__ import annotations

import logging
import math
import uuid
from typing import Any

import httpx
import psycopg
import pytest
from langgraph_sdk.client import LangGraphClient

from .conftest import INDEX, PROJECT, OpenApp

DOCS = {
    "fruit": "bananas are a yellow fruit",
    "snack": "I love apples and bananas",
    "car": "the car engine needs oil",
}


def _expected_score(query: str, text: str) -> float:
    """Cosine similarity of the test embedding, computed here independently."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("embed_for_test", PROJECT / "embed.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    a, b = module.embed_texts([query, text])
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    return dot / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)))


async def _put_docs(http: httpx.AsyncClient, namespace: list[str]) -> None:
    for key, text in DOCS.items():
        response = await http.put(
            "/store/items",
            json={"namespace": namespace, "key": key, "value": {"text": text, "kind": key}},
        )
        assert response.status_code == 204, response.text


async def _search(http: httpx.AsyncClient, **body: Any) -> list[dict[str, Any]]:
    response = await http.post("/store/items/search", json=body)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_query_ranks_items_by_meaning_and_returns_scores(open_app: OpenApp) -> None:
    namespace = ["docs", uuid.uuid4().hex]
    async with open_app(store={"index": INDEX}) as app:
        await _put_docs(app.http, namespace)

        items = await _search(app.http, namespace_prefix=namespace, query="yellow bananas")

        assert [i["key"] for i in items] == ["fruit", "snack", "car"]
        for item in items:
            expected = _expected_score("yellow bananas", DOCS[item["key"]])
            assert item["score"] == pytest.approx(expected, abs=1e-5)
        assert items[0]["score"] > items[1]["score"] > items[2]["score"]
        assert items[0]["value"] == {"text": DOCS["fruit"], "kind": "fruit"}


async def test_query_search_pages_filters_and_prefixes_by_rank(open_app: OpenApp) -> None:
    root = ["docs", uuid.uuid4().hex]
    async with open_app(store={"index": INDEX}) as app:
        await _put_docs(app.http, [*root, "a"])
        await app.http.put(
            "/store/items",
            json={"namespace": [*root, "b"], "key": "other", "value": {"text": "bananas"}},
        )

        ranked = await _search(app.http, namespace_prefix=root, query="yellow bananas")
        # "bananas" alone is nearer to "yellow bananas" than the longer text about them.
        assert [i["key"] for i in ranked] == ["other", "fruit", "snack", "car"]
        page = await _search(
            app.http, namespace_prefix=root, query="yellow bananas", limit=2, offset=1
        )
        assert [i["key"] for i in page] == ["fruit", "snack"]
        only_a = await _search(app.http, namespace_prefix=[*root, "a"], query="bananas")
        assert {i["key"] for i in only_a} == {"fruit", "snack", "car"}
        filtered = await _search(
            app.http, namespace_prefix=root, query="yellow bananas", filter={"kind": "snack"}
        )
        assert [i["key"] for i in filtered] == ["snack"]
        plain = await _search(app.http, namespace_prefix=root)
        assert {i["key"] for i in plain} == {"fruit", "snack", "car", "other"}
        assert all(i["score"] is None for i in plain)


async def test_index_false_and_field_lists_choose_what_is_embedded(open_app: OpenApp) -> None:
    namespace = ["docs", uuid.uuid4().hex]
    async with open_app(store={"index": INDEX}) as app:
        puts = [
            {"key": "hidden", "value": {"text": "yellow bananas"}, "index": False},
            {
                "key": "titled",
                "value": {"text": "oil", "title": "yellow bananas"},
                "index": ["title"],
            },
            {"key": "plain", "value": {"text": "yellow car"}},
        ]
        for put in puts:
            response = await app.http.put("/store/items", json={"namespace": namespace, **put})
            assert response.status_code == 204, response.text

        items = await _search(app.http, namespace_prefix=namespace, query="yellow bananas")

        assert [i["key"] for i in items] == ["titled", "plain"]
        assert items[0]["score"] == pytest.approx(1.0, abs=1e-5)


async def test_replacing_or_deleting_an_item_replaces_its_vectors(open_app: OpenApp) -> None:
    namespace = ["docs", uuid.uuid4().hex]
    async with open_app(store={"index": INDEX}) as app:
        await _put_docs(app.http, namespace)
        await app.http.put(
            "/store/items",
            json={"namespace": namespace, "key": "car", "value": {"text": "yellow bananas"}},
        )
        await app.http.request(
            "DELETE", "/store/items", json={"namespace": namespace, "key": "fruit"}
        )

        items = await _search(app.http, namespace_prefix=namespace, query="yellow bananas")

        assert [i["key"] for i in items] == ["car", "snack"]
        assert items[0]["score"] == pytest.approx(1.0, abs=1e-5)


async def test_official_sdk_search_items_with_query(open_app: OpenApp) -> None:
    namespace = ["docs", uuid.uuid4().hex]
    async with open_app(store={"index": INDEX}) as app:
        client = LangGraphClient(app.http)
        for key, text in DOCS.items():
            await client.store.put_item(namespace, key, {"text": text})

        found = await client.store.search_items(namespace, query="engine oil", limit=2)

        # The other two share no word with the query: both score 0, either comes second.
        assert len(found["items"]) == 2
        assert found["items"][0]["key"] == "car"
        assert found["items"][1]["score"] == pytest.approx(0.0, abs=1e-6)
        assert found["items"][0]["score"] == pytest.approx(
            _expected_score("engine oil", DOCS["car"]), abs=1e-5
        )


async def test_a_graph_searching_its_store_gets_the_same_ranking(open_app: OpenApp) -> None:
    namespace = ["docs", uuid.uuid4().hex]
    async with open_app(store={"index": INDEX}) as app:
        await _put_docs(app.http, namespace)
        over_http = await _search(app.http, namespace_prefix=namespace, query="apples")

        response = await app.http.post(
            "/runs/wait",
            json={"assistant_id": "memory", "input": {"namespace": namespace, "query": "apples"}},
        )

        assert response.status_code == 200, response.text
        found = response.json()["found"]
        assert [f["key"] for f in found] == [i["key"] for i in over_http]
        assert found[0]["key"] == "snack"
        for from_graph, from_http in zip(found, over_http, strict=True):
            assert from_graph["score"] == pytest.approx(from_http["score"], abs=1e-6)


async def test_without_an_index_query_is_ignored(open_app: OpenApp) -> None:
    namespace = ["docs", uuid.uuid4().hex]
    async with open_app() as app:
        await _put_docs(app.http, namespace)
        items = await _search(app.http, namespace_prefix=namespace, query="yellow bananas")
        assert {i["key"] for i in items} == set(DOCS)
        assert all(i["score"] is None for i in items)


async def test_the_search_method_is_named_in_the_log(
    open_app: OpenApp, backend_name: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="tether"):
        async with open_app(store={"index": INDEX}) as app:
            offers_pgvector = False
            if backend_name == "postgres":
                with psycopg.connect(app.settings.database_url) as conn:
                    found = conn.execute(
                        "SELECT 1 FROM pg_available_extensions WHERE name = 'vector'"
                    ).fetchone()
                offers_pgvector = found is not None
    [line] = [r.getMessage() for r in caplog.records if r.getMessage().startswith("store index")]
    if backend_name == "sqlite":
        # pysqlite3-binary comes with Tether on x86-64 Linux: sqlite-vec always loads here.
        assert line.startswith("store index: sqlite-vec v")
    elif offers_pgvector:
        assert line == "store index: pgvector (256 dims)"
    else:  # this project's machines: Debian packages no pgvector
        assert line.startswith("store index: exact (256 dims, ranked in Python)")


async def test_without_fields_the_whole_value_is_embedded(open_app: OpenApp) -> None:
    namespace = ["docs", uuid.uuid4().hex]
    async with open_app(store={"index": {"embed": INDEX["embed"], "dims": 256}}) as app:
        await _put_docs(app.http, namespace)

        items = await _search(app.http, namespace_prefix=namespace, query="fruit")

        # Each value {"text": ..., "kind": key} as JSON: "fruit" is in fruit's text and kind.
        assert len(items) == 3
        assert items[0]["key"] == "fruit"
        assert items[0]["score"] > items[1]["score"] >= items[2]["score"]


async def test_wrong_embedding_size_is_refused_with_422(open_app: OpenApp) -> None:
    namespace = ["docs", uuid.uuid4().hex]
    async with open_app(store={"index": {**INDEX, "dims": 8}}) as app:
        response = await app.http.put(
            "/store/items", json={"namespace": namespace, "key": "k", "value": {"text": "x"}}
        )
        assert response.status_code == 422
        assert "store.index.dims is 8" in response.json()["detail"]
        assert await _search(app.http, namespace_prefix=namespace) == []
