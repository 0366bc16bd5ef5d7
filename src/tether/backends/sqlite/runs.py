"""Runs and the run queue in SQLite: claims with leases on SQLite's clock, fencing by
attempt, queue order by insertion (rowid)."""

from __future__ import annotations

import asyncio
import math
import sqlite3
from collections.abc import Sequence
from typing import Any

from tether.backends import rows
from tether.backends.sqlite.database import SQL_NOW, Database
from tether.backends.sqlite.queries import from_json, to_json
from tether.ports import Claimed, Claims, QueueStats
from tether.records import RunRecord, now_iso

_FINAL = ("success", "error", "timeout", "interrupted")
_JSON_FIELDS = {"metadata", "kwargs", "result", "assistant"}
_WRITABLE = {"status", "result", "cancel_action", "cancel_reason", "metadata", "kwargs"}


def run_from_row(row: sqlite3.Row) -> RunRecord:
    return rows.run_from_row(row, from_json)


def select_run(conn: sqlite3.Connection, run_id: str) -> RunRecord | None:
    row = conn.execute("SELECT * FROM runs WHERE run_id = ?", (run_id,)).fetchone()
    return None if row is None else run_from_row(row)


def select_inflight(conn: sqlite3.Connection, thread_id: str) -> list[RunRecord]:
    rows = conn.execute(
        # Without the hint SQLite walks every run of the thread (by created_at) to find the few in flight.
        "SELECT * FROM runs INDEXED BY runs_thread_status"
        " WHERE thread_id = ? AND status IN ('pending', 'running') ORDER BY rowid",
        (thread_id,),
    )
    return [run_from_row(r) for r in rows]


def insert_run(conn: sqlite3.Connection, run: RunRecord) -> None:
    available = f"{SQL_NOW} + ?" if run.delay_seconds > 0 else "?"
    conn.execute(
        "INSERT INTO runs (run_id, thread_id, assistant_id, graph_id, status, metadata, kwargs,"
        " multitask_strategy, created_at, updated_at, attempt, on_completion, assistant,"
        f" trace_context, available_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, {available})",
        (
            run.run_id,
            run.thread_id,
            run.assistant_id,
            run.graph_id,
            run.status,
            to_json(run.metadata),
            to_json(run.kwargs),
            run.multitask_strategy,
            run.created_at,
            run.updated_at,
            run.attempt,
            run.on_completion,
            to_json(run.assistant),
            None if run.trace_context is None else to_json(run.trace_context),
            run.delay_seconds if run.delay_seconds > 0 else 0.0,
        ),
    )


def update_run(conn: sqlite3.Connection, run_id: str, changes: dict[str, Any]) -> None:
    unknown = set(changes) - _WRITABLE
    if unknown:
        raise ValueError(f"run fields that cannot be updated: {sorted(unknown)}")
    columns = [f"{name} = ?" for name in changes]
    params = [to_json(v) if k in _JSON_FIELDS else v for k, v in changes.items()]
    columns.append("updated_at = ?")
    params.append(now_iso())
    if changes.get("status") in _FINAL:
        columns.append(f"ended_at = {SQL_NOW}, lease_owner = NULL, lease_expires_at = NULL")
    conn.execute(f"UPDATE runs SET {', '.join(columns)} WHERE run_id = ?", (*params, run_id))


def delete_run(conn: sqlite3.Connection, run_id: str) -> None:
    conn.execute("DELETE FROM runs WHERE run_id = ?", (run_id,))


class SqliteRunStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get_run(self, run_id: str) -> RunRecord | None:
        return await self._db.run(lambda conn: select_run(conn, run_id))

    async def list_runs(
        self, thread_id: str, *, limit: int, offset: int, status: str | None
    ) -> list[RunRecord]:
        def list_(conn: sqlite3.Connection) -> list[RunRecord]:
            sql = "SELECT * FROM runs WHERE thread_id = ?"
            params: list[Any] = [thread_id]
            if status:
                sql += " AND status = ?"
                params.append(status)
            sql += " ORDER BY created_at DESC, run_id DESC LIMIT ? OFFSET ?"
            return [run_from_row(r) for r in conn.execute(sql, (*params, limit, offset))]

        return await self._db.run(list_)

    async def find_inflight(
        self, *, thread_id: str | None, run_ids: Sequence[str] | None, status: str | None
    ) -> list[RunRecord]:
        def find(conn: sqlite3.Connection) -> list[RunRecord]:
            sql = "SELECT * FROM runs WHERE status IN ('pending', 'running')"
            params: list[Any] = []
            if thread_id is not None:
                sql += " AND thread_id = ?"
                params.append(thread_id)
            if run_ids is not None:
                sql += f" AND run_id IN ({', '.join('?' * len(run_ids))})"
                params.extend(run_ids)
            if status is not None:
                sql += " AND status = ?"
                params.append(status)
            return [run_from_row(r) for r in conn.execute(sql + " ORDER BY rowid", params)]

        return await self._db.run(find)

    async def claim_runs(self, worker_id: str, lease_seconds: float, limit: int) -> Claims:
        def claim(conn: sqlite3.Connection) -> Claims:
            claimed: list[Claimed] = []
            while len(claimed) < limit:
                row = conn.execute(
                    f"""
                    SELECT r.run_id, t.metadata FROM runs AS r
                    LEFT JOIN threads AS t ON t.thread_id = r.thread_id
                    WHERE r.status = 'pending' AND r.available_at <= {SQL_NOW}
                      AND NOT EXISTS (SELECT 1 FROM runs AS o WHERE o.thread_id = r.thread_id AND o.status = 'running')
                      AND NOT EXISTS (
                          SELECT 1 FROM runs AS p
                          WHERE p.thread_id = r.thread_id AND p.status = 'pending' AND p.rowid < r.rowid)
                    ORDER BY r.available_at, r.rowid LIMIT 1
                    """
                ).fetchone()
                if row is None:
                    break
                conn.execute(
                    "UPDATE runs SET status = 'running', attempt = attempt + 1, lease_owner = ?,"
                    f" lease_expires_at = {SQL_NOW} + ?, updated_at = ? WHERE run_id = ?",
                    (worker_id, lease_seconds, now_iso(), row[0]),
                )
                run = select_run(conn, row[0])
                assert run is not None
                claimed.append(Claimed(run, from_json(row[1]) or {}))
            next_in = conn.execute(
                f"SELECT MIN(available_at) - {SQL_NOW} FROM runs"
                f" WHERE status = 'pending' AND available_at > {SQL_NOW}"
            ).fetchone()[0]
            return Claims(claimed, None if next_in is None else max(0.0, float(next_in)))

        return await self._db.transaction(claim)

    async def renew_lease(
        self, run_id: str, attempt: int, lease_seconds: float
    ) -> RunRecord | None:
        def renew(conn: sqlite3.Connection) -> RunRecord | None:
            updated = conn.execute(
                f"UPDATE runs SET lease_expires_at = {SQL_NOW} + ?"
                " WHERE run_id = ? AND attempt = ? AND status = 'running'",
                (lease_seconds, run_id, attempt),
            ).rowcount
            return select_run(conn, run_id) if updated else None

        return await self._db.transaction(renew)

    async def release_run(self, run: RunRecord) -> bool:
        def release(conn: sqlite3.Connection) -> bool:
            updated = conn.execute(
                "UPDATE runs SET status = 'pending', lease_owner = NULL, lease_expires_at = NULL,"
                " updated_at = ? WHERE run_id = ? AND attempt = ? AND status = 'running'",
                (now_iso(), run.run_id, run.attempt),
            ).rowcount
            return bool(updated)

        return await self._db.transaction(release)

    async def hold_presence(self, worker_id: str) -> asyncio.Event | None:
        return None  # one process owns every run: nothing to detect

    async def drop_presence(self, worker_id: str) -> None:
        return None

    async def requeue_expired(self, *, absent_for: float = math.inf) -> list[RunRecord]:
        return await self._requeue(f"AND lease_expires_at <= {SQL_NOW}")

    async def requeue_all_running(self) -> list[RunRecord]:
        return await self._requeue("")

    async def _requeue(self, condition: str) -> list[RunRecord]:
        def requeue(conn: sqlite3.Connection) -> list[RunRecord]:
            rows = conn.execute(
                f"UPDATE runs SET status = 'pending', lease_owner = NULL, lease_expires_at = NULL,"
                f" updated_at = ? WHERE status = 'running' {condition} RETURNING *",
                (now_iso(),),
            ).fetchall()
            return [run_from_row(r) for r in rows]

        return await self._db.transaction(requeue)

    async def queue_stats(self) -> QueueStats:
        def stats(conn: sqlite3.Connection) -> QueueStats:
            row = conn.execute(
                "SELECT SUM(status = 'pending'), SUM(status = 'running') FROM runs"
            ).fetchone()
            return QueueStats(pending=row[0] or 0, running=row[1] or 0)

        return await self._db.run(stats)
