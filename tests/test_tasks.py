"""Background loops stop even when an awaited library drops their first cancel."""

from __future__ import annotations

import asyncio

from tether.tasks import cancel_and_wait


async def test_a_loop_that_lost_its_cancel_is_still_stopped() -> None:
    rounds = 0

    async def loop() -> None:
        # What Python 3.11's asyncio.wait_for does to a cancel that lands as the awaited
        # result arrives: the cancel is dropped, the loop goes on to its next long wait.
        nonlocal rounds
        while True:
            rounds += 1
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                if rounds == 1:
                    continue  # dropped once
                raise

    task = asyncio.create_task(loop())
    await asyncio.sleep(0)
    await asyncio.wait_for(cancel_and_wait(task), timeout=30)
    assert task.cancelled() and rounds == 2


async def test_tasks_that_ended_or_none_are_fine() -> None:
    async def fails() -> None:
        raise RuntimeError("boom")

    done = asyncio.create_task(asyncio.sleep(0))
    failed = asyncio.create_task(fails())
    await asyncio.sleep(0.01)
    await cancel_and_wait(done, failed, None)
    assert done.done() and failed.done()
