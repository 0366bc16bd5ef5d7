"""Runs and the run queue in SQLite: admission, claims with leases, fencing by attempt."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from typing import Any

from tether.backends.sqlite.database import Database
from tether.backends.sqlite.queries import from_json, to_json
from tether.backends.sqlite.threads import insert_thread, select_thread, write_thread_changes
from tether.ports import AdmissionRule, AdmitResult, CancelResult, QueueStats
from tether.records import RunRecord, ThreadRecord, now_iso

INFLIGHT = ("pending", "running")


def run_from_row(row: sqlite3.Row) -> RunRecord:
    return RunRecord(
        run_id=row["run_id"],
        thread_id=row["thread_id"],
        assistant_id=row["assistant_id"],
        graph_id=row["graph_id"],
        status=row["status"],
        metadata=from_json(row["metadata"]),
        kwargs=from_json(row["kwargs"]),
        multitask_strategy=row["multitask_strategy"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        attempt=row["attempt"],
        available_at=row["available_at"],
        on_completion=row["on_completion"],
        cancel_action=row["cancel_action"],
        cancel_reason=row["cancel_reason"],
        result=from_json(row["result"]),
        ended_at=row["ended_at"],
        assistant=from_json(row["assistant"]),
    )


def _select_run(conn: sqlite3.Connection, run_id: str) -> RunRecord | None:
    row = conn.execute("SELECT * FROM runs WHERE run_id = ?", (run_id,)).fetchone()
    return None if row is None else run_from_row(row)


def _inflight(
    conn: sqlite3.Connection, thread_id: str, *, excluding: str | None = None
) -> list[RunRecord]:
    rows = conn.execute(
        # Without the hint SQLite walks every run of the thread (by created_at) to find the few in flight.
        "SELECT * FROM runs INDEXED BY runs_thread_status"
        " WHERE thread_id = ? AND status IN ('pending', 'running') AND run_id IS NOT ?"
        " ORDER BY created_at, run_id",
        (thread_id, excluding),
    )
    return [run_from_row(r) for r in rows]


def _settle_thread_status(
    conn: sqlite3.Connection, thread_id: str, status: str, changes: dict[str, Any]
) -> None:
    """The thread is busy while any run on it is in flight; otherwise it takes `status`."""
    busy = bool(_inflight(conn, thread_id))
    write_thread_changes(conn, thread_id, {**changes, "status": "busy" if busy else status})


def _resting_status(conn: sqlite3.Connection, thread_id: str) -> str:
    thread = select_thread(conn, thread_id)
    if thread is None:
        return "idle"
    if thread.error is not None and thread.status == "error":
        return "error"
    return "interrupted" if thread.interrupts else "idle"


def _cancel(
    conn: sqlite3.Connection, runs: list[RunRecord], action: str, reason: str
) -> CancelResult:
    result = CancelResult()
    now = time.time()
    touched: set[str] = set()
    for run in runs:
        if run.status == "pending":
            if action == "rollback":
                conn.execute("DELETE FROM runs WHERE run_id = ?", (run.run_id,))
            else:
                conn.execute(
                    "UPDATE runs SET status = 'interrupted', cancel_action = ?, cancel_reason = ?,"
                    " ended_at = ?, updated_at = ? WHERE run_id = ?",
                    (action, reason, now, now_iso(), run.run_id),
                )
            run.status = "interrupted"
            run.ended_at = now
            result.ended.append(run)
            touched.add(run.thread_id)
        else:
            conn.execute(
                "UPDATE runs SET cancel_action = ?, cancel_reason = ?, updated_at = ? WHERE run_id = ?",
                (action, reason, now_iso(), run.run_id),
            )
            run.cancel_action, run.cancel_reason = action, reason
            result.flagged.append(run)
    for thread_id in touched:
        _settle_thread_status(conn, thread_id, _resting_status(conn, thread_id), {})
    return result


class SqliteRunStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def admit_run(
        self, run: RunRecord, rule: AdmissionRule, *, create_thread: ThreadRecord | None
    ) -> AdmitResult:
        def admit(conn: sqlite3.Connection) -> AdmitResult:
            thread = select_thread(conn, run.thread_id)
            if thread is None:
                if create_thread is None:
                    return AdmitResult(run=None, thread_found=False)
                insert_thread(conn, create_thread)
                thread = create_thread
            admission = rule(thread, _inflight(conn, run.thread_id))
            if admission.reject:
                return AdmitResult(run=None, rejected=True)
            to_cancel = [r for r in _inflight(conn, run.thread_id) if r.run_id in admission.cancel]
            cancelled = _cancel(
                conn, to_cancel, admission.cancel_action, f"multitask:{run.multitask_strategy}"
            )
            conn.execute(
                "INSERT INTO runs (run_id, thread_id, assistant_id, graph_id, status, metadata, kwargs,"
                " multitask_strategy, created_at, updated_at, attempt, available_at, on_completion, assistant)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                    run.available_at,
                    run.on_completion,
                    to_json(run.assistant),
                ),
            )
            current = select_thread(conn, run.thread_id)
            changes: dict[str, Any] = {"status": "busy"}
            if current is not None and "graph_id" not in current.metadata:
                changes["metadata"] = {"graph_id": run.graph_id, "assistant_id": run.assistant_id}
            if current is not None and "configurable" not in current.config:
                changes["config"] = {**current.config, "configurable": {}}
            write_thread_changes(conn, run.thread_id, changes)
            return AdmitResult(run=run, cancelled=cancelled)

        return await self._db.transaction(admit)

    async def get_run(self, run_id: str) -> RunRecord | None:
        return await self._db.run(lambda conn: _select_run(conn, run_id))

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

    async def delete_run(self, run_id: str) -> bool:
        def delete(conn: sqlite3.Connection) -> bool:
            return conn.execute("DELETE FROM runs WHERE run_id = ?", (run_id,)).rowcount > 0

        return await self._db.transaction(delete)

    async def claim_run(self, worker_id: str, lease_seconds: float) -> RunRecord | None:
        def claim(conn: sqlite3.Connection) -> RunRecord | None:
            now = time.time()
            row = conn.execute(
                """
                SELECT run_id FROM runs AS r
                WHERE r.status = 'pending' AND r.available_at <= ?
                  AND NOT EXISTS (SELECT 1 FROM runs AS o WHERE o.thread_id = r.thread_id AND o.status = 'running')
                  AND NOT EXISTS (
                      SELECT 1 FROM runs AS p WHERE p.thread_id = r.thread_id AND p.status = 'pending'
                        AND (p.created_at < r.created_at OR (p.created_at = r.created_at AND p.run_id < r.run_id)))
                ORDER BY r.available_at, r.created_at LIMIT 1
                """,
                (now,),
            ).fetchone()
            if row is None:
                return None
            conn.execute(
                "UPDATE runs SET status = 'running', attempt = attempt + 1, lease_owner = ?,"
                " lease_expires_at = ?, updated_at = ? WHERE run_id = ?",
                (worker_id, now + lease_seconds, now_iso(), row[0]),
            )
            run = _select_run(conn, row[0])
            assert run is not None
            # The thread's state is read with the graph of the run that last ran on it.
            write_thread_changes(
                conn,
                run.thread_id,
                {"metadata": {"graph_id": run.graph_id, "assistant_id": run.assistant_id}},
            )
            return run

        return await self._db.transaction(claim)

    async def renew_lease(
        self, run_id: str, attempt: int, lease_seconds: float
    ) -> RunRecord | None:
        def renew(conn: sqlite3.Connection) -> RunRecord | None:
            updated = conn.execute(
                "UPDATE runs SET lease_expires_at = ? WHERE run_id = ? AND attempt = ? AND status = 'running'",
                (time.time() + lease_seconds, run_id, attempt),
            ).rowcount
            return _select_run(conn, run_id) if updated else None

        return await self._db.transaction(renew)

    async def finish_run(
        self,
        run: RunRecord,
        *,
        status: str,
        result: Any,
        thread_changes: dict[str, Any],
        delete_run: bool = False,
        delete_thread: bool = False,
    ) -> bool:
        def finish(conn: sqlite3.Connection) -> bool:
            current = conn.execute(
                "SELECT attempt, status FROM runs WHERE run_id = ?", (run.run_id,)
            ).fetchone()
            if (
                current is None
                or current["attempt"] != run.attempt
                or current["status"] != "running"
            ):
                return False  # fenced: another attempt owns the run, or it already ended
            now = time.time()
            if delete_thread:
                conn.execute("DELETE FROM runs WHERE thread_id = ?", (run.thread_id,))
                conn.execute("DELETE FROM threads WHERE thread_id = ?", (run.thread_id,))
                return True
            if delete_run:
                conn.execute("DELETE FROM runs WHERE run_id = ?", (run.run_id,))
            else:
                conn.execute(
                    "UPDATE runs SET status = ?, result = ?, ended_at = ?, updated_at = ?,"
                    " lease_owner = NULL, lease_expires_at = NULL WHERE run_id = ?",
                    (status, to_json(result), now, now_iso(), run.run_id),
                )
            changes = dict(thread_changes)
            thread_status = changes.pop("status", "idle")
            _settle_thread_status(conn, run.thread_id, thread_status, changes)
            return True

        return await self._db.transaction(finish)

    async def request_cancel(
        self,
        *,
        thread_id: str | None,
        run_ids: Sequence[str] | None,
        status: str | None,
        action: str,
        reason: str,
    ) -> CancelResult:
        def cancel(conn: sqlite3.Connection) -> CancelResult:
            sql = "SELECT * FROM runs WHERE status IN ('pending', 'running')"
            params: list[Any] = []
            if thread_id is not None:
                sql += " AND thread_id = ?"
                params.append(thread_id)
            if run_ids is not None:
                sql += f" AND run_id IN ({', '.join('?' * len(run_ids))})"
                params.extend(run_ids)
            if status in INFLIGHT:
                sql += " AND status = ?"
                params.append(status)
            runs = [run_from_row(r) for r in conn.execute(sql, params)]
            return _cancel(conn, runs, action, reason)

        return await self._db.transaction(cancel)

    async def release_run(self, run: RunRecord) -> bool:
        def release(conn: sqlite3.Connection) -> bool:
            updated = conn.execute(
                "UPDATE runs SET status = 'pending', lease_owner = NULL, lease_expires_at = NULL,"
                " updated_at = ? WHERE run_id = ? AND attempt = ? AND status = 'running'",
                (now_iso(), run.run_id, run.attempt),
            ).rowcount
            return bool(updated)

        return await self._db.transaction(release)

    async def requeue_expired(self) -> list[RunRecord]:
        return await self._requeue("AND lease_expires_at < ?", (time.time(),))

    async def requeue_all_running(self) -> list[RunRecord]:
        return await self._requeue("", ())

    async def _requeue(self, condition: str, params: tuple[Any, ...]) -> list[RunRecord]:
        def requeue(conn: sqlite3.Connection) -> list[RunRecord]:
            rows = conn.execute(
                f"UPDATE runs SET status = 'pending', lease_owner = NULL, lease_expires_at = NULL,"
                f" updated_at = ? WHERE status = 'running' {condition} RETURNING *",
                (now_iso(), *params),
            ).fetchall()
            return [run_from_row(r) for r in rows]

        return await self._db.transaction(requeue)

    async def next_available_at(self) -> float | None:
        def next_(conn: sqlite3.Connection) -> float | None:
            value = conn.execute(
                "SELECT MIN(available_at) FROM runs WHERE status = 'pending' AND available_at > ?",
                (time.time(),),
            ).fetchone()[0]
            return None if value is None else float(value)

        return await self._db.run(next_)

    async def queue_stats(self) -> QueueStats:
        def stats(conn: sqlite3.Connection) -> QueueStats:
            row = conn.execute(
                "SELECT SUM(status = 'pending'), SUM(status = 'running') FROM runs"
            ).fetchone()
            return QueueStats(pending=row[0] or 0, running=row[1] or 0)

        return await self._db.run(stats)
