"""Batches a run's events into the log: everything a graph emitted while the previous
batch was being committed goes out in the next one, so a burst costs few commits
while a lone event is committed at once."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from tether.ports import EventLog
from tether.records import NewEvent


class EventWriter:
    def __init__(self, log: EventLog, thread_id: str, run_id: str) -> None:
        self._log = log
        self._thread_id = thread_id
        self._run_id = run_id
        self._pending: list[NewEvent] = []
        self._wake = asyncio.Event()
        self._closed = False
        self._task = asyncio.create_task(self._drain(), name=f"events:{run_id}")

    def put(self, events: Sequence[NewEvent]) -> None:
        if events:
            self._pending.extend(events)
            self._wake.set()

    async def _drain(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                batch, self._pending = self._pending, []
                await self._log.append(self._thread_id, self._run_id, batch)
            if self._closed:
                return

    async def close(self) -> None:
        """Commit everything put so far and stop."""
        self._closed = True
        self._wake.set()
        await asyncio.shield(self._task)
