"""The PostgreSQL connection pool and Tether's schema migrations.

Migrations are the numbered `.sql` files of `tether.backends.postgres.migrations`,
append-only, applied in order by `migrate()` under an advisory lock (so that several
processes starting at once apply each exactly once) and recorded in `tether_migrations`.
"""

from __future__ import annotations

import asyncio
import select
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from typing import Any

import orjson
import psycopg
from psycopg import AsyncConnection, sql
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import DictRow, dict_row
from psycopg.types.json import set_json_dumps, set_json_loads
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from tether.backends import SchemaOutOfDate, StorageUnavailable
from tether.errors import StorageFailed


def storage_failure(exc: BaseException) -> StorageFailed | None:
    """What a psycopg error means to a client when it is the storage's fault, not the
    request's: the database refuses writes (read-only, a standby), is out of disk or
    memory, or cannot be reached. None for every other error (a constraint, a bug)."""
    if isinstance(exc, PoolTimeout):
        return StorageFailed(f"PostgreSQL gave no connection in time: {exc}")
    if isinstance(exc, psycopg.errors.ReadOnlySqlTransaction):
        return StorageFailed(
            "the PostgreSQL database is read-only (a standby, or default_transaction_read_only"
            " is on): the write was not stored"
        )
    state = getattr(exc, "sqlstate", None)
    if state is not None and state.startswith("53"):  # disk full, out of memory, too many
        return StorageFailed(f"PostgreSQL is out of resources, the write was not stored: {exc}")
    lost = state is None or state.startswith(("08", "57P"))  # connection gone, shutting down
    if isinstance(exc, psycopg.OperationalError) and lost:
        return StorageFailed(f"lost the connection to PostgreSQL: {str(exc).strip() or exc!r}")
    return None


#: A caller waits this long for a connection before the server is looked at: if it cannot
#: be reached, waiting out the pool's whole timeout (30 s) would only delay the error.
PROBE_AFTER = 2.0
#: A look at the server serves every caller of the process for this long.
_PROBE_KEPT = 1.0


async def reachable(conninfo: str, timeout: float) -> StorageFailed | None:
    """Whether a new connection to the server can be made now: None if so, else what a
    client should be told."""
    try:
        conn = await AsyncConnection.connect(conninfo, connect_timeout=max(1, round(timeout)))
    except psycopg.Error as exc:
        return StorageFailed(f"cannot reach PostgreSQL at {_where(conninfo)}: {_reason(exc)}")
    await conn.close()
    return None


class _Pool(AsyncConnectionPool[AsyncConnection[DictRow]]):
    """The pool, whose connections turn storage failures into `StorageFailed` (a 503 with
    what is wrong) instead of a bare 500; every other error passes through unchanged.

    A caller still waiting for a connection after `PROBE_AFTER` has the server looked at
    (one new connection, shared by all the process's callers for `_PROBE_KEPT`): if it
    cannot be reached (stopped, restarting, the network away) the caller fails at once,
    saying why; if it can, the pool is only busy and the caller waits out its timeout."""

    _probe: tuple[float, asyncio.Task[StorageFailed | None]] | None = None

    async def getconn(self, timeout: float | None = None) -> AsyncConnection[DictRow]:
        total = self.timeout if timeout is None else timeout
        if total <= PROBE_AFTER:
            return await super().getconn(total)
        started = time.monotonic()
        try:
            return await super().getconn(PROBE_AFTER)
        except PoolTimeout:
            failure = await self._look_at_server(total - PROBE_AFTER)
            if failure is not None:
                raise failure from None
        try:
            return await super().getconn(max(0.0, total - (time.monotonic() - started)))
        except PoolTimeout:
            raise PoolTimeout(f"couldn't get a connection after {total:.2f} sec") from None

    async def _look_at_server(self, timeout: float) -> StorageFailed | None:
        now = time.monotonic()
        if self._probe is None or now - self._probe[0] > _PROBE_KEPT:
            conninfo = self.conninfo
            assert isinstance(conninfo, str)  # `open_pool` gives the URL
            task = asyncio.create_task(reachable(conninfo, min(timeout, 5.0)))
            self._probe = (now, task)
        return await asyncio.shield(self._probe[1])

    @asynccontextmanager
    async def connection(self, timeout: float | None = None) -> AsyncIterator[Any]:
        try:
            async with super().connection(timeout) as conn:
                yield conn
        except psycopg.Error as exc:
            failure = storage_failure(exc)
            if failure is None:
                raise
            raise failure from exc


#: A pool of connections returning rows as dicts.
Pool = AsyncConnectionPool[AsyncConnection[DictRow]]

#: The current unix time on the database's clock, as an SQL expression.
SQL_NOW = "extract(epoch from clock_timestamp())::double precision"
#: A lock id of Tether's own (`pg_advisory_xact_lock`) for migrations.
_MIGRATION_LOCK = 0x7E7E_0001


