"""Custom auth over HTTP: filters that need paging, the security schemes in /openapi.json,
the Studio header, and the official `langgraph-sdk` and `tether_sdk` clients sending
credentials to a real server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import PostgresDatabase, ServerProcess
from langgraph_sdk import get_client
from tether_sdk import get_client as get_tether_client

from .support import PROJECT, Clients


async def test_or_and_contains_filters_page_and_count_correctly(
    shared: dict[str, httpx.AsyncClient],
) -> None:
    ann, ben, cat = shared["ann"], shared["ben"], shared["cat"]
    shared_ids = []
    for i in range(12):
        with_ben = {"shared_with": ["ben"]} if i % 3 == 0 else {}
        created = await ann.post("/threads", json={"metadata": {"i": i, **with_ben}})
        if i % 3 == 0:
            shared_ids.append(created.json()["thread_id"])
    await ben.post("/threads", json={"metadata": {"i": 100}})
    await cat.post("/threads", json={"metadata": {"i": 200}})

    assert (await ann.post("/threads/count", json={})).json() == 12
    assert (await ben.post("/threads/count", json={})).json() == 5
    assert (await cat.post("/threads/count", json={})).json() == 1
    # The client's own filter AND the auth filter.
    assert (await ben.post("/threads/count", json={"metadata": {"i": 3}})).json() == 1

    pages = []
    for offset in (0, 2, 4):
        page = await ben.post(
            "/threads/search", json={"limit": 2, "offset": offset, "sort_order": "asc"}
        )
        pages.append([t["metadata"]["i"] for t in page.json()])
    assert pages == [[0, 3], [6, 9], [100]]
    for thread_id in shared_ids:
        assert (await ben.get(f"/threads/{thread_id}")).status_code == 200
        assert (await cat.get(f"/threads/{thread_id}")).status_code == 404


async def test_a_store_search_filter_applies_to_item_values(
    shared: dict[str, httpx.AsyncClient],
) -> None:
    ann, ben = shared["ann"], shared["ben"]
    for key, readers in (("a", ["ann"]), ("b", ["ann", "ben"]), ("c", ["ben"])):
        item = {"namespace": ["docs"], "key": key, "value": {"readers": readers}}
        assert (await ann.put("/store/items", json=item)).status_code == 204

    async def keys(client: httpx.AsyncClient, **body: object) -> list[str]:
        found = await client.post(
            "/store/items/search", json={"namespace_prefix": ["docs"], **body}
        )
        return sorted(item["key"] for item in found.json()["items"])

    assert await keys(ann) == ["a", "b"]
    assert await keys(ben) == ["b", "c"]
    assert await keys(ben, filter={"readers": ["ann", "ben"]}) == ["b"]
    pages = [await keys(ben, limit=1, offset=offset) for offset in (0, 1, 2)]
    assert sorted(sum(pages, [])) == ["b", "c"] and pages[2] == []


async def test_openapi_shows_the_security_schemes_of_langgraph_json(clients: Clients) -> None:
    spec = (await clients.anonymous.get("/openapi.json")).json()
    assert spec["components"]["securitySchemes"] == {
        "BearerAuth": {"type": "http", "scheme": "bearer"}
    }
    assert spec["security"] == [{"BearerAuth": []}]
    assert spec["paths"]["/threads"]["post"]["security"] == [{"BearerAuth": ["write"]}]
    assert "security" not in spec["paths"]["/threads/search"]["post"]


async def test_the_studio_header_does_not_skip_authentication(clients: Clients) -> None:
    studio = {"x-auth-scheme": "langsmith"}
    assert (
        await clients.anonymous.post("/threads/search", headers=studio, json={})
    ).status_code == 401


async def test_cors_preflight_needs_no_credentials(clients: Clients) -> None:
    origin = "http://localhost:5173"  # a page the default CORS policy allows
    preflight = await clients.anonymous.options(
        "/threads", headers={"Origin": origin, "Access-Control-Request-Method": "POST"}
    )
    assert preflight.status_code == 200
    refused = await clients.anonymous.post("/threads", headers={"Origin": origin}, json={})
    assert refused.status_code == 401
    assert refused.headers["access-control-allow-origin"] == origin


@pytest.fixture
def auth_server(tmp_path: Path, backend_name: str, request: pytest.FixtureRequest) -> Iterator[str]:
    server = ServerProcess(tmp_path / "data", config=PROJECT)
    if backend_name == "postgres":
        server.env.update(request.getfixturevalue("postgres_database").env)
    server.start()
    yield server.url
    server.stop()


async def test_official_sdk_sends_api_key_and_headers(auth_server: str) -> None:
    alice = get_client(url=auth_server, api_key="token-alice")
    bob = get_client(url=auth_server, api_key=None, headers={"Authorization": "Bearer token-bob"})
    nobody = get_client(url=auth_server, api_key=None)
    try:
        thread = await alice.threads.create()
        assert thread["metadata"]["owner"] == "alice"
        result = await alice.runs.wait(thread["thread_id"], "whoami", input={})
        assert result["seen"]["identity"] == "alice"  # type: ignore[index]
        chunks = [
            chunk async for chunk in bob.runs.stream(None, "whoami", input={}, stream_mode="values")
        ]
        assert chunks[-1].data["seen"]["identity"] == "bob"
        with pytest.raises(httpx.HTTPStatusError) as hidden:
            await bob.threads.get(thread["thread_id"])
        assert hidden.value.response.status_code == 404
        with pytest.raises(httpx.HTTPStatusError) as refused:
            await nobody.threads.search()
        assert refused.value.response.status_code == 401
    finally:
        for client in (alice, bob, nobody):
            await client.aclose()


async def test_tether_sdk_sends_api_key_and_headers(auth_server: str) -> None:
    alice = get_tether_client(url=auth_server, api_key="token-alice")
    bob = get_tether_client(
        url=auth_server, api_key=None, headers={"Authorization": "Bearer token-bob"}
    )
    try:
        thread = await alice.threads.create()
        assert thread["metadata"]["owner"] == "alice"
        assert [t["thread_id"] for t in await bob.threads.search()] == []
        result = await bob.runs.wait(None, "whoami", input={})
        assert result["seen"]["identity"] == "bob"  # type: ignore[index]
    finally:
        await alice.aclose()
        await bob.aclose()


async def test_a_handler_refusal_keeps_its_status_detail_and_headers(
    shared: dict[str, httpx.AsyncClient],
) -> None:
    refused = await shared["ann"].post("/runs/crons/search", json={})
    assert (refused.status_code, refused.json()) == (403, {"detail": "Crons are off"})
    assert refused.headers["x-reason"] == "policy"
    forbidden = await shared["ann"].post("/assistants", json={"graph_id": "whoami"})
    assert (forbidden.status_code, forbidden.json()) == (403, {"detail": "Forbidden"})


async def test_a_worker_in_another_process_runs_the_graph_as_the_caller(
    tmp_path: Path, postgres_database: PostgresDatabase
) -> None:
    """The user travels with the run through the database to a `tether worker` process."""
    api = ServerProcess(tmp_path / "api", config=PROJECT, command="serve", args=["--workers", "0"])
    worker = ServerProcess(tmp_path / "worker", config=PROJECT, command="worker")
    for process in (api, worker):
        process.env.update(postgres_database.env)
    api.start()
    worker.start()
    bob = get_client(url=api.url, api_key="token-bob")
    try:
        thread = await bob.threads.create()
        result = await bob.runs.wait(thread["thread_id"], "whoami", input={})
        assert result["seen"]["identity"] == "bob"  # type: ignore[index]
        assert result["seen"]["org"] == "globex"  # type: ignore[index]
    finally:
        await bob.aclose()
        worker.stop()
        api.stop()
