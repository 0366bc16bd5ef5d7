"""Threads in SQLite."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from tether.backends import rows
from tether.backends.sqlite.assistants import assistant_from_row
from tether.backends.sqlite.database import Database
from tether.backends.sqlite.events import SqliteEventLog
from tether.backends.sqlite.queries import from_json, json_filter, to_json, where
from tether.backends.sqlite.runs import (
    delete_run,
    insert_run,
    select_inflight,
    select_run,
    update_run,
)
from tether.backends.sqlite.webhooks import insert_webhook
from tether.ports import ThreadTransaction, WebhookDelivery
from tether.records import NewEvent, RunRecord, ThreadRecord, now_iso

_SORTABLE = {"thread_id", "status", "created_at", "updated_at", "state_updated_at"}
_JSON_FIELDS = {"metadata", "config", "values", "interrupts", "error", "ttl"}


def thread_from_row(row: sqlite3.Row) -> ThreadRecord:
    return rows.thread_from_row(row, from_json)


def insert_thread(conn: sqlite3.Connection, thread: ThreadRecord) -> None:
    conn.execute(
        'INSERT INTO threads (thread_id, created_at, updated_at, state_updated_at, metadata, status, config, "values", interrupts, error, ttl)'
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            thread.thread_id,
            thread.created_at,
            thread.updated_at,
            thread.state_updated_at,
            to_json(thread.metadata),
            thread.status,
            to_json(thread.config),
            None if thread.values is None else to_json(thread.values),
            to_json(thread.interrupts),
            None if thread.error is None else to_json(thread.error),
            None if thread.ttl is None else to_json(thread.ttl),
        ),
    )


def select_thread(conn: sqlite3.Connection, thread_id: str) -> ThreadRecord | None:
    row = conn.execute("SELECT * FROM threads WHERE thread_id = ?", (thread_id,)).fetchone()
    return None if row is None else thread_from_row(row)


def write_thread_changes(conn: sqlite3.Connection, thread_id: str, changes: dict[str, Any]) -> None:
    """Set thread columns as given; `updated_at` is refreshed unless given."""
    if not changes:
        return
    changes = {"updated_at": now_iso(), **changes}
    columns = ", ".join(f'"{name}" = ?' for name in changes)
    params = [
        (None if value is None else to_json(value)) if name in _JSON_FIELDS else value
        for name, value in changes.items()
    ]
    conn.execute(f"UPDATE threads SET {columns} WHERE thread_id = ?", (*params, thread_id))


class SqliteThreadTransaction:
    """Statements on one connection inside `Database.unit()`: nothing else runs meanwhile."""

    def __init__(self, conn: sqlite3.Connection, thread_id: str) -> None:
        self._conn = conn
        self.thread_id = thread_id
        #: Logs to end once the transaction has committed (the log has its own file).
        self.ended_logs: list[tuple[str, Sequence[NewEvent], float]] = []

    async def get_thread(self) -> ThreadRecord | None:
        return select_thread(self._conn, self.thread_id)

    async def insert_thread(self, thread: ThreadRecord) -> None:
        insert_thread(self._conn, thread)

    async def update_thread(self, changes: dict[str, Any]) -> None:
        write_thread_changes(self._conn, self.thread_id, changes)

    async def delete_thread(self) -> bool:
        conn, thread_id = self._conn, self.thread_id
        conn.execute("DELETE FROM runs WHERE thread_id = ?", (thread_id,))
        conn.execute("DELETE FROM crons WHERE thread_id = ?", (thread_id,))
        return conn.execute("DELETE FROM threads WHERE thread_id = ?", (thread_id,)).rowcount > 0

    async def inflight_runs(self) -> list[RunRecord]:
        return select_inflight(self._conn, self.thread_id)

    async def get_run(self, run_id: str) -> RunRecord | None:
        run = select_run(self._conn, run_id)
        return run if run is not None and run.thread_id == self.thread_id else None

    async def get_assistant(self, assistant_id: str) -> dict[str, Any] | None:
        row = self._conn.execute(
            "SELECT * FROM assistants WHERE assistant_id = ?", (assistant_id,)
        ).fetchone()
        return None if row is None else assistant_from_row(row)

    async def insert_run(self, run: RunRecord) -> None:
        insert_run(self._conn, run)

    async def update_run(self, run_id: str, changes: dict[str, Any]) -> None:
        update_run(self._conn, run_id, changes)

    async def delete_run(self, run_id: str) -> None:
        delete_run(self._conn, run_id)

    async def add_webhook(self, delivery: WebhookDelivery) -> None:
        insert_webhook(self._conn, delivery)

    async def end_run_log(
        self, run_id: str, events: Sequence[NewEvent], *, retain_seconds: float
    ) -> None:
        self.ended_logs.append((run_id, events, retain_seconds))


class SqliteThreadStore:
    def __init__(self, db: Database, events: SqliteEventLog) -> None:
        self._db = db
        self._events = events

    @asynccontextmanager
    async def transaction(
        self, thread_id: str, *, run_id: str | None = None, assistant_id: str | None = None
    ) -> AsyncIterator[ThreadTransaction]:
        async with self._db.unit() as conn:
            tx = SqliteThreadTransaction(conn, thread_id)
            yield tx
        for ended, events, retain_seconds in tx.ended_logs:
            await self._events.end_run(thread_id, ended, events, retain_seconds=retain_seconds)

    async def create_thread(self, thread: ThreadRecord, *, if_exists: str) -> ThreadRecord | None:
        def create(conn: sqlite3.Connection) -> ThreadRecord | None:
            found = select_thread(conn, thread.thread_id)
            if found is not None:
                return found if if_exists == "do_nothing" else None
            insert_thread(conn, thread)
            return thread

        return await self._db.transaction(create)

    async def get_thread(self, thread_id: str) -> ThreadRecord | None:
        return await self._db.run(lambda conn: select_thread(conn, thread_id))

    def _filters(
        self,
        ids: Sequence[str] | None,
        metadata: dict[str, Any] | None,
        values: dict[str, Any] | None,
        status: str | None,
    ) -> tuple[list[str], list[Any]]:
        clauses, params = json_filter("metadata", metadata)
        value_clauses, value_params = json_filter('"values"', values)
        clauses += value_clauses
        params += value_params
        if ids:
            clauses.append(f"thread_id IN ({', '.join('?' * len(ids))})")
            params.extend(ids)
        if status:
            clauses.append("status = ?")
            params.append(status)
        return clauses, params

    async def search_threads(
        self,
        *,
        ids: Sequence[str] | None,
        metadata: dict[str, Any] | None,
        values: dict[str, Any] | None,
        status: str | None,
        limit: int,
        offset: int,
        sort_by: str,
        sort_order: str,
    ) -> list[ThreadRecord]:
        clauses, params = self._filters(ids, metadata, values, status)
        column = sort_by if sort_by in _SORTABLE else "created_at"
        order = "ASC" if sort_order.lower() == "asc" else "DESC"
        sql = f"SELECT * FROM threads{where(clauses)} ORDER BY {column} {order}, thread_id {order} LIMIT ? OFFSET ?"

        def search(conn: sqlite3.Connection) -> list[ThreadRecord]:
            return [thread_from_row(r) for r in conn.execute(sql, (*params, limit, offset))]

        return await self._db.run(search)

    async def expired_threads(self, limit: int = 100) -> list[ThreadRecord]:
        def expired(conn: sqlite3.Connection) -> list[ThreadRecord]:
            rows = conn.execute(
                "SELECT * FROM threads WHERE ttl IS NOT NULL AND status != 'busy'"
                " AND json_extract(ttl, '$.ttl') IS NOT NULL"
                " AND (julianday('now') - julianday(updated_at)) * 1440.0 > json_extract(ttl, '$.ttl')"
                " LIMIT ?",
                (limit,),
            )
            return [thread_from_row(r) for r in rows]

        return await self._db.run(expired)

    async def count_threads(
        self, *, metadata: dict[str, Any] | None, values: dict[str, Any] | None, status: str | None
    ) -> int:
        clauses, params = self._filters(None, metadata, values, status)

        def count(conn: sqlite3.Connection) -> int:
            return int(
                conn.execute(f"SELECT COUNT(*) FROM threads{where(clauses)}", params).fetchone()[0]
            )

        return await self._db.run(count)
