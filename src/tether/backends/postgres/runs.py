"""Runs and the run queue in PostgreSQL: claims with `FOR UPDATE SKIP LOCKED`, leases on
the database's clock, queue order by an identity column, fencing by attempt, and a
partial unique index so a thread never has two running runs."""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg import AsyncConnection

from tether.backends import rows
from tether.backends.postgres.database import SQL_NOW, Pool
from tether.backends.postgres.queries import json_param
from tether.ports import Claimed, Claims, QueueStats
from tether.records import RunRecord, now_iso
from tether.tasks import cancel_and_wait

_FINAL = ("success", "error", "timeout", "interrupted")
_JSON_FIELDS = {"metadata", "kwargs", "result", "assistant"}
_WRITABLE = {"status", "result", "cancel_action", "cancel_reason", "metadata", "kwargs"}


def run_from_row(row: dict[str, Any]) -> RunRecord:
    return rows.run_from_row(row, rows.as_decoded)


#: A thread's runs in flight, in queue order.
SELECT_INFLIGHT = (
    "SELECT * FROM runs WHERE thread_id = %s AND status IN ('pending', 'running')"
    " ORDER BY queue_seq"
)


async def select_inflight(conn: AsyncConnection[Any], thread_id: str) -> list[RunRecord]:
    cur = await conn.execute(SELECT_INFLIGHT, (thread_id,))
    return [run_from_row(r) for r in await cur.fetchall()]


async def insert_run(conn: AsyncConnection[Any], run: RunRecord) -> None:
    available = f"{SQL_NOW} + %s" if run.delay_seconds > 0 else "%s"
    await conn.execute(
        "INSERT INTO runs (run_id, thread_id, assistant_id, graph_id, status, metadata, kwargs,"
        " multitask_strategy, created_at, updated_at, attempt, on_completion, assistant,"
        f" trace_context, available_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, {available})",
        (
            run.run_id,
            run.thread_id,
            run.assistant_id,
            run.graph_id,
            run.status,
            json_param(run.metadata),
            json_param(run.kwargs),
            run.multitask_strategy,
            run.created_at,
            run.updated_at,
            run.attempt,
            run.on_completion,
            json_param(run.assistant),
            None if run.trace_context is None else json_param(run.trace_context),
            run.delay_seconds if run.delay_seconds > 0 else 0.0,
        ),
    )


async def update_run(conn: AsyncConnection[Any], run_id: str, changes: dict[str, Any]) -> None:
    unknown = set(changes) - _WRITABLE
    if unknown:
        raise ValueError(f"run fields that cannot be updated: {sorted(unknown)}")
    columns = [f"{name} = %s" for name in changes]
    params: list[Any] = [
        (None if v is None else json_param(v)) if k in _JSON_FIELDS else v
        for k, v in changes.items()
    ]
    columns.append("updated_at = %s")
    params.append(now_iso())
    if changes.get("status") in _FINAL:
        columns.append(
            f"ended_at = {SQL_NOW}, lease_owner = NULL, lease_expires_at = NULL, lease_lock = NULL"
        )
    await conn.execute(
        f"UPDATE runs SET {', '.join(columns)} WHERE run_id = %s",
        (*params, run_id),
    )


async def delete_run(conn: AsyncConnection[Any], run_id: str) -> None:
    await conn.execute("DELETE FROM runs WHERE run_id = %s", (run_id,))


_CLAIM = f"""
WITH candidate AS (
    SELECT r.run_id FROM runs AS r
    WHERE r.status = 'pending' AND r.available_at <= {SQL_NOW}
      AND NOT EXISTS (
          SELECT 1 FROM runs AS o WHERE o.thread_id = r.thread_id AND o.status = 'running')
      AND NOT EXISTS (
          SELECT 1 FROM runs AS p
          WHERE p.thread_id = r.thread_id AND p.status = 'pending' AND p.queue_seq < r.queue_seq)
    ORDER BY r.available_at, r.queue_seq
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
), claimed AS (
    UPDATE runs SET status = 'running', attempt = attempt + 1, lease_owner = %(worker)s,
        lease_expires_at = {SQL_NOW} + %(lease)s, updated_at = %(now)s, lease_lock = %(lock)s
    FROM candidate WHERE runs.run_id = candidate.run_id AND runs.status = 'pending'
    RETURNING runs.*
), upcoming AS (
    SELECT MIN(available_at) - {SQL_NOW} AS next_in FROM runs
    WHERE status = 'pending' AND available_at > {SQL_NOW}
)
SELECT claimed.*, threads.metadata AS thread_metadata, upcoming.next_in AS claim_next_in
FROM upcoming
LEFT JOIN claimed ON TRUE
LEFT JOIN threads ON threads.thread_id = claimed.thread_id
ORDER BY claimed.available_at, claimed.queue_seq
"""


