"""The long-term store on SQLite: langgraph's `AsyncSqliteStore`, with semantic search over
Tether's vectors table, scored by sqlite-vec where a SQLite of this process can load it, and
in Python otherwise (see `exact_search`)."""

from __future__ import annotations

import logging
from array import array
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import aiosqlite
import orjson
import sqlite_vec
from langgraph.store.base import Item, PutOp, Result, SearchItem, SearchOp, TTLConfig
from langgraph.store.sqlite.aio import AsyncSqliteStore
from langgraph.store.sqlite.base import _decode_ns_text, _row_to_search_item

from tether.backends.exact_search import (
    ExactIndex,
    group_vectors,
    namespace_text,
    split_searches,
)
from tether.backends.sqlite.vector_extension import VectorSqlite, find_vector_sqlite
from tether.store_options import StoreOptions

log = logging.getLogger("tether")


class SqliteStore(AsyncSqliteStore):
    """`AsyncSqliteStore` whose reads refresh TTLs as langgraph's other stores do: as the
    read asks (`refresh_ttl`), else as `refresh_on_read` says (default true). (Its own
    refreshes a read only when `refresh_on_read` is configured true, whatever it asks.)"""

    def __init__(self, conn: aiosqlite.Connection, options: StoreOptions, **index: Any) -> None:
        ttl = options.ttl or {}
        self.refresh_default = ttl.get("refresh_on_read", True)
        forced: TTLConfig = {**ttl, "refresh_on_read": True}
        super().__init__(conn, ttl=forced, **index)

    def _refresh(self, refresh_ttl: bool | None) -> bool:
        return self.refresh_default if refresh_ttl is None else refresh_ttl

    def get(
        self, namespace: tuple[str, ...], key: str, *, refresh_ttl: bool | None = None
    ) -> Item | None:
        return super().get(namespace, key, refresh_ttl=self._refresh(refresh_ttl))

    async def aget(
        self, namespace: tuple[str, ...], key: str, *, refresh_ttl: bool | None = None
    ) -> Item | None:
        return await super().aget(namespace, key, refresh_ttl=self._refresh(refresh_ttl))

    def search(
        self,
        namespace_prefix: tuple[str, ...],
        /,
        *,
        query: str | None = None,
        filter: dict[str, Any] | None = None,
        limit: int = 10,
        offset: int = 0,
        refresh_ttl: bool | None = None,
    ) -> list[SearchItem]:
        return super().search(
            namespace_prefix,
            query=query,
            filter=filter,
            limit=limit,
            offset=offset,
            refresh_ttl=self._refresh(refresh_ttl),
        )

    async def asearch(
        self,
        namespace_prefix: tuple[str, ...],
        /,
        *,
        query: str | None = None,
        filter: dict[str, Any] | None = None,
        limit: int = 10,
        offset: int = 0,
        refresh_ttl: bool | None = None,
    ) -> list[SearchItem]:
        return await super().asearch(
            namespace_prefix,
            query=query,
            filter=filter,
            limit=limit,
            offset=offset,
            refresh_ttl=self._refresh(refresh_ttl),
        )

    async def _batch_put_ops(
        self, put_ops: Sequence[tuple[int, PutOp]], cur: aiosqlite.Cursor
    ) -> None:
        """langgraph's put is an INSERT OR REPLACE that stamps `created_at` anew: here an
        item put again keeps the time it was created, as in the other stores."""
        created = []
        for prefix, key in {(namespace_text(op.namespace), op.key) for _, op in put_ops}:
            await cur.execute(
                "SELECT created_at FROM store WHERE prefix = ? AND key = ?", (prefix, key)
            )
            if (row := await cur.fetchone()) is not None:
                created.append((row[0], prefix, key))
        await super()._batch_put_ops(put_ops, cur)
        await cur.executemany(
            "UPDATE store SET created_at = ? WHERE prefix = ? AND key = ?", created
        )


#: Tether's vectors (see `exact_search`); PostgreSQL's is made by its migration 004.
_CREATE_VECTORS_TABLE = """
CREATE TABLE IF NOT EXISTS tether_store_vectors (
    prefix text NOT NULL,
    key text NOT NULL,
    field_name text NOT NULL,
    embedding BLOB NOT NULL,
    PRIMARY KEY (prefix, key, field_name),
    FOREIGN KEY (prefix, key) REFERENCES store (prefix, key) ON DELETE CASCADE
)
"""

