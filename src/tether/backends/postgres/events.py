"""The event log in PostgreSQL, with news of new events over Redis.

Ids are allocated inside the append's transaction from the thread's row in
`event_clocks`, whose lock is held until the append commits: appends to one thread are
serialised, so ids become visible in id order whatever the number of writers and
processes. After the commit the writer publishes "news" on Redis, with the events
themselves (unless they are big) and the id the thread's log ended at before them: a
reader whose cursor is that id takes them as they are, with no gap and no query. Any
other reader (behind, or news without its events) reads the log from its cursor. A lost
notice costs latency, never an event: readers look again at least every poll interval.

Readers of one process at the same cursor share one query, so many joiners of a live
run cost one read per batch, not one each.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass
from typing import Any

from psycopg import AsyncConnection, AsyncCursor

from tether.backends.local import Batch, Heard
from tether.backends.postgres.database import SQL_NOW, Pool
from tether.backends.redis.bus import RedisBus
from tether.ids import EventId
from tether.ports import LogBounds
from tether.records import SCOPE_CONTROL, SCOPE_THREAD, NewEvent, StreamEvent

#: Events read per statement; the loop is yielded between pages.
PAGE = 500
#: One write, one statement (so one round trip, atomic without BEGIN/COMMIT): take ids
#: from the thread's clock row (its lock is held until the statement commits), insert the
#: events, and, when a run's log ends, set its expiry. `{commit}` may make the statement's
#: own commit skip waiting for the disk (`_FAST_COMMIT`).
_WRITE = f"""
WITH clock AS (
    INSERT INTO event_clocks AS c (thread_id, ms, seq)
    SELECT %(thread_id)s, (extract(epoch from clock_timestamp()) * 1000)::bigint, %(n)s - 1
    WHERE %(n)s > 0
    ON CONFLICT (thread_id) DO UPDATE SET
        seq = CASE WHEN EXCLUDED.ms > c.ms THEN EXCLUDED.seq ELSE c.seq + %(n)s END,
        ms = GREATEST(c.ms, EXCLUDED.ms),
        prev_ms = c.ms,
        prev_seq = c.seq
    RETURNING ms, seq, prev_ms, prev_seq
), written AS (
    INSERT INTO events (thread_id, ms, seq, run_id, event, mode, scope, data, expires_at)
    SELECT %(thread_id)s, clock.ms, clock.seq - %(n)s + u.ord, %(run_id)s,
           u.event, u.mode, u.scope, u.data,
           CASE WHEN %(retain)s::double precision IS NULL THEN NULL
                ELSE {SQL_NOW} + %(retain)s::double precision END
    FROM clock, unnest(%(event)s::text[], %(mode)s::text[], %(scope)s::smallint[],
                       %(data)s::bytea[]) WITH ORDINALITY AS u(event, mode, scope, data, ord)
), ended AS (
    INSERT INTO run_logs (run_id, thread_id, expires_at, expired)
    SELECT %(run_id)s, %(thread_id)s, {SQL_NOW} + %(end_retain)s::double precision, FALSE
    WHERE %(end_retain)s::double precision IS NOT NULL
    ON CONFLICT (run_id) DO UPDATE SET expires_at = EXCLUDED.expires_at, expired = FALSE
)
SELECT ms, seq, prev_ms, prev_seq FROM clock{{commit}}
"""
#: The commit of this statement alone does not wait for PostgreSQL to flush its log to
#: disk (`synchronous_commit` is read when a transaction commits). It is visible at once
#: and survives any Tether process dying; it reaches the disk within PostgreSQL's WAL
#: writer delay, or sooner with the next flushed commit (a checkpoint, the run's end: the
#: log is written in order, so flushing one commit flushes every commit before it).
_FAST_COMMIT = ", (SELECT set_config('synchronous_commit', 'off', true)) AS fast_commit"

_COLUMNS = "ms, seq, run_id, event, mode, scope, data"
#: A page of a log after a cursor, then (a row with no event) the id its thread's log had
#: reached, read in the same snapshot: the reader has seen all of its log up to that id,
#: so news whose events follow on from there needs no query.
_READ_RUN = f"""
(SELECT {_COLUMNS} FROM events WHERE run_id = %s AND (ms, seq) > (%s, %s) AND scope <> %s
 ORDER BY ms, seq LIMIT %s)
