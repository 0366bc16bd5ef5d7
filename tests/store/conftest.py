"""In-process servers for the store tests: the app and its runtime on a project of the
test's own (a `langgraph.json` written for it), on SQLite or PostgreSQL."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import httpx
import orjson
import psycopg
import pytest

from tether.api.app import create_app
from tether.backends.sqlite.store import SqliteStore
from tether.graphs import read_project
from tether.runtime import Runtime
from tether.settings import Settings

PROJECT = Path(__file__).resolve().parent / "project"
EMBED = f"{PROJECT / 'embed.py'}:embed_texts"
GRAPHS = {"memory": f"{PROJECT / 'graphs.py'}:memory"}
INDEX = {"embed": EMBED, "dims": 256, "fields": ["text"]}


@dataclass
class App:
    http: httpx.AsyncClient
    runtime: Runtime
    settings: Settings

    async def expires_at(self, namespace: list[str], key: str) -> datetime | None:
        """An item's `expires_at` as its storage holds it (read directly)."""
        prefix = ".".join(namespace)
        if self.settings.database_url:
            with psycopg.connect(self.settings.database_url) as conn:
                row = conn.execute(
                    "SELECT expires_at FROM store WHERE prefix = %s AND key = %s", (prefix, key)
                ).fetchone()
            return None if row is None else row[0]
        # Through the store's own connection: with an index it may be another SQLite
        # library than Python's (pysqlite3), and two in one process must not share a file.
        store = cast(SqliteStore, self.runtime.store.store)
        async with store.conn.execute(
            "SELECT expires_at FROM store WHERE prefix = ? AND key = ?", (prefix, key)
        ) as cur:
            found = await cur.fetchone()
        if found is None or found[0] is None:
            return None
        # langgraph's SQLite store writes puts with an offset, refreshes without (both UTC).
        return datetime.fromisoformat(found[0]).replace(tzinfo=UTC)


OpenApp = Callable[..., contextlib.AbstractAsyncContextManager[App]]


@pytest.fixture
def open_app(tmp_path: Path, backend_name: str, request: pytest.FixtureRequest) -> OpenApp:
    """`async with open_app(store={...}, checkpointer={...}) as app:` a Tether app serving
    the test project with these `langgraph.json` sections."""
    settings = Settings(data_dir=tmp_path / "data", workers=2, poll_seconds=0.2)
    if backend_name == "postgres":
        database = request.getfixturevalue("postgres_database")
        settings = Settings(
            data_dir=tmp_path / "data",
            workers=2,
            poll_seconds=0.2,
            database_url=database.url,
            redis_url=database.redis_url,
            redis_prefix=database.redis_prefix,
            database_pool_size=4,
        )

    @contextlib.asynccontextmanager
    async def start(**sections: Any) -> AsyncIterator[App]:
        config = tmp_path / "langgraph.json"
        config.write_bytes(orjson.dumps({"graphs": GRAPHS, **sections}))
        app = create_app(settings, project=read_project(config))
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
                yield App(http, app.state.runtime, settings)

    return start