#: A query search ranked in SQL by sqlite-vec: the plain search's candidates (`{candidates}`,
#: langgraph's own query for the prefix and filter), each scored by its best field.
#: `vec_distance_cosine` is NULL for a zero vector: its score is 0, as in Python.
_RANK_WITH_SQLITE_VEC = """
WITH candidates AS ({candidates})
SELECT c.prefix, c.key, c.value, c.created_at, c.updated_at,
    MAX(COALESCE(1.0 - vec_distance_cosine(v.embedding, ?), 0.0)) AS score
FROM candidates AS c
JOIN tether_store_vectors AS v ON v.prefix = c.prefix AND v.key = c.key
WHERE length(v.embedding) = ?
GROUP BY c.prefix, c.key
ORDER BY score DESC, c.prefix, c.key
LIMIT ? OFFSET ?
"""


class IndexedSqliteStore(SqliteStore):
    """The SQLite store with semantic search over `tether_store_vectors` (see
    `exact_search`): scored in SQL by sqlite-vec when `sqlite_vec` (the connection has
    loaded it), else in Python ("exact")."""

    def __init__(
        self, conn: aiosqlite.Connection, options: StoreOptions, *, sqlite_vec: bool
    ) -> None:
        assert options.index is not None
        super().__init__(conn, options)
        self.exact = ExactIndex(options.index)
        self.sqlite_vec = sqlite_vec

    async def setup(self) -> None:
        await super().setup()
        await self.conn.execute("PRAGMA foreign_keys=ON")  # vectors go with their item
        await self.conn.execute(_CREATE_VECTORS_TABLE)
        await self._adopt_langgraph_vectors()

    async def _adopt_langgraph_vectors(self) -> None:
        """Move the vectors an older Tether kept in langgraph's own `store_vectors` (its
        sqlite-vec path, not normalised) into `tether_store_vectors`, once: the table is
        left empty, so a downgrade still opens the file."""
        async with self.conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'store_vectors'"
        ) as cur:
            if await cur.fetchone() is None:
                return
        async with self.conn.execute(
            "SELECT sv.prefix, sv.key, sv.field_name, sv.embedding FROM store_vectors AS sv"
            " JOIN store AS s ON s.prefix = sv.prefix AND s.key = sv.key"
            " WHERE length(sv.embedding) = ?",
            (self.exact.dims * 4,),
        ) as cur:
            old = list(await cur.fetchall())
        rows = [(p, k, f, self.exact.pack(array("f", bytes(e)))) for p, k, f, e in old]
        await self.conn.execute("BEGIN")
        try:
            await self.conn.executemany(
                "INSERT OR IGNORE INTO tether_store_vectors (prefix, key, field_name, embedding)"
                " VALUES (?, ?, ?, ?)",
                rows,
            )
            await self.conn.execute("DELETE FROM store_vectors")
        except BaseException:
            await self.conn.execute("ROLLBACK")
            raise
        await self.conn.execute("COMMIT")
        if rows:
            log.info("store: moved %d vectors from langgraph's store_vectors", len(rows))

    async def _batch_put_ops(
        self, put_ops: Sequence[tuple[int, PutOp]], cur: aiosqlite.Cursor
    ) -> None:
        items, rows = await self.exact.embed_puts([op for _, op in put_ops])
        await super()._batch_put_ops(put_ops, cur)
        await cur.executemany(
            "DELETE FROM tether_store_vectors WHERE prefix = ? AND key = ?", items
        )
        await cur.executemany(
            "INSERT INTO tether_store_vectors (prefix, key, field_name, embedding)"
            " VALUES (?, ?, ?, ?)",
            rows,
        )

    async def _batch_search_ops(
        self,
        search_ops: Sequence[tuple[int, SearchOp]],
        results: list[Result],
        cur: aiosqlite.Cursor,
    ) -> None:
        ranked, plain = split_searches(search_ops)
        if plain:
            await super()._batch_search_ops(plain, results, cur)
        for idx, op in ranked:
            query = await self.exact.embed_query(cast(str, op.query))
            if self.sqlite_vec:
                page = await self._rank_in_sql(op, query, cur)
            else:
                page = await self._rank_in_python(op, query, cur)
            if op.refresh_ttl and self.ttl_config and page:
                await cur.executemany(
                    "UPDATE store SET expires_at ="
                    " DATETIME(CURRENT_TIMESTAMP, '+' || ttl_minutes || ' minutes')"
                    " WHERE prefix = ? AND key = ? AND ttl_minutes IS NOT NULL",
                    [(namespace_text(i.namespace), i.key) for i in page],
                )
            results[idx] = page

    async def _rank_in_sql(
        self, op: SearchOp, query: array[float], cur: aiosqlite.Cursor
    ) -> list[SearchItem]:
        [(candidates, params, _)], _ = self._prepare_batch_search_queries(
            [(0, self.exact.candidates(op))]
        )
        await cur.execute(
            _RANK_WITH_SQLITE_VEC.format(candidates=candidates),
            [*params, query.tobytes(), len(query) * 4, op.limit, op.offset],
        )
        return [
            _row_to_search_item(
                _decode_ns_text(prefix),
                {
                    "key": key,
                    "value": value,
                    "created_at": created,
                    "updated_at": updated,
                    "score": score,
                },
                loader=self._deserializer,
            )
            for prefix, key, value, created, updated, score in await cur.fetchall()
        ]

    async def _rank_in_python(
        self, op: SearchOp, query: array[float], cur: aiosqlite.Cursor
    ) -> list[SearchItem]:
        found: list[Result] = [None]
        await super()._batch_search_ops([(0, self.exact.candidates(op))], found, cur)
        items = cast(list[SearchItem], found[0])
        pairs = [[namespace_text(i.namespace), i.key] for i in items]
        await cur.execute(
            "SELECT prefix, key, embedding FROM tether_store_vectors"
            " WHERE (prefix, key) IN (SELECT json_extract(value, '$[0]'),"
            " json_extract(value, '$[1]') FROM json_each(?))",
            (orjson.dumps(pairs).decode(),),
        )
        vectors = group_vectors(list(await cur.fetchall()))
        return self.exact.rank(op, items, vectors, query)


