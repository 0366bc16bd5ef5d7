"""`http` in langgraph.json: the project's own app beside Tether's routes, route groups
switched off, request headers into a run's config, a mount prefix. In process, on SQLite
(none of this touches storage)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from langgraph_sdk.client import LangGraphClient

from tether.api.app import build_app
from tether.graphs import GraphConfigError, read_config, read_project
from tether.http_options import HeaderFilter
from tether.settings import Settings

PROJECT = Path(__file__).resolve().parent / "project"
GRAPHS = {"headers": f"{PROJECT / 'graphs.py'}:headers"}
WEBAPP = f"{PROJECT / 'webapp.py'}:app"

Serve = Callable[..., contextlib.AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def serve(tmp_path: Path) -> Serve:
    """`async with serve({...http section...}) as http:` a client of the served app."""

    @contextlib.asynccontextmanager
    async def start(http: dict[str, Any], base: str = "") -> AsyncIterator[httpx.AsyncClient]:
        config = tmp_path / "langgraph.json"
        config.write_bytes(orjson.dumps({"graphs": GRAPHS, "http": http}))
        settings = Settings(data_dir=tmp_path / "data", workers=1, poll_seconds=0.2)
        app: Any = build_app(settings, workers=True, project=read_project(config))
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport, base_url=f"http://127.0.0.1{base}"
            ) as client:
                yield client

    return start


async def test_the_projects_app_is_served_and_its_routes_win(serve: Serve) -> None:
    async with serve({"app": WEBAPP}) as http:
        assert (await http.get("/hello")).json() == {"hello": "world"}
        assert (await http.get("/info")).json() == {"served_by": "the project"}
        assert (await http.get("/ok")).json()["ok"] is True
        created = await http.post("/threads", json={})
        assert created.status_code == 200
        assert (await http.get("/nothing")).status_code == 404


async def test_the_projects_app_lifespan_runs_with_the_server(serve: Serve) -> None:
    import sys

    async with serve({"app": WEBAPP}) as http:
        module = sys.modules["tether_http_app.webapp"]
        assert module.events == ["started"]
        assert (await http.get("/hello")).status_code == 200
    assert module.events == ["started", "stopped"]


@pytest.mark.parametrize(
    ("group", "gone", "kept"),
    [
        ("assistants", ("POST", "/assistants/search"), ("POST", "/threads/search")),
        ("threads", ("POST", "/threads/search"), ("POST", "/assistants/search")),
        ("runs", ("POST", "/runs/crons/search"), ("POST", "/threads/search")),
        ("store", ("POST", "/store/namespaces"), ("POST", "/threads/search")),
    ],
)
async def test_disabled_groups_answer_404(
    serve: Serve, group: str, gone: tuple[str, str], kept: tuple[str, str]
) -> None:
    async with serve({f"disable_{group}": True}) as http:
        assert (await http.request(gone[0], gone[1], json={})).status_code == 404
        assert (await http.request(kept[0], kept[1], json={})).status_code == 200


async def test_disable_ui_removes_the_web_ui(serve: Serve) -> None:
    async with serve({"disable_ui": True}) as http:
        for path in ("/ui", "/ui/threads/x", "/ui/assets/app.js", "/"):
            assert (await http.get(path)).status_code == 404, path
        assert (await http.post("/threads/search", json={})).status_code == 200
    async with serve({}) as http:
        assert (await http.get("/ui")).status_code == 200


async def test_disable_runs_removes_runs_on_threads_too(serve: Serve) -> None:
    async with serve({"disable_runs": True}) as http:
        thread = (await http.post("/threads", json={})).json()
        response = await http.post(
            f"/threads/{thread['thread_id']}/runs/wait", json={"assistant_id": "headers"}
        )
        assert response.status_code == 404


async def test_disable_meta_removes_docs_info_metrics_and_keeps_a_plain_ok(serve: Serve) -> None:
    async with serve({"disable_meta": True}) as http:
        for path in ("/docs", "/redoc", "/openapi.json", "/info", "/metrics"):
            assert (await http.get(path)).status_code == 404, path
        ok = await http.get("/ok", params={"check_db": 1})
        assert ok.status_code == 200 and ok.json() == {"ok": True}
    async with serve({}) as http:
        assert (await http.get("/openapi.json")).status_code == 200
        assert (await http.get("/info")).status_code == 200


async def test_configurable_headers_reach_the_runs_config(serve: Serve) -> None:
    options = {
        "configurable_headers": {
            "includes": ["x-user-*", "x-tenant-*", "x-secret", "x-api-key", "authorization"],
            "excludes": ["x-secret"],
        }
    }
    headers = {
        "x-user-id": "u-1",
        "x-tenant-name": "acme",
        "x-secret": "s",
        "x-api-key": "k",
        "authorization": "Bearer t",
        "accept": "application/json",
    }
    async with serve(options) as http:
        response = await http.post(
            "/runs/wait", json={"assistant_id": "headers", "input": {}}, headers=headers
        )
        assert response.json()["seen"] == {"x-user-id": "u-1", "x-tenant-name": "acme"}
        # The request's own configurable wins over a header of the same name.
        response = await http.post(
            "/runs/wait",
            json={
                "assistant_id": "headers",
                "input": {},
                "config": {"configurable": {"x-user-id": "from-body"}},
            },
            headers=headers,
        )
        assert response.json()["seen"] == {"x-user-id": "from-body", "x-tenant-name": "acme"}


async def test_without_configurable_headers_no_header_reaches_the_config(serve: Serve) -> None:
    async with serve({}) as http:
        response = await http.post(
            "/runs/wait",
            json={"assistant_id": "headers", "input": {}},
            headers={"x-user-id": "u-1"},
        )
        assert response.json()["seen"] == {}


async def test_mount_prefix_serves_everything_under_it(serve: Serve) -> None:
    async with serve({"mount_prefix": "/api", "app": WEBAPP}, base="/api") as http:
        client = LangGraphClient(http)
        thread = await client.threads.create()
        assert thread["thread_id"]
        result = await client.runs.wait(thread["thread_id"], "headers", input={})
        assert result == {"seen": {}}
        chunks = [
            c.event async for c in client.runs.stream(thread["thread_id"], "headers", input={})
        ]
        assert chunks[0] == "metadata"
        assert (await http.get("/hello")).json() == {"hello": "world"}
        assert (await http.get("/openapi.json")).status_code == 200
        assert (await http.get("http://127.0.0.1/threads/search")).status_code == 404


def test_header_patterns_match_whole_names_with_star_wildcards() -> None:
    headers = HeaderFilter.from_config({"include": ["x-a*", "exact"], "exclude": ["x-ab"]})
    assert headers.allows("x-a") and headers.allows("X-Abc") and headers.allows("exact")
    assert not headers.allows("x-ab") and not headers.allows("exactly")
    assert not headers.allows("y-x-a")
    assert not HeaderFilter.from_config({"includes": ["*"]}).allows("x-api-key")


@pytest.mark.parametrize(
    ("http", "message"),
    [
        ({"app": "./missing.py:app"}, "does not exist"),
        ({"app": f"{PROJECT / 'webapp.py'}:events"}, "must be a Starlette or FastAPI app"),
        ({"mount_prefix": "api"}, "must be a path"),
        ({"disable_store": "yes"}, "must be true or false"),
        ({"configurable_headers": {"includes": "x-*"}}, "list of header names"),
        ({"dsiable_store": True}, "unknown"),
        ({"cors": ["*"]}, "http.cors must be an object, got ['*']"),
        ({"cors": {"allow_origin": ["x"]}}, "http.cors has no setting 'allow_origin'"),
        ({"cors": {"allow_origins": "*"}}, "http.cors.allow_origins must be a list of non-empty"),
        ({"cors": {"max_age": True}}, "http.cors.max_age must be int, got True"),
        ({"cors": {"allow_credentials": "yes"}}, "allow_credentials must be bool, got 'yes'"),
    ],
)
def test_wrong_http_options_stop_the_start(
    tmp_path: Path, http: dict[str, Any], message: str
) -> None:
    config = tmp_path / "langgraph.json"
    config.write_bytes(orjson.dumps({"graphs": GRAPHS, "http": http}))
    with pytest.raises(GraphConfigError) as caught:
        read_project(config)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    "http",
    [
        {"mount_prefix": "api"},
        {"disable_store": "yes"},
        {"configurable_headers": {"includes": "x-*"}},
        {"cors": {"allow_origin": ["typo"]}},
        {"app": "no-colon"},
    ],
)
def test_checking_the_config_and_loading_the_project_give_one_message(
    tmp_path: Path, http: dict[str, Any]
) -> None:
    """One reader of the `http` section: `read_config` (which imports nothing, as `tether
    dev`'s watcher uses it) and `read_project` refuse a bad value with the same words."""
    config = tmp_path / "langgraph.json"
    config.write_bytes(orjson.dumps({"graphs": GRAPHS, "http": http}))
    with pytest.raises(GraphConfigError) as checked:
        read_config(config)
    with pytest.raises(GraphConfigError) as loaded:
        read_project(config)
    assert str(checked.value) == str(loaded.value)
    assert str(checked.value).startswith(f"{config}: ")


def test_checking_the_config_does_not_import_the_app(tmp_path: Path) -> None:
    config = tmp_path / "langgraph.json"
    config.write_bytes(orjson.dumps({"graphs": GRAPHS, "http": {"app": "./missing.py:app"}}))
    assert read_config(config).http.app is None  # not imported, so not missing yet
    with pytest.raises(GraphConfigError, match="does not exist"):
        read_project(config)
