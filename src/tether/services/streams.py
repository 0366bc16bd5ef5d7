"""Following event logs: a run's stream (create-stream and join) and a thread's feed.

Readers follow the log with their own cursor: replay and live tail are the same loop,
so there is no switch-over where an event could be lost or repeated.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncGenerator, AsyncIterator, Collection, Iterator
from dataclasses import dataclass

from tether.errors import InvalidInput
from tether.ids import EventId
from tether.metrics import Metrics
from tether.ports import EventLog, RunStore, ThreadStore
from tether.records import SCOPE_CONTROL, SCOPE_RUN, StreamEvent
from tether.serialization import dumps


@dataclass(frozen=True)
class Heartbeat:
    pass


@dataclass(frozen=True)
class ErrorFrame:
    """An error event that is not in any log (unknown run, expired cursor)."""

    error: str
    message: str

    @property
    def data(self) -> bytes:
        return dumps({"error": self.error, "message": self.message})


HEARTBEAT = Heartbeat()
StreamItem = StreamEvent | Heartbeat | ErrorFrame

#: How often a reader double-checks the run row, in case the log's end never comes
#: (the process that ran it died and nobody has claimed it yet).
_RUN_CHECK_SECONDS = 2.0


class StreamService:
    def __init__(
        self,
        *,
        runs: RunStore,
        threads: ThreadStore,
        events: EventLog,
        heartbeat_seconds: float,
        metrics: Metrics | None = None,
    ) -> None:
        self.runs = runs
        self.threads = threads
        self.events = events
        self.heartbeat_seconds = heartbeat_seconds
        self.metrics = metrics or Metrics()

    async def join_cursor(
        self, run_id: str, last_event_id: str | None
    ) -> tuple[EventId | None, bool]:
        """Where a join starts: (cursor, live_only_and_already_over).

        With a Last-Event-ID: right after it (`0`/`-1`/`-` mean the start). Without: live
        events from now on, or everything if the run has not started yet."""
        if last_event_id is not None:
            return parse_last_event_id(last_event_id), False
        run = await self.runs.get_run(run_id)
        if run is not None and run.status == "pending" and run.attempt == 0:
            return None, False
        bounds = await self.events.bounds(run_id)
        return bounds.last, bounds.ended or (run is not None and run.done)

    async def replayable(self, run_id: str) -> bool:
        """A deleted run (stateless, its thread gone) still has a log to replay."""
        return (await self.events.bounds(run_id)).last is not None

    async def follow_run(
        self,
        run_id: str,
        after: EventId | None,
        modes: Collection[str] | None = None,
        *,
        replay: bool = False,
    ) -> AsyncIterator[StreamItem]:
        """Events of the run after `after`, live until its end, with heartbeats.

        `replay` marks a request for past events (a Last-Event-ID): if they were
        deleted after the retention period, the reader is told so instead of getting a
        silent partial replay."""
        items = self._follow_run(run_id, after, modes, replay)
        with self._counted():
            async with contextlib.aclosing(items):
                async for item in items:
                    if isinstance(item, StreamEvent):
                        self.metrics.events_streamed.inc()
                    yield item

    @contextlib.contextmanager
    def _counted(self) -> Iterator[None]:
        self.metrics.open_streams.inc()
        try:
            yield
        finally:
            self.metrics.open_streams.dec()

    async def _follow_run(
        self,
        run_id: str,
        after: EventId | None,
        modes: Collection[str] | None,
        replay: bool,
    ) -> AsyncGenerator[StreamItem, None]:
        if replay and (await self.events.bounds(run_id)).expired:
            yield ErrorFrame(
                "EventLogExpired",
                f"The events of run {run_id} are older than the retention period and were deleted.",
            )
            return
        cursor = after
        next_heartbeat = time.monotonic() + self.heartbeat_seconds
        next_check = time.monotonic() + _RUN_CHECK_SECONDS
        idle = min(self.heartbeat_seconds, _RUN_CHECK_SECONDS)
        tail = self.events.tail_run(run_id, after, idle=idle)
        async with contextlib.aclosing(tail):
            async for event in tail:
                if event is not None:
                    cursor = event.id
                    if event.scope == SCOPE_CONTROL:
                        return
                    if not modes or event.mode in modes or event.mode == "error":
                        yield event
                now = time.monotonic()
                if now >= next_heartbeat:
                    next_heartbeat = now + self.heartbeat_seconds
                    yield HEARTBEAT
                if event is None and now >= next_check:
                    next_check = now + _RUN_CHECK_SECONDS
                    if await self._run_over_without_end(run_id, cursor):
                        return

    async def _run_over_without_end(self, run_id: str, cursor: EventId | None) -> bool:
        run = await self.runs.get_run(run_id)
        if run is not None and not run.done:
            return False
        # Ended (or gone): over once the reader has everything the log holds (a reader
        # behind the end marker still gets it from the tail).
        bounds = await self.events.bounds(run_id)
        return bounds.last is None or (cursor is not None and bounds.last <= cursor)

    async def follow_thread(
        self, thread_id: str, after: EventId | None, modes: Collection[str]
    ) -> AsyncIterator[StreamItem]:
        """The thread feed: every run's events plus lifecycle and state updates."""
        items = self._follow_thread(thread_id, after, modes)
        with self._counted():
            async with contextlib.aclosing(items):
                async for item in items:
                    if isinstance(item, StreamEvent):
                        self.metrics.events_streamed.inc()
                    yield item

    async def _follow_thread(
        self, thread_id: str, after: EventId | None, modes: Collection[str]
    ) -> AsyncGenerator[StreamItem, None]:
        next_heartbeat = time.monotonic() + self.heartbeat_seconds
        tail = self.events.tail_thread(thread_id, after, idle=self.heartbeat_seconds)
        async with contextlib.aclosing(tail):
            async for event in tail:
                if event is not None and _thread_feed_wants(event, modes):
                    yield event
                now = time.monotonic()
                if now >= next_heartbeat:
                    next_heartbeat = now + self.heartbeat_seconds
                    if await self.threads.get_thread(thread_id) is None:
                        return  # the thread was deleted: its feed is over
                    yield HEARTBEAT

    async def thread_cursor(self, thread_id: str, last_event_id: str | None) -> EventId | None:
        if last_event_id is not None:
            return parse_last_event_id(last_event_id)
        return await self.events.last_thread_id(thread_id)


def parse_last_event_id(raw: str) -> EventId | None:
    try:
        return EventId.parse(raw)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from exc


def _thread_feed_wants(event: StreamEvent, modes: Collection[str]) -> bool:
    if event.mode == "lifecycle":
        return bool({"run_modes", "lifecycle"} & set(modes))
    if event.mode == "state_update":
        return "state_update" in modes
    if event.scope == SCOPE_RUN:
        return "run_modes" in modes or (event.mode == "metadata" and "lifecycle" in modes)
    return False
