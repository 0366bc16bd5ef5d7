"""In-process signals for a single-process deployment."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable


class LocalSignals:
    """Wake-ups and cancel notices between coroutines of one process."""

    def __init__(self) -> None:
        self._work = asyncio.Event()
        self._cancel_callbacks: list[Callable[[str], None]] = []

    def notify_work(self) -> None:
        self._work.set()

    async def wait_for_work(self, timeout: float) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await self._work.wait()
        self._work.clear()

    def notify_cancel(self, run_id: str) -> None:
        for callback in self._cancel_callbacks:
            callback(run_id)

    def on_cancel(self, callback: Callable[[str], None]) -> None:
        self._cancel_callbacks.append(callback)

    async def close(self) -> None:
        self._cancel_callbacks.clear()
