"""A Tether server for the thread-stream tests: the bundled examples plus a tool-calling
graph (`graphs.py` beside this file), once per backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ServerProcess, _admin, _new_database

CONFIG = Path(__file__).resolve().parent / "langgraph.json"


@pytest.fixture(scope="session")
def v3_server(
    tmp_path_factory: pytest.TempPathFactory, backend_name: str, request: pytest.FixtureRequest
) -> Iterator[ServerProcess]:
    server = ServerProcess(tmp_path_factory.mktemp("tether-v3"), config=CONFIG)
    database = None
    if backend_name == "postgres":
        database = _new_database(request.getfixturevalue("postgres_template"))
        server.env.update(database.env)
    server.start(timeout=90)  # a loaded machine imports slowly
    yield server
    server.stop()
    if database is not None:
        _admin(f"DROP DATABASE IF EXISTS {database.name} WITH (FORCE)")


@pytest.fixture
def v3_url(v3_server: ServerProcess) -> str:
    return v3_server.url
