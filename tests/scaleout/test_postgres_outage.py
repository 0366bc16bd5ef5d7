"""PostgreSQL away: a caller waiting for a connection learns within seconds that the
server cannot be reached (and why), not after the pool's 30 s; a pool that is only busy
keeps its callers waiting for a connection as before."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import pytest

from tether.backends.postgres import database
from tether.backends.postgres.database import open_pool
from tether.errors import StorageFailed

from .conftest import PostgresServer


async def test_a_caller_learns_at_once_that_postgres_cannot_be_reached(
    postgres_server: PostgresServer,
) -> None:
    pool = await open_pool(postgres_server.url(), min_size=1, max_size=2)
    try:
        async with pool.connection() as conn:
            await conn.execute("SELECT 1")
        postgres_server.stop()
        with pytest.raises(StorageFailed) as failed:
            # Well before the pool's own 30 s: the server was looked at after 2 s.
            async with asyncio.timeout(15), pool.connection() as conn:
                await conn.execute("SELECT 1")
        assert "cannot reach PostgreSQL at 127.0.0.1" in str(failed.value)
        assert "refused" in str(failed.value)  # the server's (here, the system's) reason

        postgres_server.start()  # back: the pool serves again
        async with pool.connection(timeout=30) as conn:
            assert await (await conn.execute("SELECT 1 AS one")).fetchone() == {"one": 1}
    finally:
        await pool.close()


async def test_a_busy_pool_keeps_its_callers_waiting_while_postgres_is_up(
    postgres_database: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(database, "PROBE_AFTER", 0.05)
    looked = asyncio.Event()
    look = database.reachable

    async def noted(conninfo: str, timeout: float) -> StorageFailed | None:
        found = await look(conninfo, timeout)
        looked.set()
        return found

    monkeypatch.setattr(database, "reachable", noted)
    pool = await open_pool(postgres_database.url, min_size=1, max_size=1)
    try:
        held = await pool.getconn()
        waiting = asyncio.create_task(_select_one(pool))
        await asyncio.wait_for(looked.wait(), 10)  # the server was found up ...
        assert not waiting.done()  # ... so the caller still waits
        await pool.putconn(held)
        assert await asyncio.wait_for(waiting, 10) == 1
        # Still busy when its time is up: the error names the whole wait.
        held = await pool.getconn()
        with pytest.raises(StorageFailed, match="no connection in time.* after 0.50 sec"):
            async with pool.connection(timeout=0.5):
                pass
        await pool.putconn(held)
    finally:
        with contextlib.suppress(Exception):
            await pool.close()


async def _select_one(pool: database.Pool) -> int:
    async with pool.connection(timeout=30) as conn:
        row = await (await conn.execute("SELECT 1 AS one")).fetchone()
        return int(row["one"]) if row else 0
