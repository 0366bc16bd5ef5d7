"""The long-term store on PostgreSQL: langgraph's `AsyncPostgresStore`, with semantic
search by pgvector where the server has the extension, and by exact search (Tether's table
`tether_store_vectors`, see `exact_search`) otherwise."""

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
    ExactIndex,
    group_vectors,
    namespace_text,
    split_searches,
)
from tether.backends.postgres.database import Pool
from tether.store_options import StoreOptions

log = logging.getLogger("tether")


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
    """Whether the server offers the `vector` extension (installed or installable)."""
    async with pool.connection() as conn:
        cur = await conn.execute(
            "SELECT 1 AS ok FROM pg_available_extensions WHERE name = 'vector'"
        )
        return await cur.fetchone() is not None


async def open_store(pool: Pool, options: StoreOptions) -> AsyncPostgresStore:
    """The store on `pool` (its tables, `tether_store_vectors` included, made by `tether
    migrate`). With `store.index`: pgvector search where the server offers the extension,
    exact search otherwise; the choice is logged (`store index: pgvector` / `store index:
    exact`). Plain without an index."""
    if options.index is None:
        return AsyncPostgresStore(pool, ttl=options.ttl)
    dims = options.index["dims"]
    if await has_pgvector(pool):
        index = cast(PostgresIndexConfig, options.index)
        store = AsyncPostgresStore(pool, index=index, ttl=options.ttl)
        # Creates the extension and langgraph's `store_vectors` (its size is the project's
        # `dims`, so not a migration of Tether's).
        await store.setup()
        log.info("store index: pgvector (%d dims)", dims)
        return store
    log.info(
        "store index: exact (%d dims, ranked in Python): PostgreSQL offers no pgvector"
        " (`vector` is not in pg_available_extensions)",
        dims,
    )
    return ExactPostgresStore(pool, options)
