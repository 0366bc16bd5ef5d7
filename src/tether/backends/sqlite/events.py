"""The event log in its own SQLite file, with a bounded in-memory window for live runs.

Every event is committed to SQLite before any reader can see it. Ids are allocated
inside the append's transaction, from the thread's last id (cached: this process is
the only writer, the data folder is locked). While a run is live its most recent
events are also kept in memory, so many joiners at the live edge read from memory;
a reader that falls behind the window reads from the database in pages, so memory
stays bounded however long the run and however slow the reader.
"""

from __future__ import annotations

import asyncio
import bisect
import sqlite3
from collections import OrderedDict
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass, field

from tether.backends.local import News
from tether.backends.sqlite.database import SQL_NOW, Database
from tether.ids import EventId, next_event_id
from tether.ports import LogBounds
from tether.records import SCOPE_CONTROL, SCOPE_THREAD, NewEvent, StreamEvent

#: How long a finished run's window stays in memory for late joiners.
LIVE_GRACE_SECONDS = 60.0
#: A live run's window keeps at most this many events and this many bytes of data.
WINDOW_EVENTS = 1024
WINDOW_BYTES = 2 * 1024 * 1024
#: Events read from the database per statement; the loop is yielded between pages.
PAGE = 500
_LAST_IDS_KEPT = 10_000

_COLUMNS = "ms, seq, run_id, event, mode, scope, data"


@dataclass
class _Window:
    """The most recent events of a live run: every event of the run with an id above
    `base` (None: from the start) is in `events`."""

    base: EventId | None
    events: list[StreamEvent] = field(default_factory=list)
    ids: list[EventId] = field(default_factory=list)
    size: int = 0
    ended: bool = False

    def add(self, event: StreamEvent) -> None:
        self.events.append(event)
        self.ids.append(event.id)
        self.size += len(event.data)
        if len(self.events) > WINDOW_EVENTS or self.size > WINDOW_BYTES:
            keep = len(self.events) // 2
            self.base = self.ids[-keep - 1]
            del self.events[:-keep], self.ids[:-keep]
            self.size = sum(len(e.data) for e in self.events)

    def after(self, cursor: EventId | None) -> list[StreamEvent] | None:
        """Events after `cursor`, or None when the window does not reach back that far."""
        if self.base is not None and (cursor is None or cursor < self.base):
            return None
        start = 0 if cursor is None else bisect.bisect_right(self.ids, cursor)
        return self.events[start:]


def _event(row: sqlite3.Row) -> StreamEvent:
    return StreamEvent(
        id=EventId(row[0], row[1]),
        event=row[3],
        data=row[6],
        mode=row[4],
        run_id=row[2] or "",
        scope=row[5],
    )


