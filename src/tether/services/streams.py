"""Following event logs: a run's stream (create-stream and join) and a thread's feed.

Readers follow the log with their own cursor: replay and live tail are the same loop,
so there is no switch-over where an event could be lost or repeated.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Collection
from dataclasses import dataclass

from tether.errors import InvalidInput
from tether.ids import EventId
from tether.ports import Backend
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
    def __init__(self, backend: Backend, heartbeat_seconds: float) -> None:
        self.backend = backend
        self.heartbeat_seconds = heartbeat_seconds

    async def join_cursor(
        self, run_id: str, last_event_id: str | None
    ) -> tuple[EventId | None, bool]:
        """Where a join starts: (cursor, live_only_and_already_over).

        With a Last-Event-ID: right after it (`0`/`-1`/`-` mean the start). Without: live
        events from now on, or everything if the run has not started yet."""
        if last_event_id is not None:
            return parse_last_event_id(last_event_id), False
        run = await self.backend.runs.get_run(run_id)
        if run is not None and run.status == "pending" and run.attempt == 0:
            return None, False
        _, last, ended = await self.backend.events.run_log_bounds(run_id)
        return last, ended or (run is not None and run.done)

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
        if replay and await self.backend.events.is_purged(run_id):
            yield ErrorFrame(
                "EventLogExpired",
                f"The events of run {run_id} are older than the retention period and were deleted.",
            )
            return
        cursor = after
        events = self.backend.events
        next_heartbeat = time.monotonic() + self.heartbeat_seconds
        next_check = time.monotonic() + _RUN_CHECK_SECONDS
        while True:
            batch = await events.read_run(run_id, cursor)
            for event in batch:
                cursor = event.id
                if event.scope == SCOPE_CONTROL:
                    return
                if modes and event.mode not in modes and event.mode != "error":
                    continue
                yield event
            now = time.monotonic()
            if now >= next_heartbeat:
                next_heartbeat = now + self.heartbeat_seconds
                yield HEARTBEAT
            if batch:
                continue
            if now >= next_check:
                next_check = now + _RUN_CHECK_SECONDS
                if await self._run_over_without_end(run_id, cursor):
                    return
            await events.wait(run_id, cursor, min(next_heartbeat, next_check) - now)

    async def _run_over_without_end(self, run_id: str, cursor: EventId | None) -> bool:
        run = await self.backend.runs.get_run(run_id)
        if run is not None and not run.done:
            return False
        # Ended (or gone): read once more so that nothing logged before the end is lost.
        _, last, ended = await self.backend.events.run_log_bounds(run_id)
        return not ended and (last is None or cursor is None or last <= cursor)

    async def follow_thread(
        self, thread_id: str, after: EventId | None, modes: Collection[str]
    ) -> AsyncIterator[StreamItem]:
        """The thread feed: every run's events plus lifecycle and state updates."""
        cursor = after
        key = f"thread:{thread_id}"
        events = self.backend.events
        next_heartbeat = time.monotonic() + self.heartbeat_seconds
        while True:
            batch = await events.read_thread(thread_id, cursor)
            for event in batch:
                cursor = event.id
                if _thread_feed_wants(event, modes):
                    yield event
            now = time.monotonic()
            if now >= next_heartbeat:
                next_heartbeat = now + self.heartbeat_seconds
                if await self.backend.threads.get_thread(thread_id) is None:
                    return  # the thread was deleted: its feed is over
                yield HEARTBEAT
            if not batch:
                await events.wait(key, cursor, next_heartbeat - now)

    async def thread_cursor(self, thread_id: str, last_event_id: str | None) -> EventId | None:
        if last_event_id is not None:
            return parse_last_event_id(last_event_id)
        return await self.backend.events.last_id(thread_id)


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
