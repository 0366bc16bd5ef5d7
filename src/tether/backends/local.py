"""In-process notices for a single-process deployment: signals between coroutines and
news of committed events."""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from tether.ids import EventId
from tether.records import StreamEvent


async def wait_for(event: asyncio.Event, timeout: float) -> bool:
    """True once `event` is set; False after `timeout` seconds."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(timeout):
            await event.wait()
            return True
    return False


class LocalSignals:
    """Wake-ups and cancel notices between coroutines of one process."""

    def __init__(self) -> None:
        self._work = asyncio.Event()
        self._crons = asyncio.Event()
        self._cancel_callbacks: list[Callable[[str], None]] = []

    async def notify_work(self) -> None:
        self._work.set()

    async def wait_for_work(self, timeout: float) -> None:
        await wait_for(self._work, timeout)
        self._work.clear()

    async def notify_cancel(self, run_id: str) -> None:
        for callback in self._cancel_callbacks:
            callback(run_id)

    def on_cancel(self, callback: Callable[[str], None]) -> None:
        self._cancel_callbacks.append(callback)

    async def notify_crons(self) -> None:
        self._crons.set()

    async def wait_for_crons(self, timeout: float) -> None:
        await wait_for(self._crons, timeout)
        self._crons.clear()

    async def close(self) -> None:
        self._cancel_callbacks.clear()


@dataclass(frozen=True)
class Batch:
    """The events of one append, as its news carries them: they follow `prev` (the id
    the thread's log ended at before the append; None: it was empty) with nothing
    between them and it, or each other."""

    prev: EventId | None
    events: tuple[StreamEvent, ...]

    @property
    def last(self) -> EventId:
        return self.events[-1].id

    @property
    def size(self) -> int:
        return sum(len(e.data) for e in self.events)


#: Batches kept per followed key (kept while anyone here follows it, whether or not its
#: readers have taken them): a reader further behind reads the log instead.
BATCHES_KEPT = 16
#: ... and at most this many bytes of event data among them (one bigger batch is kept alone).
BATCH_BYTES_KEPT = 256 * 1024


class Heard:
    """The news of one key so far: `count` grows with each notice. Notices that carried
    their events keep them for a while (`following`), so readers at the right place take
    them without reading the log; `lost` counts the notices that came without them."""

    def __init__(self) -> None:
        self.count = 0
        self.lost = 0
        self.listeners = 0
        self._next = asyncio.Event()
        self._batches: OrderedDict[EventId | None, Batch] = OrderedDict()
        self._bytes = 0

    def hear(self, batch: Batch | None = None) -> None:
        self.count += 1
        if batch is None:
            self.lost += 1
        elif batch.events:
            self._keep(batch)
        self._next.set()
        self._next = asyncio.Event()

    def _keep(self, batch: Batch) -> None:
        replaced = self._batches.pop(batch.prev, None)
        if replaced is not None:
            self._bytes -= replaced.size
        self._batches[batch.prev] = batch
        self._bytes += batch.size
        while len(self._batches) > BATCHES_KEPT or (
            self._bytes > BATCH_BYTES_KEPT and len(self._batches) > 1
        ):
            _, dropped = self._batches.popitem(last=False)
            self._bytes -= dropped.size

    def following(self, cursor: EventId | None) -> Batch | None:
        """A kept batch that goes on from `cursor` with no gap: the one that follows it
        exactly, or one that holds it (a read of the log stopped inside it)."""
        batch = self._batches.get(cursor)
        if batch is not None or cursor is None:
            return batch
        for batch in self._batches.values():
            if batch.events[0].id <= cursor < batch.last:
                return batch
        return None

    def beyond(self, cursor: EventId | None) -> bool:
        """Whether a kept batch holds events after `cursor` (if none follows on from it,
        something between was missed: read the log)."""
        return any(cursor is None or batch.last > cursor for batch in self._batches.values())

    async def wait_past(self, count: int, timeout: float) -> bool:
        """True once the count is above `count`; False after `timeout` seconds."""
        if self.count > count:
            return True
        return await wait_for(self._next, timeout)


class _Subscription:
    def __init__(self, event: asyncio.Event) -> None:
        self._event = event

    async def wait(self, timeout: float) -> bool:
        """True once news arrived since subscribing; False after `timeout` seconds."""
        return await wait_for(self._event, timeout)


class News:
    """ "Something was committed under this key": readers subscribe before they look, so
    a commit between their look and their wait still wakes them. Holds an entry only
    while someone waits on the key.

    Two ways to follow a key: `subscription` (one wake-up) and `listen` (a count of the
    news so far, for a reader that follows a key for long: it notes the count before it
    looks, and looks again whenever the count has moved)."""

    def __init__(self) -> None:
        self._events: dict[str, asyncio.Event] = {}
        self._waiting: dict[str, int] = {}
        self._heard: dict[str, Heard] = {}

    def wants(self, key: str) -> bool:
        """Whether anyone here waits for news of `key`."""
        return key in self._heard or key in self._events

    def notify(self, key: str, batch: Batch | None = None) -> None:
        """News under `key`, with the events it announces if it carries them."""
        event = self._events.pop(key, None)
        if event is not None:
            event.set()
        heard = self._heard.get(key)
        if heard is not None:
            heard.hear(batch)

    def notify_all(self) -> None:
        """Wake every waiter (news may have been lost)."""
        events, self._events = self._events, {}
        for event in events.values():
            event.set()
        for heard in self._heard.values():
            heard.hear()

    @contextlib.contextmanager
    def listen(self, key: str) -> Iterator[Heard]:
        heard = self._heard.get(key)
        if heard is None:
            heard = self._heard[key] = Heard()
        heard.listeners += 1
        try:
            yield heard
        finally:
            heard.listeners -= 1
            if not heard.listeners and self._heard.get(key) is heard:
                del self._heard[key]

    @contextlib.contextmanager
    def subscription(self, key: str) -> Iterator[_Subscription]:
        event = self._events.get(key)
        if event is None:
            event = self._events[key] = asyncio.Event()
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            yield _Subscription(event)
        finally:
            left = self._waiting.pop(key) - 1
            if left:
                self._waiting[key] = left
            elif self._events.get(key) is event:
                del self._events[key]
