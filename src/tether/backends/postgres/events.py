"""The event log in PostgreSQL, with news of new events over Redis.

Ids are allocated inside the append's transaction from the thread's row in
`event_clocks`, whose lock is held until the append commits: appends to one thread are
serialised, so ids become visible in id order whatever the number of writers and
processes. After the commit the writer publishes "news" on Redis; readers wake on it
and read the log from their cursor. A lost notice costs latency, never an event:
readers look again at least every poll interval.

Readers of one process at the same cursor share one query, so many joiners of a live
run cost one read per batch, not one each.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Sequence
from typing import Any

import psycopg
from psycopg import AsyncConnection

from tether.backends.postgres.database import SQL_NOW, Pool
from tether.backends.redis.bus import RedisBus
from tether.ids import EventId
from tether.ports import LogBounds, WriteOutcomeUnknown
from tether.records import SCOPE_CONTROL, SCOPE_THREAD, NewEvent, StreamEvent

#: Events read per statement; the loop is yielded between pages.
PAGE = 500
#: How long a write whose connection died while committing keeps asking whether it was stored.
_OUTCOME_SECONDS = 10.0

_ALLOCATE = """
INSERT INTO event_clocks AS c (thread_id, ms, seq)
VALUES (%(thread_id)s, (extract(epoch from clock_timestamp()) * 1000)::bigint, %(n)s - 1)
ON CONFLICT (thread_id) DO UPDATE SET
    seq = CASE WHEN EXCLUDED.ms > c.ms THEN EXCLUDED.seq ELSE c.seq + %(n)s END,
    ms = GREATEST(c.ms, EXCLUDED.ms)
RETURNING ms, seq
"""

_INSERT = f"""
INSERT INTO events (thread_id, ms, seq, run_id, event, mode, scope, data, expires_at)
SELECT %(thread_id)s, u.ms, u.seq, %(run_id)s, u.event, u.mode, u.scope, u.data,
       CASE WHEN %(retain)s::double precision IS NULL THEN NULL
            ELSE {SQL_NOW} + %(retain)s::double precision END
FROM unnest(%(ms)s::bigint[], %(seq)s::int[], %(event)s::text[], %(mode)s::text[],
            %(scope)s::smallint[], %(data)s::bytea[]) AS u(ms, seq, event, mode, scope, data)
