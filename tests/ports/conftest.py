"""The port conformance suite: every backend, in process, against the contracts written in
`tether.ports`. A backend that passes it can serve Tether."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from tether.backends import open_backend
from tether.ports import Backend
from tether.settings import Settings

#: Opens one more instance of the same backend (same storage), as a second process would.
OpenBackend = Callable[[], Awaitable[Backend]]


@pytest.fixture(params=["sqlite", "postgres"])
async def open_same(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[OpenBackend]:
    opened: list[Backend] = []
    if request.param == "postgres":
        database = request.getfixturevalue("postgres_database")
        settings = Settings(
            database_url=database.url,
            redis_url=database.redis_url,
            redis_prefix=database.redis_prefix,
            poll_seconds=0.5,
        )
    else:
        settings = Settings(data_dir=tmp_path / request.param)

    async def open_one() -> Backend:
        backend = await open_backend(settings)
        opened.append(backend)
        return backend

    yield open_one
    for backend in reversed(opened):
        await backend.close()


@pytest.fixture
async def backend(open_same: OpenBackend) -> Backend:
    return await open_same()