#: The seed of `hashtextextended` for presence-mark lock keys (thread locks use 7).
_PRESENCE_SEED = 11
#: A run's presence mark is missing: no session holds its advisory lock in this database.
_MARK_MISSING = """NOT EXISTS (
    SELECT 1 FROM pg_locks AS l
    WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
      AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
      AND ((l.classid::bigint << 32) | l.objid::bigint) = runs.lease_lock)"""


class _Mark:
    """A worker's presence mark: a session advisory lock on a connection of its own,
    watched so that losing it is known at once."""

    def __init__(self, conn: AsyncConnection[Any], key: int) -> None:
        self.conn, self.key = conn, key
        self.lost = asyncio.Event()
        self.watch = asyncio.create_task(self._watch(), name="tether-presence")

    async def _watch(self) -> None:
        # Nothing is listened to: the wait ends only when the connection does (the server
        # went away, or the session was terminated), which drops the lock with it.
        with contextlib.suppress(Exception):
            async for _ in self.conn.notifies():
                pass
        self.lost.set()

    async def close(self) -> None:
        await cancel_and_wait(self.watch)
        await self.conn.close()


class PostgresRunStore:
    def __init__(self, pool: Pool, url: str) -> None:
        self._pool = pool
        #: Presence marks live on connections of their own, outside the pool.
        self._url = url
        #: This process's presence marks, by worker id.
        self._marks: dict[str, _Mark] = {}
        #: Lock keys of runs' marks seen missing, and since when (monotonic).
        self._missing_since: dict[int, float] = {}

    async def hold_presence(self, worker_id: str) -> asyncio.Event | None:
        await self.drop_presence(worker_id)
        conn = await AsyncConnection.connect(
            self._url,
            autocommit=True,
            application_name=f"tether presence {worker_id}"[:63],
            connect_timeout=10,  # an unreachable host fails, so the worker can fence its runs
        )
        try:
            cur = await conn.execute(
                "SELECT key, pg_advisory_lock(key)"
                " FROM (SELECT hashtextextended(%s, %s) AS key) AS k",
                (worker_id, _PRESENCE_SEED),
            )
            row = await cur.fetchone()
            assert row is not None
        except BaseException:
            await conn.close()
            raise
        mark = self._marks[worker_id] = _Mark(conn, int(row[0]))
        return mark.lost

    async def drop_presence(self, worker_id: str) -> None:
        mark = self._marks.pop(worker_id, None)
        if mark is not None:
            await mark.close()

    def _lock_of(self, worker_id: str) -> int | None:
        mark = self._marks.get(worker_id)
        return None if mark is None or mark.lost.is_set() else mark.key

    async def get_run(self, run_id: str) -> RunRecord | None:
        async with self._pool.connection() as conn:
            cur = await conn.execute("SELECT * FROM runs WHERE run_id = %s", (run_id,))
            row = await cur.fetchone()
            return None if row is None else run_from_row(row)

    async def list_runs(
        self, thread_id: str, *, limit: int, offset: int, status: str | None
    ) -> list[RunRecord]:
        query = "SELECT * FROM runs WHERE thread_id = %s"
        params: list[Any] = [thread_id]
        if status:
            query += " AND status = %s"
            params.append(status)
        query += " ORDER BY created_at DESC, run_id DESC LIMIT %s OFFSET %s"
        async with self._pool.connection() as conn:
            cur = await conn.execute(query, (*params, limit, offset))
            return [run_from_row(r) for r in await cur.fetchall()]

    async def find_inflight(
        self, *, thread_id: str | None, run_ids: Sequence[str] | None, status: str | None
    ) -> list[RunRecord]:
        query = "SELECT * FROM runs WHERE status IN ('pending', 'running')"
        params: list[Any] = []
        if thread_id is not None:
            query += " AND thread_id = %s"
            params.append(thread_id)
        if run_ids is not None:
            query += " AND run_id = ANY(%s)"
            params.append(list(run_ids))
        if status is not None:
            query += " AND status = %s"
            params.append(status)
        async with self._pool.connection() as conn:
            cur = await conn.execute(query + " ORDER BY queue_seq", params)
            return [run_from_row(r) for r in await cur.fetchall()]

    async def claim_runs(self, worker_id: str, lease_seconds: float, limit: int) -> Claims:
        params = {
            "limit": limit,
            "worker": worker_id,
            "lease": lease_seconds,
            "now": now_iso(),
            "lock": self._lock_of(worker_id),
        }
        for attempt in range(3):
            try:
                async with self._pool.connection() as conn:
                    cur = await conn.execute(_CLAIM, params)
                    found = await cur.fetchall()
                break
            except psycopg.errors.UniqueViolation:
                # Another claim started one of these threads' runs an instant before:
                # look again (the last time, for one run only).
                if attempt == 1:
                    params["limit"] = 1
        else:
            return Claims([], None)
        next_in = found[0]["claim_next_in"] if found else None
        claimed = [
            Claimed(run_from_row(row), row["thread_metadata"] or {})
            for row in found
            if row["run_id"] is not None
        ]
        return Claims(claimed, None if next_in is None else max(0.0, float(next_in)))

    async def renew_lease(
        self, run_id: str, attempt: int, lease_seconds: float
    ) -> RunRecord | None:
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                f"UPDATE runs SET lease_expires_at = {SQL_NOW} + %s"
                " WHERE run_id = %s AND attempt = %s AND status = 'running' RETURNING *",
                (lease_seconds, run_id, attempt),
            )
            row = await cur.fetchone()
            return None if row is None else run_from_row(row)

    async def release_run(self, run: RunRecord) -> bool:
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "UPDATE runs SET status = 'pending', lease_owner = NULL, lease_expires_at = NULL,"
                " lease_lock = NULL, updated_at = %s"
                " WHERE run_id = %s AND attempt = %s AND status = 'running'",
                (now_iso(), run.run_id, run.attempt),
            )
            return cur.rowcount > 0

    async def requeue_expired(self, *, absent_for: float = math.inf) -> list[RunRecord]:
        requeued = await self._requeue(f"AND lease_expires_at <= {SQL_NOW}")
        if math.isinf(absent_for):
            return requeued
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "SELECT DISTINCT lease_lock FROM runs WHERE status = 'running'"
                f" AND lease_lock IS NOT NULL AND {_MARK_MISSING}"
            )
            missing = {int(row["lease_lock"]) for row in await cur.fetchall()}
        now = time.monotonic()
        self._missing_since = {k: self._missing_since.get(k, now) for k in missing}
        gone = [k for k, since in self._missing_since.items() if now - since >= absent_for]
        if gone:
            # Still missing as the runs are taken: a worker that came back keeps its runs.
            requeued += await self._requeue(f"AND lease_lock = ANY(%s) AND {_MARK_MISSING}", [gone])
            for key in gone:
                self._missing_since.pop(key, None)
        return requeued

    async def requeue_all_running(self) -> list[RunRecord]:
        return await self._requeue("")

    async def _requeue(self, condition: str, params: Sequence[Any] = ()) -> list[RunRecord]:
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "UPDATE runs SET status = 'pending', lease_owner = NULL, lease_expires_at = NULL,"
                f" lease_lock = NULL, updated_at = %s WHERE status = 'running' {condition}"
                " RETURNING *",
                (now_iso(), *params),
            )
            return [run_from_row(r) for r in await cur.fetchall()]

    async def queue_stats(self) -> QueueStats:
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "SELECT COUNT(*) FILTER (WHERE status = 'pending') AS pending,"
                " COUNT(*) FILTER (WHERE status = 'running') AS running"
                " FROM runs WHERE status IN ('pending', 'running')"
            )
            row = await cur.fetchone()
            return QueueStats(
                pending=int(row["pending"]) if row else 0,
                running=int(row["running"]) if row else 0,
            )
