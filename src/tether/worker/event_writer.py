"""Batches a run's events into the log: everything a graph emitted while the previous
batch was being committed goes out in the next one, so a burst costs few commits while a
lone event is committed at once. Batches are bounded, and a graph that emits faster than
the log commits is made to wait (`put` blocks while the backlog is full), so a run's
memory stays bounded however many events it emits.

A failed append is repeated until it succeeds or `RETRY_SECONDS` pass (the log stores a
batch whole or not at all; after a failure the writer first asks the log whether the
batch was stored after all, so a commit whose answer was lost is never stored twice).
When it gives up, `put` raises its error and the graph stops there: a run never goes on
emitting events that nobody stores.

At a run's end the executor `stop`s the writer rather than closing it: what it holds then
is stored with the run's end, in the same write (one commit less on every run's way out)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence

from tether.ids import EventId
from tether.ports import EventLog
from tether.records import NewEvent

log = logging.getLogger("tether.worker")

#: Events committed in one append at most.
BATCH = 2000
#: `put` waits while this many events wait to be committed.
BACKLOG = 10_000
#: How long a failing append is repeated before the writer gives up.
RETRY_SECONDS = 30.0


class EventWriter:
    def __init__(
        self,
        log: EventLog,
        thread_id: str,
        run_id: str,
        *,
        after: EventId | None = None,
        on_stored: Callable[[int], object] | None = None,
    ) -> None:
        """`after`: the last id in the run's log as the writer starts (None: empty).
        `on_stored` is told how many events each stored batch held."""
        self._log = log
        self._on_stored = on_stored
        self._thread_id = thread_id
        self._run_id = run_id
        self._last = after
        self._pending: list[NewEvent] = []
        self._wake = asyncio.Event()
        self._room = asyncio.Event()
        self._room.set()
        self._closed = False
        #: Once stopped: the last batch (at most `BATCH` events) is left for `stop`'s caller.
        self._held = False
        self._task = asyncio.create_task(self._drain(), name=f"events:{run_id}")
        # A failed append ends the drain: a waiting `put` must not wait forever.
        self._task.add_done_callback(lambda _: self._room.set())

    async def put(self, events: Sequence[NewEvent]) -> None:
        """Queue events for the log; waits while the backlog is full. Raises the
        writer's error once it has given up storing events."""
        if not events:
            return
        self._raise_failure()
        if len(self._pending) >= BACKLOG and not self._task.done():
            self._room.clear()
            await self._room.wait()
        self._raise_failure()
        self._pending.extend(events)
        self._wake.set()

    @property
    def failure(self) -> BaseException | None:
        """Why the writer gave up storing events, if it did."""
        if not self._task.done() or self._task.cancelled():
            return None
        return self._task.exception()

    def _raise_failure(self) -> None:
        if (failure := self.failure) is not None:
            raise failure

    async def _drain(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending and not (self._held and len(self._pending) <= BATCH):
                batch, self._pending = self._pending[:BATCH], self._pending[BATCH:]
                if len(self._pending) < BACKLOG:
                    self._room.set()
                await self._append(batch)
            self._room.set()
            if self._closed:
                return

    async def _append(self, batch: list[NewEvent]) -> None:
        deadline = time.monotonic() + RETRY_SECONDS
        delay = 0.05
        failed = False
        while True:
            try:
                if failed and await self._stored():
                    break
                logged = await self._log.append(self._thread_id, self._run_id, batch)
                self._last = logged[-1].id
                break
            except Exception as exc:
                failed = True
                if time.monotonic() + delay > deadline:
                    raise
                log.warning(
                    "storing %d events failed (%s); trying again",
                    len(batch),
                    exc,
                    extra={"run_id": self._run_id, "thread_id": self._thread_id},
                )
            await asyncio.sleep(delay)
            delay = min(delay * 2, 1.0)
        if self._on_stored is not None:
            self._on_stored(len(batch))

    async def _stored(self) -> bool:
        """Whether the batch of a failed append was stored all the same (its commit
        went through but the answer was lost): this writer is the run log's only one,
        so the log has moved past its last id only if so."""
        last = (await self._log.bounds(self._run_id)).last
        if last is None or (self._last is not None and last <= self._last):
            return False
        self._last = last
        return True

    async def close(self) -> None:
        """Commit everything put so far and stop."""
        self._closed = True
        self._wake.set()
        self._room.set()
        await asyncio.shield(self._task)

    async def stop(self) -> list[NewEvent]:
        """Stop once the batch being committed is, and hand back the events put since,
        unstored (at most `BATCH`: any more are committed first), for the caller to
        store with its own write. Raises the writer's error if it gave up."""
        self._held = True
        await self.close()
        rest, self._pending = self._pending, []
        return rest
