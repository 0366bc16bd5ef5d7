"""Fixtures of the differential suite: the official server beside Tether, once per session.

The official `langgraph dev` runs from `bench/.venv-official`, which the session builds from
PyPI when it is missing (about 30 s; reused afterwards). A second pair of servers, the official
one and Tether on each backend, serves `store_project/` (a semantic store index and an `http`
section); only the store and http scenarios start them.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from conftest import ServerProcess, started_on_backend

ROOT = Path(__file__).resolve().parents[2]
#: The second project: `store.index` with a local embedding function, and `http` options.
STORE_PROJECT = Path(__file__).resolve().parent / "store_project"


def _bench_official() -> ModuleType:
    """`bench/official.py`, loaded by path (bench/ is not a package and has its own module names)."""
    name = "tether_bench_official"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "bench" / "official.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _official(**options: Any) -> Iterator[str]:
    """The base URL of an official `langgraph dev` (`bench/official.py`'s options), running
    until the generator is closed."""
    server = _bench_official().OfficialServer(**options)
    server.start(timeout=120)
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def official_url() -> Iterator[str]:
    """Base URL of the official `langgraph dev` serving the same example graphs."""
    yield from _official()


@pytest.fixture(scope="session")
def official_store_url() -> Iterator[str]:
    """Base URL of the official `langgraph dev` serving `store_project/`."""
    yield from _official(project=STORE_PROJECT)


@pytest.fixture(scope="session")
def tether_store_url(
    tmp_path_factory: pytest.TempPathFactory, backend_name: str, request: pytest.FixtureRequest
) -> Iterator[str]:
    """Base URL of Tether serving `store_project/`, on this session's backend."""
    server = ServerProcess(
        tmp_path_factory.mktemp("tether-store"), config=STORE_PROJECT / "langgraph.json"
    )
    with started_on_backend(server, backend_name, request, timeout=90) as started:
        yield started.url


#: Which allow-list entries matched something this session (for the terminal summary).
ALLOWANCES_USED: dict[int, int] = {}
ALLOWANCES: list[Any] = []


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    if not ALLOWANCES:
        return
    unused = [a for a in ALLOWANCES if ALLOWANCES_USED.get(id(a), 0) == 0]
    used = len(ALLOWANCES) - len(unused)
    terminalreporter.write_sep(
        "-", f"differential allow-list: {used} of {len(ALLOWANCES)} entries matched"
    )
    for entry in unused:
        terminalreporter.write_line(f"  unused ({entry.kind}): {entry.scenario} {entry.path}")
