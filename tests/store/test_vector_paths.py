"""The ways a query search can run, chosen at start and named in the log: sqlite-vec on
SQLite (scored in SQL), exact ranking in Python (SQLite without the extension, PostgreSQL
without pgvector), pgvector where PostgreSQL offers it. The same searches give the same
ranking whichever runs; a database written by an older Tether keeps its vectors."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator, Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite
import psycopg
import pytest
import sqlite_vec
from conftest import PostgresDatabase, _admin, postgres_url
from langgraph.store.base import BaseStore

from tether.backends import SchemaOutOfDate
from tether.backends.postgres import migrate_all
from tether.backends.postgres.database import check_schema, migrate, open_pool
from tether.backends.postgres.store import has_pgvector
from tether.backends.postgres.store import open_store as open_postgres_store
from tether.backends.sqlite.store import IndexedSqliteStore, SqliteStore
from tether.backends.sqlite.store import open_store as open_sqlite_store
from tether.backends.sqlite.vector_extension import find_vector_sqlite, load_sqlite_vec
from tether.store_options import StoreOptions, read_store_options

from .conftest import INDEX, PROJECT

DOCS: dict[tuple[str, ...], dict[str, dict[str, Any]]] = {
    ("docs", "a"): {
        "fruit": {"text": "bananas are a yellow fruit", "kind": "fruit"},
        "snack": {"text": "I love apples and bananas", "kind": "snack"},
        "car": {"text": "the car engine needs oil", "kind": "car"},
        # Two items alike: tied scores, ordered by key.
        "twin-b": {"text": "yellow submarine", "kind": "twin"},
        "twin-a": {"text": "yellow submarine", "kind": "twin"},
        # Embeds to the zero vector: scores 0 on every path.
        "digits": {"text": "12345", "kind": "digits"},
    },
    ("docs", "b"): {
        "short": {"text": "bananas", "kind": "fruit"},
        "list": {"text": ["oil paint", "yellow bananas"], "kind": "art"},
    },
}

SEARCHES: list[dict[str, Any]] = [
    {"namespace_prefix": ("docs",), "query": "yellow bananas"},
    {"namespace_prefix": ("docs",), "query": "yellow bananas", "limit": 3, "offset": 2},
    {"namespace_prefix": ("docs", "a"), "query": "engine oil"},
    {"namespace_prefix": ("docs",), "query": "bananas", "filter": {"kind": "fruit"}},
    {"namespace_prefix": ("docs",), "query": "yellow submarine", "limit": 2},
    {"namespace_prefix": ("docs",), "query": "nothing alike", "limit": 50},
    {"namespace_prefix": ("docs",), "query": "oil paint", "limit": 1, "offset": 1},
]


def _options(**index: Any) -> StoreOptions:
    return read_store_options(
        {"store": {"index": {**INDEX, "fields": ["text", "text[*]"], **index}}}, PROJECT
    )


async def _fill(store: BaseStore) -> None:
    for namespace, items in DOCS.items():
        for key, value in items.items():
            await store.aput(namespace, key, value)
    # Not embedded: never in a query search's results.
    await store.aput(("docs", "a"), "hidden", {"text": "yellow bananas"}, index=False)


async def _rankings(store: BaseStore) -> list[list[tuple[str, str, float]]]:
    rankings = []
    for search in SEARCHES:
        found = await store.asearch(
            search["namespace_prefix"],
            query=search["query"],
            filter=search.get("filter"),
            limit=search.get("limit", 10),
            offset=search.get("offset", 0),
        )
        rankings.append([(".".join(i.namespace), i.key, float(i.score or 0.0)) for i in found])
    return rankings


def _assert_same(got: list[list[tuple[str, str, float]]], want: list[list[Any]]) -> None:
    for search, mine, theirs in zip(SEARCHES, got, want, strict=True):
        assert [(p, k) for p, k, _ in mine] == [(p, k) for p, k, _ in theirs], search
        assert [s for _, _, s in mine] == pytest.approx([s for _, _, s in theirs], abs=1e-5)


@pytest.fixture
async def closing_stores() -> AsyncIterator[list[SqliteStore]]:
    stores: list[SqliteStore] = []
    yield stores
    for store in stores:
        await store.conn.close()


async def test_sqlite_vec_and_exact_ranking_give_the_same_results(
    tmp_path: Path, closing_stores: list[SqliteStore]
) -> None:
    with_vec = await open_sqlite_store(tmp_path / "vec.sqlite", _options())
    closing_stores.append(with_vec)
    exact = await open_sqlite_store(tmp_path / "exact.sqlite", _options(), use_sqlite_vec=False)
    closing_stores.append(exact)
    assert isinstance(with_vec, IndexedSqliteStore) and with_vec.sqlite_vec
    assert isinstance(exact, IndexedSqliteStore) and not exact.sqlite_vec
    await _fill(with_vec)
    await _fill(exact)

    ranked_in_sql = await _rankings(with_vec)
    ranked_in_python = await _rankings(exact)

    _assert_same(ranked_in_sql, ranked_in_python)
    first = ranked_in_sql[0]
    assert [k for _, k, _ in first[:3]] == ["list", "short", "fruit"]
    assert first[0][2] == pytest.approx(1.0, abs=1e-5)  # its second text is the query
    assert "hidden" not in {k for ranking in ranked_in_sql for _, k, _ in ranking}
    alike = ranked_in_sql[4]
    assert [k for _, k, _ in alike] == ["twin-a", "twin-b"]
    unrelated = ranked_in_sql[5]
    assert ("docs.a", "digits", 0.0) in unrelated
    assert len(unrelated) == 8  # every embedded item, zero scores included


async def test_postgres_exact_ranking_gives_the_same_results(
    tmp_path: Path, postgres_database: PostgresDatabase, closing_stores: list[SqliteStore]
) -> None:
    sqlite = await open_sqlite_store(tmp_path / "vec.sqlite", _options())
    closing_stores.append(sqlite)
    await _fill(sqlite)
    pool = await open_pool(postgres_database.url, max_size=2)
    try:
        postgres = await open_postgres_store(pool, _options())
        await _fill(postgres)

        _assert_same(await _rankings(postgres), await _rankings(sqlite))
    finally:
        await pool.close()


async def test_the_log_names_sqlite_vec_or_exact(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, closing_stores: list[SqliteStore]
) -> None:
    with caplog.at_level(logging.INFO, logger="tether"):
        closing_stores.append(await open_sqlite_store(tmp_path / "a.sqlite", _options()))
        closing_stores.append(
            await open_sqlite_store(tmp_path / "b.sqlite", _options(), use_sqlite_vec=False)
        )
    messages = [r.getMessage() for r in caplog.records]
    found, _ = find_vector_sqlite()
    assert found is not None  # pysqlite3-binary is a dependency on x86-64 Linux
    assert (
        f"store index: sqlite-vec {found.vec_version} (256 dims, SQLite"
        f" {found.sqlite_version} of {found.module})" in messages
    )
    assert "store index: exact (256 dims, ranked in Python): sqlite-vec not asked for" in messages


async def test_an_extension_that_does_not_load_falls_back_to_exact_and_says_why(
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    closing_stores: list[SqliteStore],
) -> None:
    # The extension's file is missing (a broken install): every SQLite fails to load it.
    missing = str(tmp_path / "no-vec0")
    monkeypatch.setattr(sqlite_vec, "loadable_path", lambda: missing)
    with caplog.at_level(logging.INFO, logger="tether"):
        store = await open_sqlite_store(tmp_path / "store.sqlite", _options())
    closing_stores.append(store)

    assert isinstance(store, IndexedSqliteStore) and not store.sqlite_vec
    [line] = [r.getMessage() for r in caplog.records if "store index" in r.getMessage()]
    assert line.startswith("store index: exact (256 dims, ranked in Python): sqlite-vec ")
    assert "could not load sqlite-vec" in line and "no-vec0" in line
    await _fill(store)
    found = await store.asearch(("docs",), query="yellow bananas", limit=1)
    assert [i.key for i in found] == ["list"]


async def test_vectors_of_an_older_sqlite_vec_store_are_kept(
    tmp_path: Path, closing_stores: list[SqliteStore]
) -> None:
    """An older Tether's sqlite-vec path kept vectors in langgraph's own `store_vectors`
    (written here by langgraph's store itself, as it did). langgraph's SQLite store reads
    `text_fields`, not `fields`, so it embedded whole values: those vectors are kept until
    their items are put again."""
    vector_sqlite, reason = find_vector_sqlite()
    assert vector_sqlite is not None, reason
    path = tmp_path / "store.sqlite"
    options = _options()
    connect = vector_sqlite.connect
    conn = aiosqlite.Connection(lambda: connect(str(path), isolation_level=None), 64)
    await conn
    older = SqliteStore(conn, options, index=options.index)
    await older.setup()
    await _fill(older)
    await conn.close()

    store = await open_sqlite_store(path, options)
    closing_stores.append(store)
    whole_values = await open_sqlite_store(tmp_path / "fresh.sqlite", _options(fields=["$"]))
    closing_stores.append(whole_values)
    await _fill(whole_values)

    kept = await _rankings(store)
    _assert_same(kept, await _rankings(whole_values))
    assert len(kept[0]) == 8
    async with store.conn.execute("SELECT count(*) FROM store_vectors") as cur:
        assert await cur.fetchone() == (0,)  # moved, not copied at every start


def test_find_vector_sqlite_loads_the_extension_for_real() -> None:
    found, reason = find_vector_sqlite()
    assert found is not None, reason
    conn = found.connect(":memory:")
    try:
        load_sqlite_vec(conn)
        a, b = sqlite_vec.serialize_float32([1, 0]), sqlite_vec.serialize_float32([1, 1])
        (distance,) = conn.execute("SELECT vec_distance_cosine(?, ?)", (a, b)).fetchone()
    finally:
        conn.close()
    assert distance == pytest.approx(1 - 2**-0.5, abs=1e-6)


# -- PostgreSQL: detection and the migration ----------------------------------------------


async def test_postgres_names_pgvector_or_exact_as_the_server_offers(
    postgres_database: PostgresDatabase, caplog: pytest.LogCaptureFixture
) -> None:
    pool = await open_pool(postgres_database.url, max_size=2)
    try:
        offered = await has_pgvector(pool)
        with caplog.at_level(logging.INFO, logger="tether"):
            await open_postgres_store(pool, _options())
    finally:
        await pool.close()
    messages = [r.getMessage() for r in caplog.records]
    if offered:
        assert "store index: pgvector (256 dims)" in messages
    else:
        # This project's machines: Debian packages no pgvector.
        assert (
            "store index: exact (256 dims, ranked in Python): PostgreSQL offers no pgvector"
            " (`vector` is not in pg_available_extensions)" in messages
        )


#: The number of the migration that makes `tether_store_vectors`.
VECTORS_MIGRATION = next(
    int(entry.name.split("_", 1)[0])
    for entry in resources.files("tether.backends.postgres.migrations").iterdir()
    if entry.name.endswith("_store_vectors.sql")
)


@pytest.fixture
def empty_database() -> Iterator[str]:
    """A database Tether never touched."""
    name = f"tether_test_{uuid.uuid4().hex[:12]}"
    _admin(f"CREATE DATABASE {name}")
    yield postgres_url(name)
    _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


async def _table_exists(url: str, table: str) -> bool:
    async with await psycopg.AsyncConnection.connect(url) as conn:
        cur = await conn.execute("SELECT to_regclass(%s) IS NOT NULL", (table,))
        row = await cur.fetchone()
    return bool(row and row[0])


async def test_tether_migrate_creates_the_vectors_table(empty_database: str) -> None:
    pool = await open_pool(empty_database, max_size=2)
    try:
        applied = await migrate_all(pool)
    finally:
        await pool.close()
    assert VECTORS_MIGRATION in applied
    assert await _table_exists(empty_database, "tether_store_vectors")


#: What Tether created at start before that migration (its exact words).
_OLD_VECTORS_TABLE = """
CREATE TABLE IF NOT EXISTS tether_store_vectors (
    prefix text NOT NULL,
    key text NOT NULL,
    field_name text NOT NULL,
    embedding bytea NOT NULL,
    PRIMARY KEY (prefix, key, field_name),
    FOREIGN KEY (prefix, key) REFERENCES store (prefix, key) ON DELETE CASCADE
)
"""


async def test_a_database_of_an_older_tether_migrates_and_keeps_its_vectors(
    empty_database: str,
) -> None:
    pool = await open_pool(empty_database, max_size=2)
    try:
        # The older Tether: every migration but this one, the vectors table made at
        # start, items put with their vectors.
        await migrate_all(pool)
        async with pool.connection() as conn:
            await conn.execute("DROP TABLE tether_store_vectors")
            await conn.execute(
                "DELETE FROM tether_migrations WHERE version = %s", (VECTORS_MIGRATION,)
            )
            await conn.execute(_OLD_VECTORS_TABLE)
        store = await open_postgres_store(pool, _options())
        await _fill(store)
        before = await _rankings(store)
        with pytest.raises(SchemaOutOfDate, match="run `tether migrate`"):
            await check_schema(pool)

        assert await migrate(pool) == [VECTORS_MIGRATION]
        await check_schema(pool)
        after = await _rankings(await open_postgres_store(pool, _options()))
    finally:
        await pool.close()

    _assert_same(after, before)
    assert after[0][0][1] == "list"
