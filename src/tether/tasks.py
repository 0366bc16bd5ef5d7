"""Stopping the background loops of a process (the cron scheduler, the webhook sender, the
worker pool's claim and lease loops)."""

from __future__ import annotations

import asyncio
import contextlib

#: How often a cancel is repeated while the task goes on.
_AGAIN_EVERY = 0.5


async def cancel_and_wait(*tasks: asyncio.Task[object] | None) -> None:
    """Cancel the tasks and wait until each has ended, cancelling again while one goes on.

    One cancel is not always enough on Python 3.11: `asyncio.wait_for` (which psycopg's pool
    and connections await) drops a cancellation that lands as the awaited result arrives, and
    a loop that lost its cancel waits for its next round (a minute for the cron scheduler)."""
    pending = {t for t in tasks if t is not None and not t.done()}
    while pending:
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=_AGAIN_EVERY)
    for ended in tasks:
        if ended is not None and not ended.cancelled():
            with contextlib.suppress(BaseException):
                ended.result()  # retrieved: no "exception was never retrieved" warning
