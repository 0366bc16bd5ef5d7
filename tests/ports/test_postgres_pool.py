"""PostgreSQL's pool: a connection whose server process ended while it sat idle in the pool
is replaced on checkout, never handed out (a restart, a failover, `pg_terminate_backend`)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import psycopg
import pytest

from tether.backends import StorageUnavailable, open_backend
from tether.ids import uuid7
from tether.settings import Settings

from .support import thread as make_thread


def _wait_until_gone(admin: psycopg.Connection[Any]) -> None:
    """Until the killed connections' server processes have ended."""
    deadline = time.monotonic() + 10
    while admin.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        " AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
    ).fetchone() != (0,):
        assert time.monotonic() < deadline, "the killed connections never ended"
        time.sleep(0.01)


async def test_connections_killed_while_idle_are_replaced_not_used(postgres_database: Any) -> None:
    backend = await open_backend(
        postgres_database.settings(
            database_pool_size=4,
        )
    )
    try:
        # Fill the pool with idle connections.
        await asyncio.gather(*(backend.threads.get_thread(uuid7()) for _ in range(8)))
        with psycopg.connect(postgres_database.url, autocommit=True) as admin:
            killed = admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                " AND backend_type = 'client backend'"
            ).fetchall()
            assert killed
            _wait_until_gone(admin)
        for _ in range(3):
            results = await asyncio.gather(*(backend.threads.get_thread(uuid7()) for _ in range(8)))
            assert results == [None] * 8
    finally:
        await backend.close()


async def test_a_database_that_cannot_be_reached_is_a_clear_error() -> None:
    from conftest import POSTGRES_ADMIN_URL, REDIS_URL

    base, _, _ = POSTGRES_ADMIN_URL.rpartition("/")
    user, _, host = base.partition("://")[2].rpartition("@")
    url = f"postgresql://{user or 'postgres'}:s3cret@{host}/tether_no_such_db_{uuid7()[-8:]}"
    with pytest.raises(StorageUnavailable) as refused:
        await open_backend(Settings(database_url=url, redis_url=REDIS_URL, redis_prefix="none"))
    message = str(refused.value)  # the server's reason, not the pool's 30-s timeout
    assert "does not exist" in message and "tether_no_such_db_" in message
    assert "s3cret" not in message


async def test_a_schema_missing_a_migration_or_with_an_unknown_one_is_refused(
    postgres_database: Any,
) -> None:
    from tether.backends import SchemaOutOfDate
    from tether.backends.postgres.database import check_schema, latest_version, open_pool

    pool = await open_pool(postgres_database.url, max_size=2)
    try:
        await check_schema(pool)  # the template is migrated
        async with pool.connection() as conn:
            await conn.execute("DELETE FROM tether_migrations WHERE version = 2")
        # A gap below the highest applied migration (two branches' migrations merged).
        with pytest.raises(SchemaOutOfDate, match="but lacks 2, .*run `tether migrate`"):
            await check_schema(pool)
        async with pool.connection() as conn:
            await conn.execute("INSERT INTO tether_migrations (version) VALUES (2), (999)")
        with pytest.raises(SchemaOutOfDate, match="has migration 999, newer.*upgrade Tether"):
            await check_schema(pool)
        assert latest_version() < 999
    finally:
        await pool.close()


async def test_a_connection_whose_transaction_failed_goes_on_working(
    postgres_database: Any,
) -> None:
    """Every way a thread transaction can end leaves its connection (the only one here)
    fit for the statements it has run before and new ones."""
    backend = await open_backend(postgres_database.settings(database_pool_size=1))
    try:
        thread = make_thread()
        await backend.threads.create_thread(thread, if_exists="raise")
        failures = [
            (RuntimeError, {"metadata": {"changed": True}}, RuntimeError("changed my mind")),
            (RuntimeError, None, RuntimeError("only looked")),
            (psycopg.errors.UniqueViolation, "insert", None),  # refused at the commit
        ]
        for expected, write, raised in failures * 2:
            with pytest.raises(expected):
                async with backend.threads.transaction(thread.thread_id) as tx:
                    assert await tx.get_thread() is not None
                    if write == "insert":
                        await tx.insert_thread(thread)
                    elif write is not None:
                        await tx.update_thread(write)
                    if raised is not None:
                        raise raised
            # Statements outside a transaction, prepared anew and run again.
            for _ in range(2):
                stored = await backend.threads.get_thread(thread.thread_id)
                assert stored is not None and stored.metadata == thread.metadata
                assert await backend.threads.count_threads(metadata=None, values=None, status=None)
    finally:
        await backend.close()