def _configure(conn: AsyncConnection[Any]) -> None:
    # JSON columns are read and written with orjson (the stdlib json is several times slower).
    set_json_loads(orjson.loads, conn)
    set_json_dumps(lambda value: orjson.dumps(value).decode(), conn)


async def _configure_async(conn: AsyncConnection[Any]) -> None:
    _configure(conn)


async def _check(conn: AsyncConnection[Any]) -> None:
    """A connection taken from the pool still works.

    An idle connection has nothing to read: when its server process ends (a restart,
    a failover, `pg_terminate_backend`), the server's farewell and the socket's end make
    it readable. So only a readable one is asked (one round trip, which fails and makes
    the pool replace it); the others cost no round trip. psycopg's own check asks every
    time (and, with this pool's `prepare_threshold=0`, prepares its query too)."""
    if conn.closed or _readable(conn.pgconn.socket):
        await conn.execute("", prepare=False)


def _readable(fd: int) -> bool:
    try:
        ready, _, _ = select.select([fd], [], [], 0)
    except (OSError, ValueError):
        return True  # a closed or odd socket: let the real check decide
    return bool(ready)


async def open_pool(url: str, *, min_size: int = 2, max_size: int = 20) -> Pool:
    """A pool of autocommit connections returning dict rows (what langgraph's Postgres
    checkpointer and store expect too); transactions are explicit `conn.transaction()`.
    Raises `StorageUnavailable` at once, with the server's reason, when the database
    cannot be reached (rather than the pool's timeout after 30 s)."""
    try:
        probe = await AsyncConnection.connect(url, connect_timeout=10)
    except psycopg.Error as exc:
        raise StorageUnavailable(
            f"cannot connect to PostgreSQL at {_where(url)}: {_reason(exc)}"
        ) from None
    await probe.close()
    pool: Pool = _Pool(
        url,
        connection_class=AsyncConnection[DictRow],
        min_size=min(min_size, max_size),
        max_size=max_size,
        kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row},
        configure=_configure_async,
        # A connection killed while idle in the pool (a database restart, a failover,
        # pg_terminate_backend) is found and replaced on checkout, not used.
        check=_check,
        open=False,
        name="tether",
    )
    await pool.open(wait=True, timeout=30)
    return pool


def _reason(exc: psycopg.Error) -> str:
    """A failed connection's reason on one line (libpq's message spans several: the
    failure, then hints such as "Is the server running on that host ...?")."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return " ".join(lines) or type(exc).__name__


def _where(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        info = conninfo_to_dict(url)
    except psycopg.Error:
        return "the configured URL"
    host, port, name = info.get("host", "localhost"), info.get("port", "5432"), info.get("dbname")
    return f"{host}:{port}/{name}" if name else f"{host}:{port}"


def _scripts() -> list[tuple[int, str]]:
    return sorted(
        (int(entry.name.split("_", 1)[0]), entry.read_text())
        for entry in resources.files("tether.backends.postgres.migrations").iterdir()
        if entry.name.endswith(".sql")
    )


def latest_version() -> int:
    return _scripts()[-1][0]


async def applied_versions(pool: Pool) -> set[int]:
    """The migrations applied to this database (none for one Tether never touched)."""
    async with pool.connection() as conn:
        cur = await conn.execute("SELECT to_regclass('tether_migrations') IS NOT NULL AS ok")
        row = await cur.fetchone()
        if not row or not row["ok"]:
            return set()
        cur = await conn.execute("SELECT version FROM tether_migrations")
        return {int(r["version"]) for r in await cur.fetchall()}


async def migrate(pool: Pool) -> list[int]:
    """Apply the migrations this database lacks; return their numbers."""
    applied: list[int] = []
    async with pool.connection() as conn, conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS tether_migrations"
            " (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
        )
        cur = await conn.execute("SELECT version FROM tether_migrations")
        done = {row["version"] for row in await cur.fetchall()}
        for version, script in _scripts():
            if version in done:
                continue
            await conn.execute(sql.SQL(script), prepare=False)
            await conn.execute("INSERT INTO tether_migrations (version) VALUES (%s)", (version,))
            applied.append(version)
    return applied


async def check_schema(pool: Pool) -> None:
    """Refuse to start on a database whose schema is not the one this Tether expects:
    a migration missing (even one below the highest applied), or one this Tether does
    not know."""
    applied, known = await applied_versions(pool), {v for v, _ in _scripts()}
    current, wanted = max(applied, default=0), latest_version()
    if missing := sorted(known - applied):
        gap = "" if missing[0] > current else f" but lacks {', '.join(map(str, missing))}"
        raise SchemaOutOfDate(
            f"the database schema is at version {current}{gap}, this Tether needs {wanted}:"
            " run `tether migrate` (or start with --migrate)"
        )
    if unknown := sorted(applied - known):
        raise SchemaOutOfDate(
            f"the database schema has migration {', '.join(map(str, unknown))}, newer than"
            f" this Tether knows ({wanted}): upgrade Tether"
        )
