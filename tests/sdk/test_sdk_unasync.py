"""The sync client is the generated twin of the async one, so the two cannot drift apart."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location(
    "tether_unasync", Path(__file__).with_name("unasync.py")
)
assert _spec is not None and _spec.loader is not None
unasync = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(unasync)


@pytest.mark.parametrize("module", unasync.MODULES)
def test_sync_module_is_generated_from_the_async_module(module: str) -> None:
    generated = unasync.generate(module)
    on_disk = (unasync.SYNC_DIR / f"{module}.py").read_text()
    assert on_disk == generated, (
        f"tether_sdk/_sync/{module}.py is out of date: run `uv run python tests/sdk/unasync.py`"
    )


def test_every_async_module_has_a_generated_twin() -> None:
    async_modules = {p.stem for p in unasync.ASYNC_DIR.glob("*.py")} - {"__init__"}
    sync_modules = {p.stem for p in unasync.SYNC_DIR.glob("*.py")} - {"__init__"}
    assert async_modules == sync_modules == set(unasync.MODULES)


def test_rewrite_rules() -> None:
    source = (
        "import asyncio\n"
        "from tether_sdk._async.http import HttpClient\n"
        "async def f(c: httpx.AsyncClient) -> AsyncIterator[int]:\n"
        "    async with c.stream() as r:\n"
        "        async for b in r.aiter_bytes():\n"
        "            await asyncio.sleep(1)\n"
        "    await r.aread(); await c.aclose()\n"
    )
    assert unasync.unasync_source(source) == (
        "import time\n"
        "from tether_sdk._sync.http import SyncHttpClient\n"
        "def f(c: httpx.Client) -> Iterator[int]:\n"
        "    with c.stream() as r:\n"
        "        for b in r.iter_bytes():\n"
        "            time.sleep(1)\n"
        "    r.read(); c.close()\n"
    )