class SqliteEventLog:
    def __init__(self, db: Database) -> None:
        self._db = db
        #: Last allocated id of recently active threads (the rest read it back).
        self._last_ids: OrderedDict[str, EventId] = OrderedDict()
        self._windows: dict[str, _Window] = {}
        self._news = News()
        self._evictions: set[asyncio.TimerHandle] = set()

    # -- writing ----------------------------------------------------------------------

    def _allocate(self, conn: sqlite3.Connection, thread_id: str, count: int) -> list[EventId]:
        last = self._last_ids.get(thread_id)
        if last is None:
            row = conn.execute(
                "SELECT ms, seq FROM events WHERE thread_id = ? ORDER BY ms DESC, seq DESC LIMIT 1",
                (thread_id,),
            ).fetchone()
            last = None if row is None else EventId(row[0], row[1])
        ids = []
        for _ in range(count):
            last = next_event_id(last)
            ids.append(last)
        return ids

    def _remember(self, thread_id: str, last: EventId) -> None:
        self._last_ids[thread_id] = last
        self._last_ids.move_to_end(thread_id)
        if len(self._last_ids) > _LAST_IDS_KEPT:
            self._last_ids.popitem(last=False)

    async def append(
        self, thread_id: str, run_id: str, events: Sequence[NewEvent]
    ) -> list[StreamEvent]:
        return await self._write(thread_id, run_id, events, retain_seconds=None)

    async def end_run(
        self,
        thread_id: str,
        run_id: str,
        events: Sequence[NewEvent],
        *,
        retain_seconds: float,
    ) -> list[StreamEvent]:
        return await self._write(thread_id, run_id, events, retain_seconds=retain_seconds)

    async def append_thread(
        self, thread_id: str, events: Sequence[NewEvent], *, retain_seconds: float
    ) -> list[StreamEvent]:
        def write(conn: sqlite3.Connection) -> list[StreamEvent]:
            ids = self._allocate(conn, thread_id, len(events))
            logged = [
                StreamEvent(event_id, e.event, e.data, e.mode, "", SCOPE_THREAD)
                for event_id, e in zip(ids, events, strict=True)
            ]
            conn.executemany(
                "INSERT INTO events (thread_id, ms, seq, run_id, event, mode, scope, data,"
                f" expires_at) VALUES (?, ?, ?, NULL, ?, ?, ?, ?, {SQL_NOW} + ?)",
                [
                    (thread_id, e.id.ms, e.id.seq, e.event, e.mode, e.scope, e.data, retain_seconds)
                    for e in logged
                ],
            )
            return logged

        logged = await self._db.transaction(write) if events else []
        if logged:
            self._remember(thread_id, logged[-1].id)
            self._news.notify(f"thread:{thread_id}")
        return logged

    async def _write(
        self,
        thread_id: str,
        run_id: str,
        events: Sequence[NewEvent],
        *,
        retain_seconds: float | None,
    ) -> list[StreamEvent]:
        if not events and retain_seconds is None:
            return []
        window = self._windows.get(run_id)
        live = window is None and retain_seconds is None

        def write(conn: sqlite3.Connection) -> tuple[list[StreamEvent], EventId | None]:
            base = None
            if live:  # the run's first append in this process: its window starts here
                row = conn.execute(
                    "SELECT ms, seq FROM events WHERE run_id = ? ORDER BY ms DESC, seq DESC LIMIT 1",
                    (run_id,),
                ).fetchone()
                base = None if row is None else EventId(row[0], row[1])
            ids = self._allocate(conn, thread_id, len(events))
            logged = [
                StreamEvent(event_id, e.event, e.data, e.mode, run_id, e.scope)
                for event_id, e in zip(ids, events, strict=True)
            ]
            conn.executemany(
                "INSERT INTO events (thread_id, ms, seq, run_id, event, mode, scope, data)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (thread_id, e.id.ms, e.id.seq, run_id, e.event, e.mode, e.scope, e.data)
                    for e in logged
                ],
            )
            if retain_seconds is not None:
                conn.execute(
                    "INSERT OR REPLACE INTO run_logs (run_id, thread_id, expires_at, expired)"
                    f" VALUES (?, ?, {SQL_NOW} + ?, 0)",
                    (run_id, thread_id, retain_seconds),
                )
            return logged, base

        logged, base = await self._db.transaction(write)
        if logged:
            self._remember(thread_id, logged[-1].id)
        if live:
            window = self._windows[run_id] = _Window(base=base)
        if window is not None:
            for event in logged:
                if event.scope != SCOPE_THREAD:
                    window.add(event)
            if retain_seconds is not None:
                window.ended = True
                self._schedule_eviction(run_id)
        self._news.notify(f"run:{run_id}")
        self._news.notify(f"thread:{thread_id}")
        return logged

    def _schedule_eviction(self, run_id: str) -> None:
        loop = asyncio.get_running_loop()

        def evict() -> None:
            self._evictions.discard(handle)
            window = self._windows.get(run_id)
            if window is not None and window.ended:
                del self._windows[run_id]

        handle = loop.call_later(LIVE_GRACE_SECONDS, evict)
        self._evictions.add(handle)

    # -- reading ----------------------------------------------------------------------

    def _page(self, thread_id: str, run_id: str | None, after: EventId | None) -> list[StreamEvent]:
        ms, seq = after if after is not None else (-1, -1)
        conn = self._db.conn
        if run_id is not None:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM events WHERE run_id = ? AND (ms, seq) > (?, ?)"
                " AND scope != ? ORDER BY ms, seq LIMIT ?",
                (run_id, ms, seq, SCOPE_THREAD, PAGE),
            )
        else:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM events WHERE thread_id = ? AND (ms, seq) > (?, ?)"
                " AND scope != ? ORDER BY ms, seq LIMIT ?",
                (thread_id, ms, seq, SCOPE_CONTROL, PAGE),
            )
        return [_event(r) for r in rows]

    def _available(
        self, thread_id: str, run_id: str | None, after: EventId | None
    ) -> tuple[list[StreamEvent], bool]:
        """(events after `after`, read from the database)."""
        if run_id is not None:
            window = self._windows.get(run_id)
            if window is not None:
                recent = window.after(after)
                if recent is not None:
                    return recent, False
        return self._page(thread_id, run_id, after), True

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
        while True:
            batch, from_db = self._available(thread_id, run_id, cursor)
            if not batch:
                # Subscribe, then look again: an append committed in between is seen either way.
                with self._news.subscription(key) as news:
                    batch, from_db = self._available(thread_id, run_id, cursor)
                    if not batch:
                        if not await news.wait(idle):
                            yield None
                        continue
            for event in batch:
                cursor = event.id
                yield event
                if event.scope == SCOPE_CONTROL:
                    return
            if from_db:
                await asyncio.sleep(0)  # a long replay never holds the loop

    async def bounds(self, run_id: str) -> LogBounds:
        def read(conn: sqlite3.Connection) -> LogBounds:
            ends = []
            for order in ("", " DESC"):
                row = conn.execute(
                    "SELECT ms, seq FROM events WHERE run_id = ? AND scope != ?"
                    f" ORDER BY ms{order}, seq{order} LIMIT 1",
                    (run_id, SCOPE_THREAD),
                ).fetchone()
                ends.append(None if row is None else EventId(row[0], row[1]))
            log = conn.execute(
                "SELECT expires_at IS NOT NULL, expired FROM run_logs WHERE run_id = ?", (run_id,)
            ).fetchone()
            return LogBounds(
                first=ends[0],
                last=ends[1],
                ended=bool(log and log[0]),
                expired=bool(log and log[1]),
            )

        return await self._db.run(read)

    async def last_thread_id(self, thread_id: str) -> EventId | None:
        def last(conn: sqlite3.Connection) -> EventId | None:
            row = conn.execute(
                "SELECT ms, seq FROM events WHERE thread_id = ? AND scope != ?"
                " ORDER BY ms DESC, seq DESC LIMIT 1",
                (thread_id, SCOPE_CONTROL),
            ).fetchone()
            return None if row is None else EventId(row[0], row[1])

        return await self._db.run(last)

    # -- forgetting -------------------------------------------------------------------

    async def purge_expired(self, limit: int = 1000) -> int:
        def purge(conn: sqlite3.Connection) -> list[str]:
            run_ids = [
                row[0]
                for row in conn.execute(
                    "SELECT run_id FROM run_logs WHERE expired = 0 AND expires_at IS NOT NULL"
                    f" AND expires_at <= {SQL_NOW} LIMIT ?",
                    (limit,),
                )
            ]
            conn.executemany("DELETE FROM events WHERE run_id = ?", [(r,) for r in run_ids])
            conn.executemany(
                "UPDATE run_logs SET expired = 1, expires_at = NULL WHERE run_id = ?",
                [(r,) for r in run_ids],
            )
            deleted = conn.execute(
                "DELETE FROM events WHERE (thread_id, ms, seq) IN (SELECT thread_id, ms, seq"
                f" FROM events WHERE expires_at IS NOT NULL AND expires_at <= {SQL_NOW} LIMIT ?)",
                (limit,),
            ).rowcount
            return run_ids + [""] * deleted

        purged = await self._db.transaction(purge)
        for run_id in purged:
            self._windows.pop(run_id, None)
        return len(purged)

    async def delete_thread(self, thread_id: str) -> None:
        def delete(conn: sqlite3.Connection) -> list[str]:
            run_ids = [
                r[0]
                for r in conn.execute(
                    "SELECT DISTINCT run_id FROM events WHERE thread_id = ? AND run_id IS NOT NULL",
                    (thread_id,),
                )
            ]
            conn.execute("DELETE FROM events WHERE thread_id = ?", (thread_id,))
            conn.execute("DELETE FROM run_logs WHERE thread_id = ?", (thread_id,))
            return run_ids

        for run_id in await self._db.transaction(delete):
            self._windows.pop(run_id, None)
        self._last_ids.pop(thread_id, None)
        self._news.notify(f"thread:{thread_id}")

    def close(self) -> None:
        for handle in self._evictions:
            handle.cancel()
        self._evictions.clear()
