"""One SQLite connection, used from the event loop.

Statements here are short (WAL mode, `synchronous=NORMAL`: a commit writes to the WAL
without an fsync) and take tens of microseconds, less than handing them to a thread
would cost, so they run on the loop. Most units of work are a plain function, so they
can never interleave with another coroutine's statements; `unit()` is the async form
(a `ThreadTransaction`), and a lock keeps every other statement out while it is open.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

#: The current unix time on SQLite's clock, as an SQL expression (ms precision).
SQL_NOW = "((julianday('now') - 2440587.5) * 86400.0)"


class Database:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None
        #: Held by an open `unit()`: the connection is shared, so nothing else may run then.
        self._lock = asyncio.Lock()

    async def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=5000")
        self._conn = conn

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RuntimeError("database is closed")
        return self._conn

    async def run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run `fn(conn)` outside any transaction."""
        async with self._lock:  # free unless a unit is open: then no yield at all
            return fn(self.conn)

    async def transaction(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run `fn(conn)` in one write transaction (BEGIN IMMEDIATE ... COMMIT)."""
        async with self._lock:
            conn = self.conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                result = fn(conn)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            return result

    @asynccontextmanager
    async def unit(self) -> AsyncIterator[sqlite3.Connection]:
        """One write transaction that spans awaits: committed when the block ends,
        rolled back if it raises."""
        async with self._lock:
            conn = self.conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    async def migrate(self, package: str) -> list[int]:
        """Apply the numbered `.sql` files of `package` that are not applied yet."""
        scripts = sorted(
            (int(entry.name.split("_", 1)[0]), entry.read_text())
            for entry in resources.files(package).iterdir()
            if entry.name.endswith(".sql")
        )
        conn = self.conn
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations"
            " (version INTEGER PRIMARY KEY, applied_at TEXT DEFAULT CURRENT_TIMESTAMP)"
        )
        done = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
        applied = []
        for version, sql in scripts:
            if version in done:
                continue

            def apply(conn: sqlite3.Connection, sql: str = sql, version: int = version) -> None:
                for statement in sql.split(";\n"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute("INSERT INTO schema_migrations (version) VALUES (?)", (version,))

            await self.transaction(apply)
            applied.append(version)
        return applied

    async def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