"""

_COLUMNS = "ms, seq, run_id, event, mode, scope, data"


def _event(row: dict[str, Any]) -> StreamEvent:
    return StreamEvent(
        id=EventId(row["ms"], row["seq"]),
        event=row["event"],
        data=bytes(row["data"]),
        mode=row["mode"],
        run_id=row["run_id"] or "",
        scope=row["scope"],
    )


class PostgresEventLog:
    def __init__(self, pool: Pool, bus: RedisBus, poll_seconds: float) -> None:
        self._pool = pool
        self._bus = bus
        self._poll = max(0.01, poll_seconds)
        self._reads: dict[tuple[str, EventId | None], asyncio.Future[list[StreamEvent]]] = {}

    # -- writing ----------------------------------------------------------------------

    async def _insert(
        self,
        conn: AsyncConnection[Any],
        thread_id: str,
        run_id: str | None,
        events: Sequence[NewEvent],
        retain: float | None,
    ) -> list[StreamEvent]:
        count = len(events)
        cur = await conn.execute(_ALLOCATE, {"thread_id": thread_id, "n": count})
        row = await cur.fetchone()
        assert row is not None
        ms, last_seq = row["ms"], row["seq"]
        logged = [
            StreamEvent(
                EventId(ms, last_seq - count + 1 + i),
                e.event,
                e.data,
                e.mode,
                run_id or "",
                e.scope if run_id is not None else SCOPE_THREAD,
            )
            for i, e in enumerate(events)
        ]
        await conn.execute(
            _INSERT,
            {
                "thread_id": thread_id,
                "run_id": run_id,
                "retain": retain,
                "ms": [e.id.ms for e in logged],
                "seq": [e.id.seq for e in logged],
                "event": [e.event for e in logged],
                "mode": [e.mode for e in logged],
                "scope": [e.scope for e in logged],
                "data": [e.data for e in logged],
            },
        )
        return logged

    async def append(
        self, thread_id: str, run_id: str, events: Sequence[NewEvent]
    ) -> list[StreamEvent]:
        if not events:
            return []
        logged = await self._write(thread_id, run_id, events, None)
        await self._bus.publish_news(f"run:{run_id}", f"thread:{thread_id}")
        return logged

    async def end_run(
        self,
        thread_id: str,
        run_id: str,
        events: Sequence[NewEvent],
        *,
        retain_seconds: float,
    ) -> list[StreamEvent]:
        logged = await self._write(thread_id, run_id, events, None, end_retain=retain_seconds)
        await self._bus.publish_news(f"run:{run_id}", f"thread:{thread_id}")
        return logged

    async def append_thread(
        self, thread_id: str, events: Sequence[NewEvent], *, retain_seconds: float
    ) -> list[StreamEvent]:
        if not events:
            return []
        logged = await self._write(thread_id, None, events, retain_seconds)
        await self._bus.publish_news(f"thread:{thread_id}")
        return logged

    async def _write(
        self,
        thread_id: str,
        run_id: str | None,
        events: Sequence[NewEvent],
        retain: float | None,
        *,
        end_retain: float | None = None,
    ) -> list[StreamEvent]:
        """One all-or-nothing write. If the connection dies during the COMMIT, the batch
        may or may not be stored: look at the log to tell which, so that a caller who
        repeats a failed write never stores it twice."""
        logged: list[StreamEvent] = []
        committing = False
        try:
            async with self._pool.connection() as conn, conn.transaction():
                if events:
                    logged = await self._insert(conn, thread_id, run_id, events, retain)
                if end_retain is not None:
                    await conn.execute(
                        "INSERT INTO run_logs (run_id, thread_id, expires_at, expired)"
                        f" VALUES (%s, %s, {SQL_NOW} + %s, FALSE)"
                        " ON CONFLICT (run_id) DO UPDATE SET"
                        " expires_at = EXCLUDED.expires_at, expired = FALSE",
                        (run_id, thread_id, end_retain),
                    )
                committing = True
        except psycopg.OperationalError:
            if not committing or not logged:
                raise  # failed before the COMMIT (or nothing to find): nothing was stored
            if not await self._stored(thread_id, logged[-1]):
                raise
        return logged

    async def _stored(self, thread_id: str, last: StreamEvent) -> bool:
        """Whether a batch whose COMMIT was cut off is in the log (its last event is:
        the log's ids are never reused by another write of the same run)."""
        deadline = time.monotonic() + _OUTCOME_SECONDS
        while True:
            try:
                async with self._pool.connection() as conn:
                    cur = await conn.execute(
                        "SELECT 1 FROM events WHERE thread_id = %s AND ms = %s AND seq = %s"
                        " AND run_id IS NOT DISTINCT FROM %s AND event = %s",
                        (thread_id, last.id.ms, last.id.seq, last.run_id or None, last.event),
                    )
                    return await cur.fetchone() is not None
            except psycopg.Error as exc:
                if time.monotonic() >= deadline:
                    raise WriteOutcomeUnknown(
                        f"could not learn whether events up to {last.id} were stored: {exc}"
                    ) from exc
                await asyncio.sleep(0.2)

    # -- reading ----------------------------------------------------------------------

    async def _query(
        self, thread_id: str, run_id: str | None, after: EventId | None
    ) -> list[StreamEvent]:
        ms, seq = after if after is not None else (-1, -1)
        async with self._pool.connection() as conn:
            if run_id is not None:
                cur = await conn.execute(
                    f"SELECT {_COLUMNS} FROM events WHERE run_id = %s AND (ms, seq) > (%s, %s)"
                    " AND scope <> %s ORDER BY ms, seq LIMIT %s",
                    (run_id, ms, seq, SCOPE_THREAD, PAGE),
                )
            else:
                cur = await conn.execute(
                    f"SELECT {_COLUMNS} FROM events WHERE thread_id = %s AND (ms, seq) > (%s, %s)"
                    " AND scope <> %s ORDER BY ms, seq LIMIT %s",
                    (thread_id, ms, seq, SCOPE_CONTROL, PAGE),
                )
            return [_event(r) for r in await cur.fetchall()]

    async def _read(
        self,
        key: str,
        thread_id: str,
        run_id: str | None,
        after: EventId | None,
        *,
        fresh: bool = False,
    ) -> list[StreamEvent]:
        """One page after `after`; readers at the same place share the query. `fresh`:
        a query that starts now (one that started earlier may predate a commit)."""
        shared = (key, after)
        future = self._reads.get(shared)
        if future is None or fresh:
            future = asyncio.ensure_future(self._query(thread_id, run_id, after))
            self._reads[shared] = future
            future.add_done_callback(
                lambda done: (
                    self._reads.pop(shared, None) if self._reads.get(shared) is done else None
                )
            )
        return await asyncio.shield(future)

    def tail_run(
        self, run_id: str, after: EventId | None, *, idle: float
    ) -> AsyncGenerator[StreamEvent | None, None]:
        return self._tail(f"run:{run_id}", "", run_id, after, idle)

    def tail_thread(
        self, thread_id: str, after: EventId | None, *, idle: float
    ) -> AsyncGenerator[StreamEvent | None, None]:
        return self._tail(f"thread:{thread_id}", thread_id, None, after, idle)

    async def _tail(
        self, key: str, thread_id: str, run_id: str | None, after: EventId | None, idle: float
    ) -> AsyncGenerator[StreamEvent | None, None]:
        cursor = after
        quiet_since = time.monotonic()
        while True:
            batch = await self._read(key, thread_id, run_id, cursor)
            if not batch:
                # Subscribe, then look again: an append committed in between is seen either way.
                with self._bus.news.subscription(key) as news:
                    batch = await self._read(key, thread_id, run_id, cursor, fresh=True)
                    if not batch:
                        left = idle - (time.monotonic() - quiet_since)
                        if left <= 0:
                            quiet_since = time.monotonic()
                            yield None
                            continue
                        # Look again at least every poll interval: a notice may be lost.
                        await news.wait(min(left, self._poll))
                        continue
            quiet_since = time.monotonic()
            for event in batch:
                cursor = event.id
                yield event
                if event.scope == SCOPE_CONTROL:
                    return

    async def bounds(self, run_id: str) -> LogBounds:
        async with self._pool.connection() as conn:
            ends: list[EventId | None] = []
            for order in ("", " DESC"):
                cur = await conn.execute(
                    "SELECT ms, seq FROM events WHERE run_id = %s AND scope <> %s"
                    f" ORDER BY ms{order}, seq{order} LIMIT 1",
                    (run_id, SCOPE_THREAD),
                )
                row = await cur.fetchone()
                ends.append(None if row is None else EventId(row["ms"], row["seq"]))
            cur = await conn.execute(
                "SELECT expires_at IS NOT NULL AS ended, expired FROM run_logs WHERE run_id = %s",
                (run_id,),
            )
            log = await cur.fetchone()
        return LogBounds(
            first=ends[0],
            last=ends[1],
            ended=bool(log and log["ended"]),
            expired=bool(log and log["expired"]),
        )

    async def last_thread_id(self, thread_id: str) -> EventId | None:
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "SELECT ms, seq FROM events WHERE thread_id = %s AND scope <> %s"
                " ORDER BY ms DESC, seq DESC LIMIT 1",
                (thread_id, SCOPE_CONTROL),
            )
            row = await cur.fetchone()
            return None if row is None else EventId(row["ms"], row["seq"])

    # -- forgetting -------------------------------------------------------------------

    async def purge_expired(self, limit: int = 1000) -> int:
        async with self._pool.connection() as conn, conn.transaction():
            cur = await conn.execute(
                "SELECT run_id FROM run_logs WHERE NOT expired AND expires_at IS NOT NULL"
                f" AND expires_at <= {SQL_NOW} LIMIT %s FOR UPDATE SKIP LOCKED",
                (limit,),
            )
            run_ids = [row["run_id"] for row in await cur.fetchall()]
            if run_ids:
                await conn.execute("DELETE FROM events WHERE run_id = ANY(%s)", (run_ids,))
                await conn.execute(
                    "UPDATE run_logs SET expired = TRUE, expires_at = NULL WHERE run_id = ANY(%s)",
                    (run_ids,),
                )
            cur = await conn.execute(
                "DELETE FROM events WHERE ctid IN (SELECT ctid FROM events"
                f" WHERE expires_at IS NOT NULL AND expires_at <= {SQL_NOW} LIMIT %s)",
                (limit,),
            )
            return len(run_ids) + cur.rowcount

    async def delete_thread(self, thread_id: str) -> None:
        async with self._pool.connection() as conn, conn.transaction():
            await conn.execute("DELETE FROM events WHERE thread_id = %s", (thread_id,))
            await conn.execute("DELETE FROM run_logs WHERE thread_id = %s", (thread_id,))
            await conn.execute("DELETE FROM event_clocks WHERE thread_id = %s", (thread_id,))
        await self._bus.publish_news(f"thread:{thread_id}")
