"""The scale-out backend: PostgreSQL for everything durable, Redis for notices.

- Tether's tables (migrations in `migrations/`, applied by `tether migrate`)
- langgraph-checkpoint-postgres's checkpointer and store, on the same pool
- `RedisBus`: news of committed events, wake-ups, cancels, cron changes

Any number of processes share one database: every rule that needs atomicity runs in
one transaction (`ThreadTransaction` under a per-thread advisory lock; claims with
`FOR UPDATE SKIP LOCKED`), and times come from the database's clock.
"""

from __future__ import annotations

import contextlib

from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from langgraph.store.postgres.aio import AsyncPostgresStore

from tether.backends import SchemaOutOfDate
from tether.backends.postgres.assistants import PostgresAssistantStore
from tether.backends.postgres.checkpointer import PostgresCheckpointer
from tether.backends.postgres.checkpoints import PostgresCheckpoints
from tether.backends.postgres.crons import PostgresCronStore
from tether.backends.postgres.database import Pool, check_schema, migrate, open_pool
from tether.backends.postgres.events import PostgresEventLog
from tether.backends.postgres.runs import PostgresRunStore
from tether.backends.postgres.store import open_store
from tether.backends.postgres.threads import PostgresThreadStore
from tether.backends.postgres.webhooks import PostgresWebhookOutbox
from tether.backends.redis.bus import RedisBus
from tether.backends.redis.keys import Keys
from tether.errors import StorageFailed
from tether.ports import Backend
from tether.settings import Settings
from tether.store_options import StoreOptions


async def migrate_all(pool: Pool) -> list[int]:
    """langgraph's checkpointer and store tables, then Tether's migrations (some refer to
    langgraph's `store`); return the numbers of Tether's migrations applied."""
    await AsyncPostgresSaver(pool).setup()
    await AsyncPostgresStore(pool).setup()
    return await migrate(pool)


async def _check_langgraph_tables(pool: Pool) -> None:
    async with pool.connection() as conn:
        cur = await conn.execute(
            "SELECT to_regclass('checkpoints') IS NOT NULL AND to_regclass('store') IS NOT NULL"
            " AS ok"
        )
        row = await cur.fetchone()
    if not row or not row["ok"]:
        raise SchemaOutOfDate(
            "langgraph's checkpoint and store tables are missing: run `tether migrate`"
            " (or start with --migrate)"
        )


async def open_postgres_backend(settings: Settings, store_options: StoreOptions) -> Backend:
    stack = contextlib.AsyncExitStack()
    try:
        pool = await open_pool(settings.database_url, max_size=settings.database_pool_size)
        stack.push_async_callback(pool.close)
        if settings.migrate:
            await migrate_all(pool)
        else:
            await check_schema(pool)
            await _check_langgraph_tables(pool)
        bus = RedisBus(settings.redis_url, Keys(settings.redis_prefix))
        await bus.start()
        stack.push_async_callback(bus.close)
        checkpointer = PostgresCheckpointer(pool)
        store = await open_store(pool, store_options)
    except BaseException:
        await stack.aclose()
        raise

    async def health() -> None:
        async with pool.connection() as conn:
            row = await (await conn.execute("SHOW transaction_read_only")).fetchone()
        if row is not None and row["transaction_read_only"] == "on":
            raise StorageFailed(
                "the PostgreSQL database is read-only (a standby, or"
                " default_transaction_read_only is on): writes are refused"
            )

    events = PostgresEventLog(
        pool, bus, settings.poll_seconds, flush_each_append=settings.flush_each_event_batch
    )
    return Backend(
        assistants=PostgresAssistantStore(pool),
        threads=PostgresThreadStore(pool, events),
        runs=PostgresRunStore(pool, settings.database_url),
        crons=PostgresCronStore(pool),
        events=events,
        signals=bus,
        checkpoints=PostgresCheckpoints(checkpointer, pool),
        webhooks=PostgresWebhookOutbox(pool),
        checkpointer=checkpointer,
        store=store,
        close=stack.aclose,
        single_process=False,
        health=health,
    )