def _connect(path: Path, vector_sqlite: VectorSqlite | None) -> aiosqlite.Connection:
    if vector_sqlite is None:
        return aiosqlite.connect(path, isolation_level=None)
    connect = vector_sqlite.connect
    return aiosqlite.Connection(lambda: connect(str(path), isolation_level=None), 64)


async def open_store(
    path: Path, options: StoreOptions, *, use_sqlite_vec: bool = True
) -> SqliteStore:
    """The store in the file `path`. With `store.index`, query searches are scored by
    sqlite-vec where a SQLite of this process loads it (`find_vector_sqlite`; not tried when
    `use_sqlite_vec` is false), and in Python ("exact") otherwise; the choice is logged
    (`store index: sqlite-vec` / `store index: exact`). Plain without an index."""
    reason = "not asked for"
    vector_sqlite = None
    if options.index is not None and use_sqlite_vec:
        vector_sqlite, reason = find_vector_sqlite()
    conn = _connect(path, vector_sqlite)
    await conn
    try:
        await conn.execute("PRAGMA journal_mode=WAL")
        store: SqliteStore
        if options.index is None:
            store = SqliteStore(conn, options)
        else:
            if vector_sqlite is not None:
                await conn.enable_load_extension(True)
                await conn.load_extension(sqlite_vec.loadable_path())
                await conn.enable_load_extension(False)
            store = IndexedSqliteStore(conn, options, sqlite_vec=vector_sqlite is not None)
        await store.setup()
    except BaseException:
        await conn.close()
        raise
    dims = options.index["dims"] if options.index else 0
    if vector_sqlite is not None:
        log.info(
            "store index: sqlite-vec %s (%d dims, SQLite %s of %s)",
            vector_sqlite.vec_version,
            dims,
            vector_sqlite.sqlite_version,
            vector_sqlite.module,
        )
    elif options.index is not None:
        log.info("store index: exact (%d dims, ranked in Python): sqlite-vec %s", dims, reason)
    return store
