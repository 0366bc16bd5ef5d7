"""Fixtures of the differential suite: the official server beside Tether, once per session.

The official `langgraph dev` runs from `bench/.venv-official`, which the session builds from
PyPI when it is missing (about 30 s; reused afterwards).
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


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


@pytest.fixture(scope="session")
def official_url() -> Iterator[str]:
    """Base URL of the official `langgraph dev` serving the same example graphs."""
    server = _bench_official().OfficialServer()
    server.start(timeout=120)
    try:
        yield server.url
    finally:
        server.stop()


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
