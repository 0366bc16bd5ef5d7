"""The event log in its own SQLite file, with in-memory fan-out for live runs.

Every event is committed to SQLite before any reader can see it. While a run is live
in this process its events are also kept in memory, so a thousand joiners read from
memory instead of the database; readers follow the log with their own cursor, so a slow
reader never slows the run.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import sqlite3
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field

from tether.backends.sqlite.database import Database
from tether.ids import EventId, EventIdClock
from tether.records import SCOPE_CONTROL, SCOPE_THREAD, NewEvent, StreamEvent

#: How long a finished run's events stay in memory for late joiners.
LIVE_GRACE_SECONDS = 60.0
_CLOCKS_KEPT = 10_000


@dataclass
class _LiveRun:
    #: Every event of the run with an id greater than `base` is in `events`.
    base: EventId | None
    events: list[StreamEvent] = field(default_factory=list)
    ids: list[EventId] = field(default_factory=list)
    ended: bool = False


def _event_from_row(row: sqlite3.Row) -> StreamEvent:
    return StreamEvent(
        id=EventId(row["ms"], row["seq"]),
        event=row["event"],
        data=row["data"],
        mode=row["mode"],
        run_id=row["run_id"],
        scope=row["scope"],
    )


class SqliteEventLog:
    def __init__(self, db: Database) -> None:
        self._db = db
        #: Event id clocks of recently active threads (the rest re-read their last id).
        self._clocks: OrderedDict[str, EventIdClock] = OrderedDict()
        self._live: dict[str, _LiveRun] = {}
        self._committed: dict[str, EventId] = {}
        self._signals: dict[str, asyncio.Event] = {}
        self._waiting: dict[str, int] = {}
        self._evictions: set[asyncio.TimerHandle] = set()

    async def _clock(self, thread_id: str) -> EventIdClock:
        clock = self._clocks.get(thread_id)
        if clock is None:
            clock = self._clocks[thread_id] = EventIdClock(await self.last_id(thread_id))
            if len(self._clocks) > _CLOCKS_KEPT:
                forgotten, _ = self._clocks.popitem(last=False)
                self._committed.pop(f"thread:{forgotten}", None)
        else:
            self._clocks.move_to_end(thread_id)
        return clock

    async def _live_run(self, run_id: str) -> _LiveRun:
        live = self._live.get(run_id)
        if live is None:
            _, last, _ = await self.run_log_bounds(run_id)
            live = self._live.setdefault(run_id, _LiveRun(base=last))
        return live

    async def append(
        self, thread_id: str, run_id: str, events: Sequence[NewEvent]
    ) -> list[StreamEvent]:
        if not events:
            return []
        clock = await self._clock(thread_id)
        live = await self._live_run(run_id)
        logged = [
            StreamEvent(
                id=clock.next(),
                event=e.event,
                data=e.data,
                mode=e.mode,
                run_id=run_id,
                scope=e.scope,
            )
            for e in events
        ]
        rows = [
            (thread_id, e.id.ms, e.id.seq, run_id, e.event, e.mode, e.scope, e.data) for e in logged
        ]

        def insert(conn: sqlite3.Connection) -> None:
            conn.executemany(
                "INSERT INTO events (thread_id, ms, seq, run_id, event, mode, scope, data)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )

        await self._db.transaction(insert)
        for event in logged:
            if event.scope != SCOPE_THREAD:
                live.events.append(event)
                live.ids.append(event.id)
            if event.scope == SCOPE_CONTROL:
                live.ended = True
                self._schedule_eviction(run_id)
        last = logged[-1].id
        self._committed[run_id] = last
        self._committed[f"thread:{thread_id}"] = last
        self._notify(run_id)
        self._notify(f"thread:{thread_id}")
        return logged

    def _schedule_eviction(self, run_id: str) -> None:
        loop = asyncio.get_running_loop()

        def evict() -> None:
            self._evictions.discard(handle)
            live = self._live.get(run_id)
            if live is not None and live.ended:
                del self._live[run_id]
                self._committed.pop(run_id, None)

        handle = loop.call_later(LIVE_GRACE_SECONDS, evict)
        self._evictions.add(handle)

    def _notify(self, key: str) -> None:
        signal = self._signals.pop(key, None)
        if signal is not None:
            signal.set()

    async def read_run(
        self, run_id: str, after: EventId | None, limit: int = 1000
    ) -> list[StreamEvent]:
        live = self._live.get(run_id)
        if live is not None and (live.base is None or (after is not None and after >= live.base)):
            start = 0 if after is None else bisect.bisect_right(live.ids, after)
            return live.events[start : start + limit]
        return await self._read("run_id", run_id, SCOPE_THREAD, after, limit)

    async def read_thread(
        self, thread_id: str, after: EventId | None, limit: int = 1000
    ) -> list[StreamEvent]:
        return await self._read("thread_id", thread_id, SCOPE_CONTROL, after, limit)

    async def _read(
        self, column: str, key: str, hidden_scope: int, after: EventId | None, limit: int
    ) -> list[StreamEvent]:
        ms, seq = after if after is not None else (-1, -1)

        def read(conn: sqlite3.Connection) -> list[StreamEvent]:
            rows = conn.execute(
                f"SELECT * FROM events WHERE {column} = ? AND scope != ?"
                " AND (ms > ? OR (ms = ? AND seq > ?)) ORDER BY ms, seq LIMIT ?",
                (key, hidden_scope, ms, ms, seq, limit),
            )
            return [_event_from_row(r) for r in rows]

        return await self._db.run(read)

    async def last_id(self, thread_id: str) -> EventId | None:
        def last(conn: sqlite3.Connection) -> EventId | None:
            row = conn.execute(
                "SELECT ms, seq FROM events WHERE thread_id = ? ORDER BY ms DESC, seq DESC LIMIT 1",
                (thread_id,),
            ).fetchone()
            return None if row is None else EventId(row[0], row[1])

        return await self._db.run(last)

    async def run_log_bounds(self, run_id: str) -> tuple[EventId | None, EventId | None, bool]:
        live = self._live.get(run_id)
        if live is not None and live.base is None:
            if not live.events:
                return None, None, live.ended
            return live.events[0].id, live.events[-1].id, live.ended

        def bounds(conn: sqlite3.Connection) -> tuple[EventId | None, EventId | None, bool]:
            row = conn.execute(
                "SELECT MIN(ms * 1000000 + seq), MAX(ms * 1000000 + seq), MAX(scope = ?) FROM events"
                " WHERE run_id = ? AND scope != ?",
                (SCOPE_CONTROL, run_id, SCOPE_THREAD),
            ).fetchone()
            if row[0] is None:
                return None, None, False
            return (
                EventId(*divmod(row[0], 1000000)),
                EventId(*divmod(row[1], 1000000)),
                bool(row[2]),
            )

        return await self._db.run(bounds)

    async def is_purged(self, run_id: str) -> bool:
        def purged(conn: sqlite3.Connection) -> bool:
            return (
                conn.execute("SELECT 1 FROM purged_logs WHERE run_id = ?", (run_id,)).fetchone()
                is not None
            )

        return await self._db.run(purged)

    async def wait(self, key: str, after: EventId | None, timeout: float) -> None:
        committed = self._committed.get(key)
        if committed is not None and (after is None or committed > after):
            return
        signal = self._signals.get(key)
        if signal is None:
            signal = self._signals[key] = asyncio.Event()
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await signal.wait()
        finally:
            left = self._waiting.pop(key) - 1
            if left:
                self._waiting[key] = left
            elif self._signals.get(key) is signal:
                del self._signals[key]  # nobody waits: do not keep a signal per finished run

    async def purge_ended_before(self, cutoff: float, limit: int = 1000) -> int:
        cutoff_ms = int(cutoff * 1000)
        now = time.time()

        def purge(conn: sqlite3.Connection) -> list[str]:
            run_ids = [
                row[0]
                for row in conn.execute(
                    "SELECT run_id FROM events WHERE scope = ? AND ms < ? LIMIT ?",
                    (SCOPE_CONTROL, cutoff_ms, limit),
                )
            ]
            conn.executemany("DELETE FROM events WHERE run_id = ?", [(r,) for r in run_ids])
            conn.executemany(
                "INSERT OR REPLACE INTO purged_logs (run_id, purged_at) VALUES (?, ?)",
                [(r, now) for r in run_ids],
            )
            return run_ids

        purged = await self._db.transaction(purge)
        for run_id in purged:
            self._live.pop(run_id, None)
        return len(purged)

    async def delete_thread(self, thread_id: str) -> None:
        def delete(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM events WHERE thread_id = ?", (thread_id,))

        await self._db.transaction(delete)
        self._clocks.pop(thread_id, None)
        self._committed.pop(f"thread:{thread_id}", None)

    def close(self) -> None:
        for handle in self._evictions:
            handle.cancel()
        self._evictions.clear()