UNION ALL
(SELECT c.ms, c.seq, NULL, NULL, NULL, NULL, NULL FROM event_clocks AS c
 JOIN runs AS r ON r.thread_id = c.thread_id WHERE r.run_id = %s)
"""
_READ_THREAD = f"""
(SELECT {_COLUMNS} FROM events WHERE thread_id = %s AND (ms, seq) > (%s, %s) AND scope <> %s
 ORDER BY ms, seq LIMIT %s)
UNION ALL
(SELECT ms, seq, NULL, NULL, NULL, NULL, NULL FROM event_clocks WHERE thread_id = %s)
"""


@dataclass(frozen=True)
class Page:
    events: list[StreamEvent]
    #: Where the thread's log stood when the page was read.
    clock: EventId | None


def _event(row: dict[str, Any]) -> StreamEvent:
    return StreamEvent(
        id=EventId(row["ms"], row["seq"]),
        event=row["event"],
        data=bytes(row["data"]),
        mode=row["mode"],
        run_id=row["run_id"] or "",
        scope=row["scope"],
    )


@dataclass
class Written:
    """A write sent on a connection; what it stored, once it has run."""

    cursor: AsyncCursor[Any]
    run_id: str | None
    events: Sequence[NewEvent]
    scopes: list[int]
    _batch: Batch | None = None

    async def batch(self) -> Batch:
        if self._batch is None:
            self._batch = await self._read_batch()
        return self._batch

    async def _read_batch(self) -> Batch:
        row = await self.cursor.fetchone()
        if row is None:  # nothing written (a run's end with no events)
            return Batch(None, ())
        first = row["seq"] - len(self.events) + 1
        prev = None if row["prev_ms"] is None else EventId(row["prev_ms"], row["prev_seq"])
        return Batch(
            prev,
            tuple(
                StreamEvent(
                    EventId(row["ms"], first + i), e.event, e.data, e.mode, self.run_id or "", scope
                )
                for i, (e, scope) in enumerate(zip(self.events, self.scopes, strict=True))
            ),
        )


class PostgresEventLog:
    def __init__(
        self, pool: Pool, bus: RedisBus, poll_seconds: float, *, flush_each_append: bool = False
    ) -> None:
        """`flush_each_append`: every append waits for the disk; otherwise appends are
        flushed with the run's next flushed commit (`_FAST_COMMIT`), run ends always."""
        self._pool = pool
        self._bus = bus
        self._append_sql = _WRITE.format(commit="" if flush_each_append else _FAST_COMMIT)
        self._end_sql = _WRITE.format(commit="")
        self._poll = max(0.01, poll_seconds)
        self._reads: dict[tuple[str, EventId | None], tuple[asyncio.Future[Page], int]] = {}

    # -- writing ----------------------------------------------------------------------

    async def append(
        self, thread_id: str, run_id: str, events: Sequence[NewEvent]
    ) -> list[StreamEvent]:
        if not events:
            return []
        batch = await self._write(thread_id, run_id, events, None)
        await self._announce_run(thread_id, run_id, batch)
        return list(batch.events)

    async def end_run(
        self,
        thread_id: str,
        run_id: str,
        events: Sequence[NewEvent],
        *,
        retain_seconds: float,
    ) -> list[StreamEvent]:
        batch = await self._write(thread_id, run_id, events, None, end_retain=retain_seconds)
        await self._announce_run(thread_id, run_id, batch)
        return list(batch.events)

    async def append_thread(
        self, thread_id: str, events: Sequence[NewEvent], *, retain_seconds: float
    ) -> list[StreamEvent]:
        if not events:
            return []
        batch = await self._write(thread_id, None, events, retain_seconds)
        await self._bus.publish_news(f"thread:{thread_id}", batch=batch)
        return list(batch.events)

    async def _write(
        self,
        thread_id: str,
        run_id: str | None,
        events: Sequence[NewEvent],
        retain: float | None,
        *,
        end_retain: float | None = None,
    ) -> Batch:
        async with self._pool.connection() as conn:
            written = await self.write_on(conn, thread_id, run_id, events, retain, end_retain)
            return await written.batch()

    async def write_on(
        self,
        conn: AsyncConnection[Any],
        thread_id: str,
        run_id: str | None,
        events: Sequence[NewEvent],
        retain: float | None,
        end_retain: float | None,
    ) -> Written:
        """Send the write on `conn` (in a transaction of the caller's, if it has one: the
        events commit with it); its batch can be had once it has run. A run log's end
        (`end_retain`) is always flushed to disk with its commit."""
        scopes = [e.scope if run_id is not None else SCOPE_THREAD for e in events]
        cur = await conn.execute(
            self._append_sql if end_retain is None else self._end_sql,
            {
                "thread_id": thread_id,
                "run_id": run_id,
                "n": len(events),
                "retain": retain,
                "end_retain": end_retain,
                "event": [e.event for e in events],
                "mode": [e.mode for e in events],
                "scope": scopes,
                "data": [e.data for e in events],
            },
        )
        return Written(cur, run_id, events, scopes)

    async def announce(self, thread_id: str, run_id: str, written: Written) -> None:
        """Tell readers of events written with a transaction, once it has committed."""
        await self._announce_run(thread_id, run_id, await written.batch())

    async def _announce_run(self, thread_id: str, run_id: str, batch: Batch) -> None:
        await self._bus.publish_news(f"run:{run_id}", f"thread:{thread_id}", batch=batch)

    # -- reading ----------------------------------------------------------------------

    async def _query(self, thread_id: str, run_id: str | None, after: EventId | None) -> Page:
        ms, seq = after if after is not None else (-1, -1)
        async with self._pool.connection() as conn:
            if run_id is not None:
                cur = await conn.execute(_READ_RUN, (run_id, ms, seq, SCOPE_THREAD, PAGE, run_id))
            else:
                cur = await conn.execute(
                    _READ_THREAD, (thread_id, ms, seq, SCOPE_CONTROL, PAGE, thread_id)
                )
            found = await cur.fetchall()
        events = [_event(r) for r in found if r["event"] is not None]
        clock = [EventId(r["ms"], r["seq"]) for r in found if r["event"] is None]
        return Page(events, clock[0] if clock else None)

    async def _read(
        self,
        key: str,
        thread_id: str,
        run_id: str | None,
        after: EventId | None,
        heard: Heard,
    ) -> tuple[Page, int]:
        """One page after `after`, and the count of news heard before it was asked for:
        it holds every event whose news came before. Readers at the same place share a
        query that no news has overtaken."""
        shared = (key, after)
        pending = self._reads.get(shared)
        if pending is None or pending[1] != heard.count:
            query = asyncio.ensure_future(self._query(thread_id, run_id, after))
            pending = self._reads[shared] = (query, heard.count)
            query.add_done_callback(
                lambda done: (
                    self._reads.pop(shared, None)
                    if (current := self._reads.get(shared)) is not None and current[0] is done
                    else None
                )
            )
        rows, count = pending
        return await asyncio.shield(rows), count

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
        hidden = SCOPE_THREAD if run_id is not None else SCOPE_CONTROL
        quiet_since = time.monotonic()
        await self._bus.follow_news()  # the first log followed here: news is heard from now
        with self._bus.news.listen(key) as heard:
            read = True
            while True:
                if read:
                    lost = heard.lost
                    page, _ = await self._read(key, thread_id, run_id, cursor, heard)
                    for event in page.events:
                        cursor = event.id
                        quiet_since = time.monotonic()
                        yield event
                        if event.scope == SCOPE_CONTROL:
                            return
                    if len(page.events) == PAGE:
                        continue  # more to read now
                    if page.clock is not None and (cursor is None or page.clock > cursor):
                        cursor = page.clock  # nothing for this reader up to there
                    read = False
                # The news's own events, for as long as they go on from the cursor.
                seen = heard.count
                while (following := heard.following(cursor)) is not None:
                    for event in following.events:
                        if cursor is not None and event.id <= cursor:
                            continue
                        cursor = event.id  # past events of other scopes too: never shown here
                        if event.scope == hidden:
                            continue
                        quiet_since = time.monotonic()
                        yield event
                        if event.scope == SCOPE_CONTROL:
                            return
                if heard.lost != lost or heard.beyond(cursor):
                    read = True  # news came without its events, or some were missed
                    continue
                if heard.count != seen:
                    continue  # more news while the events were handed over
                left = idle - (time.monotonic() - quiet_since)
                if left <= 0:
                    quiet_since = time.monotonic()
                    yield None
                    continue
                # Look again at least every poll interval: a notice may be lost.
                if not await heard.wait_past(seen, min(left, self._poll)):
                    read = True

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
