"""One SQLite connection, used from the event loop.

Statements here are short (WAL mode, `synchronous=NORMAL`: a commit writes to the WAL
without an fsync) and take tens of microseconds, less than handing them to a thread
would cost, so they run on the loop. Most units of work are a plain function, so they
can never interleave with another coroutine's statements; `unit()` is the async form
(a `ThreadTransaction`), and a lock keeps every other statement out while it is open.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import TypeVar

from tether.errors import StorageFailed

T = TypeVar("T")
log = logging.getLogger("tether.storage")
#: SQLite messages that mean the file cannot take writes (not a bad statement).
_STORAGE_TROUBLE = ("disk", "full", "readonly", "read-only", "unable to open", "i/o")

#: The current unix time on SQLite's clock, as an SQL expression (ms precision).
SQL_NOW = "((julianday('now') - 2440587.5) * 86400.0)"


class Database:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None
        #: The file opened (device, inode): a path that no longer leads to it means the data
        #: folder was deleted or replaced, and writes land in a file nobody will read again.
        self._identity: tuple[int, int] | None = None
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
        found = os.stat(self.path)
        self._identity = (found.st_dev, found.st_ino)

    def check_file(self) -> None:
        """Raise StorageFailed unless the path still leads to the file that was opened."""
        try:
            found = os.stat(self.path)
        except OSError as exc:
            found = None
            reason = f"cannot be reached ({exc.strerror})"
        if found is not None:
            if (found.st_dev, found.st_ino) == self._identity:
                return
            reason = "was replaced by another file"
        message = (
            f"the database file {self.path} {reason} since the server opened it: writes are"
            " refused, as they could not be read back after a restart. Restore the data"
            " folder and restart the server."
        )
        log.error("storage: %s", message)
        raise StorageFailed(message)

    def _failed(self, exc: sqlite3.Error) -> StorageFailed | None:
        text = str(exc).lower()
        if not any(word in text for word in _STORAGE_TROUBLE):
            return None
        message = f"the database {self.path} refused a write ({exc}): nothing was stored"
        log.error("storage: %s", message)
        return StorageFailed(message)

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
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    result = fn(conn)
                except BaseException:
                    _rollback(conn)
                    raise
                conn.execute("COMMIT")
            except sqlite3.Error as exc:
                if (failed := self._failed(exc)) is None:
                    raise
                raise failed from exc
            self.check_file()
            return result

    @asynccontextmanager
    async def unit(self) -> AsyncIterator[sqlite3.Connection]:
        """One write transaction that spans awaits: committed when the block ends,
        rolled back if it raises."""
        async with self._lock:
            conn = self.conn
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    yield conn
                except BaseException:
                    _rollback(conn)
                    raise
                conn.execute("COMMIT")
            except sqlite3.Error as exc:
                if (failed := self._failed(exc)) is None:
                    raise
                raise failed from exc
            self.check_file()

    async def check_writable(self) -> None:
        """Raise StorageFailed unless a write to this database would be stored: the file is
        still the one opened, and its folder takes a new file (not read-only, not full)."""
        self.check_file()
        probe = self.path.parent / f".{self.path.name}.health"
        try:
            fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                os.write(fd, b"ok")
                os.fsync(fd)
            finally:
                os.close(fd)
                os.unlink(probe)
        except OSError as exc:
            message = f"the data folder {self.path.parent} cannot be written ({exc.strerror})"
            log.error("storage: %s", message)
            raise StorageFailed(message) from exc

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


def _rollback(conn: sqlite3.Connection) -> None:
    # A failed write may already have ended the transaction.
    if conn.in_transaction:
        conn.execute("ROLLBACK")
