"""The in-process worker pool: claims runs as soon as they are admitted (woken by a
signal, with polling only as a guarantee), renews their leases, and stops them on cancel."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
import uuid
from dataclasses import dataclass
from typing import Any

from tether.logs import run_fields
from tether.ports import Backend, Claimed
from tether.records import RunRecord
from tether.settings import Settings
from tether.tasks import cancel_and_wait
from tether.worker.executor import RunExecutor, RunHandle, StopReason

log = logging.getLogger("tether.worker")


def _new_worker_id() -> str:
    """`host:pid:nonce`: what a run's `lease_owner` shows."""
    return f"{os.uname().nodename}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class _Active:
    run: RunRecord
    task: asyncio.Task[None]
    handle: RunHandle


class WorkerPool:
    def __init__(self, backend: Backend, executor: RunExecutor, settings: Settings) -> None:
        self.backend = backend
        self.executor = executor
        self.settings = settings
        self.worker_id = _new_worker_id()
        self.active: dict[str, _Active] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False
        backend.signals.on_cancel(self._on_cancel)

    @property
    def capacity(self) -> int:
        return self.settings.workers

    @property
    def absent_for(self) -> float:
        """How long a worker's presence mark may be missing before its runs are taken
        back (a restarting database or a terminated session costs it less): twice the
        poll interval, at least 1 s, at most a lease."""
        return min(self.settings.lease_seconds, max(1.0, 2 * self.settings.poll_seconds))

    async def start(self) -> None:
        # Alive before claiming anything: a run this worker claims carries its mark, so if
        # the process dies (even by kill -9) another worker resumes the run within
        # `absent_for` instead of a whole lease.
        lost = await self.backend.runs.hold_presence(self.worker_id)
        self._tasks = [
            asyncio.create_task(self._claim_loop(), name="tether-claim"),
            asyncio.create_task(self._lease_loop(), name="tether-lease"),
        ]
        if lost is not None:
            self._tasks.append(asyncio.create_task(self._keep_presence(lost), name="tether-mark"))

    async def _keep_presence(self, lost: asyncio.Event | None) -> None:
        """Take the presence mark again when its connection breaks. If that fails for half
        of `absent_for`, other workers are about to take this worker's runs back: stop them
        first and go on under a new id (the runs go back to the queue under the old one)."""
        while lost is not None:
            await lost.wait()
            log.warning("worker %s lost its presence mark; taking it again", self.worker_id)
            deadline = time.monotonic() + self.absent_for / 2
            while True:
                try:
                    lost = await self.backend.runs.hold_presence(self.worker_id)
                    break
                except Exception:
                    # Runs still at work under the lost mark (stopped ones may take a while
                    # to wind down while the database is away: they are not stopped again).
                    working = [r for r, a in self.active.items() if a.handle.reason is None]
                    if time.monotonic() >= deadline and working:
                        log.warning(
                            "worker %s could not take its presence mark again: stopping its"
                            " %s runs (another attempt resumes them)",
                            self.worker_id,
                            len(working),
                        )
                        for run_id in working:
                            self._stop_run(run_id, StopReason.LOST_CLAIM)
                        with contextlib.suppress(Exception):
                            await self.backend.runs.drop_presence(self.worker_id)
                        self.worker_id = _new_worker_id()
                    await asyncio.sleep(min(0.2, self.absent_for / 10))

    async def stop(self) -> None:
        """Stop claiming; give running runs `shutdown_grace_seconds` to finish (their
        leases still renewed), then hand the rest back to the queue."""
        self._stopping = True
        claim, lease, *mark = self._tasks
        claim.cancel()
        running = [a.task for a in self.active.values()]
        if running and self.settings.shutdown_grace_seconds > 0:
            log.info(
                "waiting up to %ss for %s running runs to finish",
                self.settings.shutdown_grace_seconds,
                len(running),
            )
            await asyncio.wait(running, timeout=self.settings.shutdown_grace_seconds)
        lease.cancel()
        for active in list(self.active.values()):
            active.handle.stop(StopReason.SHUTDOWN)
        # The mark itself is kept until the runs are handed back.
        await cancel_and_wait(claim, lease, *mark)
        await asyncio.gather(*(a.task for a in self.active.values()), return_exceptions=True)
        with contextlib.suppress(Exception):
            await self.backend.runs.drop_presence(self.worker_id)

    async def _claim_available(self) -> float | None:
        """Claim what fits in the free slots (one round trip); seconds until a delayed
        run comes due, if one lies ahead."""
        free = self.capacity - len(self.active)
        if free <= 0:
            return None
        claims = await self.backend.runs.claim_runs(
            self.worker_id, self.settings.lease_seconds, free
        )
        for claimed in claims.claimed:
            self._start(claimed)
        return claims.next_in

    def _start(self, claimed: Claimed) -> None:
        run, handle = claimed.run, RunHandle()
        task = asyncio.create_task(
            self._execute(run, handle, claimed.thread_metadata), name=f"run:{run.run_id}"
        )
        self.active[run.run_id] = _Active(run, task, handle)

    async def _execute(
        self, run: RunRecord, handle: RunHandle, thread_metadata: dict[str, Any]
    ) -> None:
        try:
            await self.executor.execute(run, handle, thread_metadata)
        except asyncio.CancelledError:
            pass
        except Exception:
            # Not the graph (its failures are the run's result): storage failed under the run.
            # Hand it back at once, so another attempt resumes it from its last checkpoint;
            # if even that fails, its lease runs out and the sweeper does it.
            log.exception(
                "run failed in the worker; handing it back to the queue", extra=run_fields(run)
            )
            with contextlib.suppress(Exception):
                if await self.backend.runs.release_run(run):
                    self.executor.metrics.runs_handed_back.inc()
                    await self.backend.signals.notify_work()
        finally:
            was_full = len(self.active) >= self.capacity
            self.active.pop(run.run_id, None)
            if was_full and not self._stopping:  # room again: look for queued runs
                with contextlib.suppress(Exception):
                    await self.backend.signals.notify_work()

    async def _claim_loop(self) -> None:
        while not self._stopping:
            try:
                timeout = self.settings.poll_seconds
                delay = await self._claim_available()
                if delay is not None:
                    # A timer may fire a little early: then this is ~0 and the claim is retried.
                    timeout = min(timeout, delay)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("claiming runs failed")
                timeout = self.settings.poll_seconds
            await self.backend.signals.wait_for_work(timeout)

    async def _lease_loop(self) -> None:
        # Leases are renewed every third of their length; expired ones (a dead worker's)
        # are looked for more often, so its runs resume soon after the lease runs out.
        renew_every = max(0.05, self.settings.lease_seconds / 3)
        sweep_every = max(0.05, min(renew_every, self.settings.poll_seconds))
        next_renewal = time.monotonic() + renew_every
        while True:
            await asyncio.sleep(sweep_every)
            with contextlib.suppress(Exception):
                if time.monotonic() >= next_renewal:
                    next_renewal = time.monotonic() + renew_every
                    await self._renew_leases()
                for run in await self.backend.runs.requeue_expired(absent_for=self.absent_for):
                    log.warning(
                        "run lost its worker; queued again (attempt %s next)",
                        run.attempt + 1,
                        extra=run_fields(run),
                    )
                    await self.backend.signals.notify_work()

    async def _renew_leases(self) -> None:
        for run_id, active in list(self.active.items()):
            current = await self.backend.runs.renew_lease(
                run_id, active.run.attempt, self.settings.lease_seconds
            )
            if current is None:
                self._stop_run(run_id, StopReason.LOST_CLAIM)
            elif current.cancel_action:
                self._stop_run(run_id, StopReason.CANCEL)

    def _on_cancel(self, run_id: str) -> None:
        self._stop_run(run_id, StopReason.CANCEL)

    def _stop_run(self, run_id: str, reason: str) -> None:
        active = self.active.get(run_id)
        if active is not None:
            active.handle.stop(reason)
