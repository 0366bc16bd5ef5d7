"""The long-term store on SQLite: langgraph's `AsyncSqliteStore`, with semantic search by
sqlite-vec where Python's `sqlite3` can load extensions, and by exact search otherwise."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

import aiosqlite
import orjson
from langgraph.store.base import Item, PutOp, Result, SearchItem, SearchOp, TTLConfig
from langgraph.store.sqlite.aio import AsyncSqliteStore

from tether.backends.exact_search import (
    CREATE_VECTORS_TABLE,
    ExactIndex,
    group_vectors,
    namespace_text,
    split_searches,
)
from tether.store_options import StoreOptions

log = logging.getLogger("tether")


def can_load_extensions() -> bool:
    """Whether this Python's `sqlite3` was built with extension loading (for sqlite-vec)."""
    return hasattr(sqlite3.Connection, "enable_load_extension")


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


class ExactSqliteStore(SqliteStore):
    """The SQLite store whose `query` searches rank exactly (see `exact_search`)."""

    def __init__(self, conn: aiosqlite.Connection, options: StoreOptions) -> None:
        assert options.index is not None
        super().__init__(conn, options)
        self.exact = ExactIndex(options.index)

    async def setup(self) -> None:
        await super().setup()
        await self.conn.execute("PRAGMA foreign_keys=ON")  # vectors go with their item
        await self.conn.execute(CREATE_VECTORS_TABLE.format(blob="BLOB"))

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
            page = self.exact.rank(op, items, vectors, query)
            if op.refresh_ttl and self.ttl_config and page:
                await cur.executemany(
                    "UPDATE store SET expires_at ="
                    " DATETIME(CURRENT_TIMESTAMP, '+' || ttl_minutes || ' minutes')"
                    " WHERE prefix = ? AND key = ? AND ttl_minutes IS NOT NULL",
                    [(namespace_text(i.namespace), i.key) for i in page],
                )
            results[idx] = page


async def open_store(path: Path, options: StoreOptions) -> SqliteStore:
    """The store in the file `path`: sqlite-vec search where it can be loaded, exact search
    otherwise (the choice is logged); plain when the project configures no index."""
    conn = await aiosqlite.connect(path, isolation_level=None)
    try:
        await conn.execute("PRAGMA journal_mode=WAL")
        store: SqliteStore
        if options.index is None:
            store = SqliteStore(conn, options)
        elif can_load_extensions():
            store = SqliteStore(conn, options, index=options.index)
            log.info("store: semantic search with sqlite-vec (%d dims)", options.index["dims"])
        else:
            store = ExactSqliteStore(conn, options)
            log.info(
                "store: semantic search by exact ranking (%d dims): this Python's sqlite3"
                " cannot load the sqlite-vec extension",
                options.index["dims"],
            )
        await store.setup()
    except BaseException:
        await conn.close()
        raise
    return store
