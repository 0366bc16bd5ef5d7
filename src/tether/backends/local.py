"""In-process notices for a single-process deployment: signals between coroutines and
news of committed events."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator


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


class Heard:
    """The news of one key so far: `count` grows with each notice."""

    def __init__(self) -> None:
        self.count = 0
        self.listeners = 0
        self._next = asyncio.Event()

    def hear(self) -> None:
        self.count += 1
        self._next.set()
        self._next = asyncio.Event()

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

    def notify(self, key: str) -> None:
        event = self._events.pop(key, None)
        if event is not None:
            event.set()
        heard = self._heard.get(key)
        if heard is not None:
            heard.hear()

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
