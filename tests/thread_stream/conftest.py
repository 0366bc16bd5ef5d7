"""A Tether server for the thread-stream tests: the bundled examples plus a tool-calling
graph (`graphs.py` beside this file), once per backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ServerProcess, started_on_backend

CONFIG = Path(__file__).resolve().parent / "langgraph.json"


@pytest.fixture(scope="session")
def v3_server(
    tmp_path_factory: pytest.TempPathFactory, backend_name: str, request: pytest.FixtureRequest
) -> Iterator[ServerProcess]:
    server = ServerProcess(tmp_path_factory.mktemp("tether-v3"), config=CONFIG)
    # A loaded machine imports slowly.
    with started_on_backend(server, backend_name, request, timeout=90) as started:
        yield started


@pytest.fixture
def v3_url(v3_server: ServerProcess) -> str:
    return v3_server.url
