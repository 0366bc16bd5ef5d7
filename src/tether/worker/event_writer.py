"""Batches a run's events into the log: everything a graph emitted while the previous
batch was being committed goes out in the next one, so a burst costs few commits while a
lone event is committed at once. Batches are bounded, and a graph that emits faster than
the log commits is made to wait (`put` blocks while the backlog is full), so a run's
memory stays bounded however many events it emits."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from tether.ports import EventLog
from tether.records import NewEvent

#: Events committed in one append at most.
BATCH = 2000
#: `put` waits while this many events wait to be committed.
BACKLOG = 10_000


class EventWriter:
    def __init__(self, log: EventLog, thread_id: str, run_id: str) -> None:
        self._log = log
        self._thread_id = thread_id
        self._run_id = run_id
        self._pending: list[NewEvent] = []
        self._wake = asyncio.Event()
        self._room = asyncio.Event()
        self._room.set()
        self._closed = False
        self._task = asyncio.create_task(self._drain(), name=f"events:{run_id}")
        # A failed append ends the drain: a waiting `put` must not wait forever.
        self._task.add_done_callback(lambda _: self._room.set())

    async def put(self, events: Sequence[NewEvent]) -> None:
        """Queue events for the log; waits while the backlog is full."""
        if not events:
            return
        if len(self._pending) >= BACKLOG and not self._task.done():
            self._room.clear()
            await self._room.wait()
        self._pending.extend(events)
        self._wake.set()

    async def _drain(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                batch, self._pending = self._pending[:BATCH], self._pending[BATCH:]
                if len(self._pending) < BACKLOG:
                    self._room.set()
                await self._log.append(self._thread_id, self._run_id, batch)
            self._room.set()
            if self._closed:
                return

    async def close(self) -> None:
        """Commit everything put so far and stop."""
        self._closed = True
        self._wake.set()
        self._room.set()
        await asyncio.shield(self._task)
