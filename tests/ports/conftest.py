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


@pytest.fixture(params=["sqlite"])
async def open_same(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[OpenBackend]:
    opened: list[Backend] = []
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
