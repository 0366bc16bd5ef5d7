"""The long-term store on PostgreSQL: langgraph's `AsyncPostgresStore`, with semantic
search by pgvector where the server has the extension, and by exact search otherwise."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import cast

from langgraph.store.base import PutOp, Result, SearchItem, SearchOp
from langgraph.store.postgres.aio import AsyncPostgresStore
from langgraph.store.postgres.base import PostgresIndexConfig
from psycopg import AsyncCursor
from psycopg.rows import DictRow

from tether.backends.exact_search import (
    CREATE_VECTORS_TABLE,
    ExactIndex,
    group_vectors,
    namespace_text,
    split_searches,
)
from tether.backends.postgres.database import Pool
from tether.store_options import StoreOptions

log = logging.getLogger("tether")

#: A lock id of Tether's own (`pg_advisory_xact_lock`): processes starting together create
#: the vectors table once.
_VECTORS_LOCK = 0x7E7E_0002


class ExactPostgresStore(AsyncPostgresStore):
    """`AsyncPostgresStore` whose `query` searches rank exactly (see `exact_search`)."""

    def __init__(self, pool: Pool, options: StoreOptions) -> None:
        assert options.index is not None
        super().__init__(pool, ttl=options.ttl)
        self.exact = ExactIndex(options.index)

    async def _batch_put_ops(
        self, put_ops: Sequence[tuple[int, PutOp]], cur: AsyncCursor[DictRow]
    ) -> None:
        items, rows = await self.exact.embed_puts([op for _, op in put_ops])
        await super()._batch_put_ops(put_ops, cur)
        if items:
            await cur.executemany(
                "DELETE FROM tether_store_vectors WHERE prefix = %s AND key = %s", items
            )
        if rows:
            await cur.executemany(
                "INSERT INTO tether_store_vectors (prefix, key, field_name, embedding)"
                " VALUES (%s, %s, %s, %s)",
                rows,
            )

    async def _batch_search_ops(
        self,
        search_ops: Sequence[tuple[int, SearchOp]],
        results: list[Result],
        cur: AsyncCursor[DictRow],
    ) -> None:
        ranked, plain = split_searches(search_ops)
        if plain:
            await super()._batch_search_ops(plain, results, cur)
        for idx, op in ranked:
            query = await self.exact.embed_query(cast(str, op.query))
            found: list[Result] = [None]
            await super()._batch_search_ops([(0, self.exact.candidates(op))], found, cur)
            items = cast(list[SearchItem], found[0])
            await cur.execute(
                "SELECT prefix, key, embedding FROM tether_store_vectors"
                " WHERE (prefix, key) IN (SELECT * FROM unnest(%s::text[], %s::text[]))",
                ([namespace_text(i.namespace) for i in items], [i.key for i in items]),
            )
            rows = await cur.fetchall()
            vectors = group_vectors([(r["prefix"], r["key"], r["embedding"]) for r in rows])
            page = self.exact.rank(op, items, vectors, query)
            if op.refresh_ttl and page:
                await cur.executemany(
                    "UPDATE store SET expires_at = NOW() + (ttl_minutes || ' minutes')::interval"
                    " WHERE prefix = %s AND key = %s AND ttl_minutes IS NOT NULL",
                    [(namespace_text(i.namespace), i.key) for i in page],
                )
            results[idx] = page


async def has_pgvector(pool: Pool) -> bool:
    async with pool.connection() as conn:
        cur = await conn.execute(
            "SELECT 1 AS ok FROM pg_available_extensions WHERE name = 'vector'"
        )
        return await cur.fetchone() is not None


async def open_store(pool: Pool, options: StoreOptions) -> AsyncPostgresStore:
    """The store on `pool` (its tables made by `tether migrate`): pgvector search where the
    extension is available, exact search otherwise (the choice is logged); plain when the
    project configures no index. The vector table is created here, at start."""
    if options.index is None:
        return AsyncPostgresStore(pool, ttl=options.ttl)
    dims = options.index["dims"]
    if await has_pgvector(pool):
        index = cast(PostgresIndexConfig, options.index)
        store = AsyncPostgresStore(pool, index=index, ttl=options.ttl)
        await store.setup()  # creates the extension and langgraph's store_vectors
        log.info("store: semantic search with pgvector (%d dims)", dims)
        return store
    async with pool.connection() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (_VECTORS_LOCK,))
        await conn.execute(CREATE_VECTORS_TABLE.format(blob="bytea"))
    log.info(
        "store: semantic search by exact ranking (%d dims): PostgreSQL has no pgvector"
        " extension (pg_available_extensions)",
        dims,
    )
    return ExactPostgresStore(pool, options)
