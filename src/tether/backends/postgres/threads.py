"""Threads in PostgreSQL, and the thread transaction: an advisory lock per thread
serialises every unit of work on one thread across processes (even while the thread
row does not exist yet), and run rows are locked as they are read.

A transaction runs in pipeline mode, so its statements cost round trips only where a
result is needed: the lock, the thread and its in-flight runs (and, if named, a run and
an assistant) are asked for together as it opens (nearly every transition reads them
first), and writes are sent without waiting until the commit. A typical admission or run
end is two round trips, not seven."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import AsyncConnection, AsyncCursor
from psycopg.pq import TransactionStatus

from tether.backends import rows
from tether.backends.postgres.assistants import assistant_from_row
from tether.backends.postgres.database import Pool
from tether.backends.postgres.events import PostgresEventLog, Written
from tether.backends.postgres.queries import json_filter, json_param, where
from tether.backends.postgres.runs import (
    SELECT_INFLIGHT,
    delete_run,
    insert_run,
    run_from_row,
    select_inflight,
    update_run,
)
from tether.backends.postgres.webhooks import insert_webhook
from tether.ports import ThreadTransaction, WebhookDelivery
from tether.records import NewEvent, RunRecord, ThreadRecord, now_iso

#: A transaction left open (by a failed statement, or a commit never sent).
_OPEN = (TransactionStatus.INTRANS, TransactionStatus.INERROR)
_SORTABLE = {"thread_id", "status", "created_at", "updated_at", "state_updated_at"}
_JSON_FIELDS = {"metadata", "config", "values", "interrupts", "error", "ttl"}
_FIELDS = {"created_at", "updated_at", "state_updated_at", "status", *_JSON_FIELDS}


def thread_from_row(row: dict[str, Any]) -> ThreadRecord:
    return rows.thread_from_row(row, rows.as_decoded)


async def insert_thread(conn: AsyncConnection[Any], thread: ThreadRecord) -> None:
    await conn.execute(
        "INSERT INTO threads (thread_id, created_at, updated_at, state_updated_at, metadata,"
        ' status, config, "values", interrupts, error, ttl)'
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (
            thread.thread_id,
            thread.created_at,
            thread.updated_at,
            thread.state_updated_at,
            json_param(thread.metadata),
            thread.status,
            json_param(thread.config),
            None if thread.values is None else json_param(thread.values),
            json_param(thread.interrupts),
            None if thread.error is None else json_param(thread.error),
            None if thread.ttl is None else json_param(thread.ttl),
        ),
    )


async def select_thread(
    conn: AsyncConnection[Any], thread_id: str, *, lock: bool = False
) -> ThreadRecord | None:
    cur = await conn.execute(
        "SELECT * FROM threads WHERE thread_id = %s" + (" FOR UPDATE" if lock else ""),
        (thread_id,),
    )
    row = await cur.fetchone()
    return None if row is None else thread_from_row(row)


#: A run of the thread, locked until the transaction ends.
_SELECT_RUN = "SELECT * FROM runs WHERE run_id = %s AND thread_id = %s FOR UPDATE"
_SELECT_ASSISTANT = "SELECT * FROM assistants WHERE assistant_id = %s"


@dataclass
class _Opening:
    """What a transaction asked for as it opened: the thread, its in-flight runs and, if
    named, a run (locked), fetched together on first use."""

    thread: AsyncCursor[Any]
    inflight: AsyncCursor[Any]
    run_id: str | None
    run: AsyncCursor[Any] | None
    rows: tuple[list[Any], list[Any], list[Any]] | None = None

    async def fetch(self) -> tuple[list[Any], list[Any], list[Any]]:
        if self.rows is None:
            run = [] if self.run is None else await self.run.fetchall()
            self.rows = (await self.thread.fetchall(), await self.inflight.fetchall(), run)
        return self.rows


class PostgresThreadTransaction:
    """Statements go out in pipeline mode. What was read as the transaction opened is
    served until the transaction first writes (under the thread's lock nothing else
    changes it, claims aside, which a read a moment later could not rule out either);
    after a write, reads ask again. A run read as it opened stays locked to the end."""

    def __init__(
        self,
        conn: AsyncConnection[Any],
        events: PostgresEventLog,
        thread_id: str,
        opening: _Opening,
        assistant: tuple[str, AsyncCursor[Any]] | None = None,
    ) -> None:
        self._conn = conn
        self._events = events
        self.thread_id = thread_id
        #: Run logs ended in the transaction: readers hear of them once it has committed.
        self.ended_logs: list[tuple[str, Written]] = []
        #: None once the transaction has written a thread or a run.
        self._opening: _Opening | None = opening
        #: Whether anything was written.
        self.wrote = False
        #: An assistant asked for as the transaction opened, until read.
        self._assistant = assistant

    def _wrote(self) -> None:
        self._opening = None
        self.wrote = True

    async def get_thread(self) -> ThreadRecord | None:
        if self._opening is None:
            return await select_thread(self._conn, self.thread_id)
        found, _, _ = await self._opening.fetch()
        return thread_from_row(found[0]) if found else None

    async def insert_thread(self, thread: ThreadRecord) -> None:
        self._wrote()
        await insert_thread(self._conn, thread)

    async def update_thread(self, changes: dict[str, Any]) -> None:
        if not changes:
            return
        unknown = set(changes) - _FIELDS
        if unknown:
            raise ValueError(f"thread fields that cannot be updated: {sorted(unknown)}")
        self._wrote()
        changes = {"updated_at": now_iso(), **changes}
        columns = ", ".join(f'"{name}" = %s' for name in changes)
        params = [
            (None if value is None else json_param(value)) if name in _JSON_FIELDS else value
            for name, value in changes.items()
        ]
        await self._conn.execute(
            f"UPDATE threads SET {columns} WHERE thread_id = %s", (*params, self.thread_id)
        )

    async def delete_thread(self) -> bool:
        self._wrote()
        conn, thread_id = self._conn, self.thread_id
        await conn.execute("DELETE FROM runs WHERE thread_id = %s", (thread_id,))
        await conn.execute("DELETE FROM crons WHERE thread_id = %s", (thread_id,))
        cur = await conn.execute(
            "DELETE FROM threads WHERE thread_id = %s RETURNING thread_id", (thread_id,)
        )
        return await cur.fetchone() is not None

    async def inflight_runs(self) -> list[RunRecord]:
        if self._opening is None:
            return await select_inflight(self._conn, self.thread_id)
        _, inflight, _ = await self._opening.fetch()
        return [run_from_row(r) for r in inflight]

    async def get_run(self, run_id: str) -> RunRecord | None:
        # Locked: a claim of this run finishes before, or waits until we commit.
        if self._opening is not None and run_id == self._opening.run_id:
            _, _, found = await self._opening.fetch()
        else:
            cur = await self._conn.execute(_SELECT_RUN, (run_id, self.thread_id))
            found = await cur.fetchall()
        return run_from_row(found[0]) if found else None

    async def get_assistant(self, assistant_id: str) -> dict[str, Any] | None:
        if self._assistant is not None and self._assistant[0] == assistant_id:
            cursor = self._assistant[1]
            self._assistant = None
        else:
            cursor = await self._conn.execute(_SELECT_ASSISTANT, (assistant_id,))
        found = await cursor.fetchall()
        return assistant_from_row(found[0]) if found else None

    async def insert_run(self, run: RunRecord) -> None:
        self._wrote()
        await insert_run(self._conn, run)

    async def update_run(self, run_id: str, changes: dict[str, Any]) -> None:
        self._wrote()
        await update_run(self._conn, run_id, changes)

    async def delete_run(self, run_id: str) -> None:
        self._wrote()
        await delete_run(self._conn, run_id)

    async def add_webhook(self, delivery: WebhookDelivery) -> None:
        self.wrote = True
        await insert_webhook(self._conn, delivery)

    async def end_run_log(
        self, run_id: str, events: Sequence[NewEvent], *, retain_seconds: float
    ) -> None:
        self.wrote = True
        written = await self._events.write_on(
            self._conn, self.thread_id, run_id, events, None, retain_seconds
        )
        self.ended_logs.append((run_id, written))


class PostgresThreadStore:
    def __init__(self, pool: Pool, events: PostgresEventLog) -> None:
        self._pool = pool
        self._events = events

    @asynccontextmanager
    async def transaction(
        self, thread_id: str, *, run_id: str | None = None, assistant_id: str | None = None
    ) -> AsyncIterator[ThreadTransaction]:
        async with self._pool.connection() as conn:
            try:
                async with conn.pipeline():
                    # BEGIN and COMMIT go out as plain statements of the one pipeline:
                    # psycopg's `transaction()` syncs the pipeline after BEGIN and again
                    # before COMMIT, two round trips more per transaction.
                    await conn.execute("BEGIN", prepare=False)
                    await conn.execute(
                        "SELECT pg_advisory_xact_lock(hashtextextended(%s, 7))", (thread_id,)
                    )
                    thread = await conn.execute(
                        "SELECT * FROM threads WHERE thread_id = %s", (thread_id,)
                    )
                    inflight = await conn.execute(SELECT_INFLIGHT, (thread_id,))
                    run = (
                        None
                        if run_id is None
                        else await conn.execute(_SELECT_RUN, (run_id, thread_id))
                    )
                    assistant = (
                        None
                        if assistant_id is None
                        else (assistant_id, await conn.execute(_SELECT_ASSISTANT, (assistant_id,)))
                    )
                    # The server answers what it has been sent so far without waiting for
                    # the commit: the answers travel while the caller works.
                    conn.pgconn.send_flush_request()
                    conn.pgconn.flush()  # what does not fit now goes with the next statement
                    tx = PostgresThreadTransaction(
                        conn,
                        self._events,
                        thread_id,
                        _Opening(thread, inflight, run_id, run),
                        assistant,
                    )
                    try:
                        yield tx
                    except BaseException as exc:
                        # Nothing written, no statement failed: COMMIT ends it as a ROLLBACK
                        # would, without making psycopg drop the connection's prepared
                        # statements (it does on every ROLLBACK).
                        if not tx.wrote and not isinstance(exc, psycopg.Error):
                            await conn.execute("COMMIT", prepare=False)
                        raise
                    await conn.execute("COMMIT", prepare=False)
                # Committed (the pipeline's end waited for every answer): what was stored.
                for _, written in tx.ended_logs:
                    await written.batch()
            finally:
                # Left open by an error: rolled back the way psycopg keeps track of it.
                # (A connection cut short mid-exchange is not ours to mend: the pool drops it.)
                if conn.info.transaction_status in _OPEN:
                    with contextlib.suppress(psycopg.Error):
                        await conn.rollback()
        for ended, written in tx.ended_logs:
            await self._events.announce(thread_id, ended, written)

    async def create_thread(self, thread: ThreadRecord, *, if_exists: str) -> ThreadRecord | None:
        async with self.transaction(thread.thread_id) as tx:
            found = await tx.get_thread()
            if found is not None:
                return found if if_exists == "do_nothing" else None
            await tx.insert_thread(thread)
            return thread

    async def get_thread(self, thread_id: str) -> ThreadRecord | None:
        async with self._pool.connection() as conn:
            return await select_thread(conn, thread_id)

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
            clauses.append("thread_id = ANY(%s)")
            params.append(list(ids))
        if status:
            clauses.append("status = %s")
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
        query = (
            f"SELECT * FROM threads{where(clauses)}"
            f" ORDER BY {column} {order}, thread_id {order} LIMIT %s OFFSET %s"
        )
        async with self._pool.connection() as conn:
            cur = await conn.execute(query, (*params, limit, offset))
            return [thread_from_row(r) for r in await cur.fetchall()]

    async def count_threads(
        self, *, metadata: dict[str, Any] | None, values: dict[str, Any] | None, status: str | None
    ) -> int:
        clauses, params = self._filters(None, metadata, values, status)
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                f"SELECT COUNT(*) AS n FROM threads{where(clauses)}",
                params,
            )
            row = await cur.fetchone()
            return int(row["n"]) if row else 0

    async def expired_threads(self, limit: int = 100) -> list[ThreadRecord]:
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "SELECT * FROM threads WHERE ttl IS NOT NULL AND status <> 'busy'"
                " AND (ttl::jsonb ->> 'ttl') IS NOT NULL"
                " AND extract(epoch from (clock_timestamp() - updated_at::timestamptz)) / 60.0"
                "     > (ttl::jsonb ->> 'ttl')::double precision"
                " LIMIT %s",
                (limit,),
            )
            return [thread_from_row(r) for r in await cur.fetchall()]
