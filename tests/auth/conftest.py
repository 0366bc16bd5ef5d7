"""An in-process Tether app serving `project/` (custom auth from its langgraph.json), with
clients for alice, bob and an anonymous caller; and one serving the sharing project
(`langgraph.shared.json`), with clients for ann, ben, cat and mallory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tether.api.app import create_app
from tether.settings import Settings

from .support import ALICE, BOB, PROJECT, SHARED, Clients


def settings_for(tmp_path: Path, backend_name: str, request: pytest.FixtureRequest) -> Settings:
    settings = Settings(config=PROJECT, data_dir=tmp_path / "data", heartbeat_seconds=1.0)
    if backend_name == "postgres":
        database = request.getfixturevalue("postgres_database")
        settings = settings.model_copy(
            update={
                "database_url": database.url,
                "redis_url": database.redis_url,
                "redis_prefix": database.redis_prefix,
                "database_pool_size": 4,
            }
        )
    return settings


@pytest.fixture
async def clients(
    tmp_path: Path, backend_name: str, request: pytest.FixtureRequest
) -> AsyncIterator[Clients]:
    app = create_app(settings_for(tmp_path, backend_name, request))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)

        def client(headers: dict[str, str]) -> httpx.AsyncClient:
            return httpx.AsyncClient(
                transport=transport, base_url="http://127.0.0.1", headers=headers, timeout=30
            )

        async with client(ALICE) as alice, client(BOB) as bob, client({}) as anonymous:
            yield Clients(app, alice, bob, anonymous)


@pytest.fixture
async def shared(
    tmp_path: Path, backend_name: str, request: pytest.FixtureRequest
) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    settings = settings_for(tmp_path, backend_name, request).model_copy(update={"config": SHARED})
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        users = {}
        for name in ("ann", "ben", "cat", "mallory"):
            users[name] = httpx.AsyncClient(
                transport=transport,
                base_url="http://127.0.0.1",
                headers={"Authorization": f"Bearer {name}"},
                timeout=30,
            )
        try:
            yield users
        finally:
            for client in users.values():
                await client.aclose()
