"""ThreadStore transactions and the RunStore queue: admission, claims, leases, fencing."""

from __future__ import annotations

import asyncio

import pytest

from tether.ids import uuid7
from tether.ports import Backend, RunStore
from tether.records import RunRecord
from tether.services import lifecycle

from .conftest import OpenBackend
from .support import run, thread


async def _admit(backend: Backend, new: RunRecord) -> lifecycle.Admitted:
    async with backend.threads.transaction(new.thread_id) as tx:
        return await lifecycle.admit(tx, new, strict_resume=False, create_thread=None)


async def _claim(store: RunStore, worker: str, lease: float) -> RunRecord | None:
    """One claimed run (or None): the queue's order, one at a time."""
    claims = await store.claim_runs(worker, lease, 1)
    assert len(claims.claimed) <= 1
    return claims.claimed[0].run if claims.claimed else None


async def _finish(backend: Backend, claimed: RunRecord, status: str = "success") -> bool:
    end = lifecycle.RunEnd(status=status, result={}, thread_status="idle", thread_state={})
    async with backend.threads.transaction(claimed.thread_id) as tx:
        return await lifecycle.finish(tx, claimed, end)


async def test_concurrent_admissions_with_reject_accept_exactly_one(backend: Backend) -> None:
    t = thread()
    await backend.threads.create_thread(t, if_exists="raise")
    results = await asyncio.gather(
        *(_admit(backend, run(t.thread_id, strategy="reject")) for _ in range(20))
    )
    assert sum(r.run is not None for r in results) == 1
    assert sum(r.rejected for r in results) == 19
    inflight = await backend.runs.find_inflight(thread_id=t.thread_id, run_ids=None, status=None)
    assert len(inflight) == 1
    stored = await backend.threads.get_thread(t.thread_id)
    assert stored is not None and stored.status == "busy"


async def test_admission_into_a_missing_thread_writes_nothing(backend: Backend) -> None:
    missing = run(thread().thread_id)
    admitted = await _admit(backend, missing)
    assert not admitted.thread_found
    assert await backend.runs.get_run(missing.run_id) is None


async def test_a_transaction_that_raises_writes_nothing(backend: Backend) -> None:
    t = thread()
    await backend.threads.create_thread(t, if_exists="raise")
    doomed = run(t.thread_id)
    with pytest.raises(RuntimeError):
        async with backend.threads.transaction(t.thread_id) as tx:
            await tx.insert_run(doomed)
            await tx.update_thread({"status": "busy"})
            raise RuntimeError("changed my mind")
    assert await backend.runs.get_run(doomed.run_id) is None
    stored = await backend.threads.get_thread(t.thread_id)
    assert stored is not None and stored.status == "idle"


async def test_a_transaction_whose_write_fails_writes_nothing_and_the_next_ones_work(
    backend: Backend,
) -> None:
    t = thread()
    await backend.threads.create_thread(t, if_exists="raise")
    first = run(t.thread_id)
    await _admit(backend, first)
    before = await backend.threads.get_thread(t.thread_id)
    for _ in range(3):  # enough to come back to the failed transaction's connection
        with pytest.raises(Exception, match="(?i)unique|duplicate"):
            async with backend.threads.transaction(t.thread_id) as tx:
                await tx.update_thread({"metadata": {"changed": True}})
                await tx.insert_run(first)  # the same run id again: refused
        assert await backend.threads.get_thread(t.thread_id) == before
    second = run(t.thread_id)
    assert (await _admit(backend, second)).run is not None
    inflight = await backend.runs.find_inflight(thread_id=t.thread_id, run_ids=None, status=None)
    assert [r.run_id for r in inflight] == [
        first.run_id,
        second.run_id,
    ]


async def test_a_thread_runs_one_run_at_a_time_in_queue_order(backend: Backend) -> None:
    t = thread()
    await backend.threads.create_thread(t, if_exists="raise")
    first, second = run(t.thread_id), run(t.thread_id)
    await _admit(backend, first)
    await _admit(backend, second)

    claimed = await _claim(backend.runs, "w1", 30)
    assert claimed is not None and claimed.run_id == first.run_id
    assert claimed.status == "running" and claimed.attempt == 1
    assert await _claim(backend.runs, "w2", 30) is None  # the thread is busy

    assert await _finish(backend, claimed)
    after = await _claim(backend.runs, "w2", 30)
    assert after is not None and after.run_id == second.run_id
    stats = await backend.runs.queue_stats()
    assert (stats.pending, stats.running) == (0, 1)


async def test_concurrent_claims_take_each_run_once(backend: Backend) -> None:
    queued = []
    for _ in range(30):
        t = thread()
        await backend.threads.create_thread(t, if_exists="raise")
        queued.append(run(t.thread_id))
        await _admit(backend, queued[-1])

    async def claimer(name: str, limit: int) -> list[str]:
        taken: list[str] = []
        while claims := (await backend.runs.claim_runs(name, 30, limit)).claimed:
            assert len(claims) <= limit
            taken += [c.run.run_id for c in claims]
            await asyncio.sleep(0)
        return taken

    taken = await asyncio.gather(*(claimer(f"w{i}", limit=1 + i) for i in range(4)))
    flat = [run_id for part in taken for run_id in part]
    assert sorted(flat) == sorted(r.run_id for r in queued)


async def test_a_claim_takes_runs_of_distinct_threads_in_queue_order(backend: Backend) -> None:
    one, two, three = thread(), thread(metadata={"graph_id": "g"}), thread()
    for t in (one, two, three):
        await backend.threads.create_thread(t, if_exists="raise")
    queued = [run(one.thread_id), run(one.thread_id), run(two.thread_id), run(three.thread_id)]
    for new in queued:
        await _admit(backend, new)

    claims = await backend.runs.claim_runs("w1", 30, 3)
    # The second run of `one` waits behind the first: the claim takes the next thread's.
    assert [c.run.run_id for c in claims.claimed] == [
        queued[0].run_id,
        *(r.run_id for r in queued[2:]),
    ]
    assert all(c.run.status == "running" and c.run.attempt == 1 for c in claims.claimed)
    # Each comes with its thread's metadata as the claim saw it (after admission).
    assert (
        claims.claimed[1].thread_metadata
        == (await backend.threads.get_thread(two.thread_id)).metadata
    )
    assert claims.next_in is None
    assert (await backend.runs.claim_runs("w2", 30, 3)).claimed == []


async def test_a_delayed_run_waits_for_its_time(backend: Backend) -> None:
    t = thread()
    await backend.threads.create_thread(t, if_exists="raise")
    await _admit(backend, run(t.thread_id, delay=30))
    claims = await backend.runs.claim_runs("w1", 30, 4)
    assert claims.claimed == []
    assert claims.next_in is not None and 25 < claims.next_in <= 30


async def test_a_stale_attempt_is_refused_everywhere(backend: Backend) -> None:
    t = thread()
    await backend.threads.create_thread(t, if_exists="raise")
    await _admit(backend, run(t.thread_id))
    first = await _claim(backend.runs, "w1", 0)  # a lease that has already run out
    assert first is not None
    requeued = await backend.runs.requeue_expired()
    assert [r.run_id for r in requeued] == [first.run_id]
    second = await _claim(backend.runs, "w2", 30)
    assert second is not None and second.run_id == first.run_id and second.attempt == 2

    assert await backend.runs.renew_lease(first.run_id, first.attempt, 30) is None
    assert not await backend.runs.release_run(first)
    assert not await _finish(backend, first, "error")
    current = await backend.runs.get_run(first.run_id)
    assert current is not None and current.status == "running" and current.attempt == 2

    renewed = await backend.runs.renew_lease(second.run_id, second.attempt, 30)
    assert renewed is not None and renewed.attempt == 2
    assert await _finish(backend, second)
    done = await backend.runs.get_run(second.run_id)
    assert done is not None and done.status == "success" and done.ended_at is not None


async def test_a_released_run_is_claimed_again_as_the_next_attempt(backend: Backend) -> None:
    t = thread()
    await backend.threads.create_thread(t, if_exists="raise")
    await _admit(backend, run(t.thread_id))
    claimed = await _claim(backend.runs, "w1", 30)
    assert claimed is not None
    assert await backend.runs.release_run(claimed)
    again = await _claim(backend.runs, "w2", 30)
    assert again is not None and again.attempt == 2


async def test_a_run_s_trace_context_comes_back_with_every_claim(backend: Backend) -> None:
    t = thread()
    await backend.threads.create_thread(t, if_exists="raise")
    traced = run(t.thread_id)
    traced.trace_context = {
        "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "tracestate": "vendor=value",
    }
    untraced = run(t.thread_id)
    await _admit(backend, traced)
    await _admit(backend, untraced)
    claimed = await _claim(backend.runs, "w1", 30)
    assert claimed is not None and claimed.trace_context == traced.trace_context
    assert await backend.runs.release_run(claimed)
    again = await _claim(backend.runs, "w2", 30)
    assert again is not None and again.trace_context == traced.trace_context
    await _finish(backend, again)
    other = await _claim(backend.runs, "w1", 30)
    assert other is not None and other.run_id == untraced.run_id
    assert other.trace_context is None


async def test_cancel_ends_pending_runs_and_flags_running_ones(backend: Backend) -> None:
    t = thread()
    await backend.threads.create_thread(t, if_exists="raise")
    running, pending = run(t.thread_id), run(t.thread_id)
    await _admit(backend, running)
    await _admit(backend, pending)
    assert await _claim(backend.runs, "w1", 30) is not None

    async with backend.threads.transaction(t.thread_id) as tx:
        cancelled = await lifecycle.cancel(tx, [running, pending], "interrupt", "user")
    assert [r.run_id for r in cancelled.ended] == [pending.run_id]
    assert [r.run_id for r in cancelled.flagged] == [running.run_id]
    stored = await backend.runs.get_run(pending.run_id)
    assert stored is not None and stored.status == "interrupted"
    flagged = await backend.runs.renew_lease(running.run_id, 1, 30)
    assert flagged is not None and flagged.cancel_action == "interrupt"
    thread_now = await backend.threads.get_thread(t.thread_id)
    assert thread_now is not None and thread_now.status == "busy"  # one run still running


async def test_rollback_of_a_pending_run_deletes_it(backend: Backend) -> None:
    t = thread()
    await backend.threads.create_thread(t, if_exists="raise")
    pending = run(t.thread_id)
    await _admit(backend, pending)
    async with backend.threads.transaction(t.thread_id) as tx:
        cancelled = await lifecycle.cancel(tx, [pending], "rollback", "user")
    assert [r.run_id for r in cancelled.ended] == [pending.run_id]
    assert await backend.runs.get_run(pending.run_id) is None
    thread_now = await backend.threads.get_thread(t.thread_id)
    assert thread_now is not None and thread_now.status == "idle"


async def test_deleting_a_thread_deletes_its_runs(backend: Backend) -> None:
    t = thread()
    await backend.threads.create_thread(t, if_exists="raise")
    queued = run(t.thread_id)
    await _admit(backend, queued)
    async with backend.threads.transaction(t.thread_id) as tx:
        assert await tx.delete_thread()
    assert await backend.threads.get_thread(t.thread_id) is None
    assert await backend.runs.get_run(queued.run_id) is None
    assert await _claim(backend.runs, "w1", 30) is None


async def test_a_dead_worker_s_runs_are_requeued_by_its_missing_mark_not_its_lease(
    open_same: OpenBackend,
) -> None:
    # Two processes on one storage: `first` claims runs as worker w1, `second` sweeps.
    first = await open_same()
    lost = await first.runs.hold_presence("w1")
    if first.single_process:  # one process owns every run: it keeps no marks, leases apply
        assert lost is None
        return
    assert lost is not None
    second = await open_same()
    marked, unmarked = thread(), thread()
    for t in (marked, unmarked):
        await first.threads.create_thread(t, if_exists="raise")
        await _admit(first, run(t.thread_id))
    claimed = await _claim(first.runs, "w1", 30)  # held mark: the run carries it
    other = await _claim(first.runs, "w-without-mark", 30)  # an older worker: lease only
    assert claimed is not None and other is not None

    # Alive: nothing is taken back, however long the sweeper has watched.
    assert await second.runs.requeue_expired(absent_for=0.0) == []
    assert not lost.is_set()

    # The process dies (its mark's session ends): the run comes back long before its lease.
    await first.runs.drop_presence("w1")
    requeued = await second.runs.requeue_expired(absent_for=0.0)
    assert [r.run_id for r in requeued] == [claimed.run_id]
    again = await _claim(second.runs, "w2", 30)
    assert again is not None and again.run_id == claimed.run_id and again.attempt == 2
    # The old attempt is fenced; the unmarked run still waits for its lease.
    assert await first.runs.renew_lease(claimed.run_id, claimed.attempt, 30) is None
    current = await second.runs.get_run(other.run_id)
    assert current is not None and current.status == "running"


async def test_a_mark_missing_for_less_than_absent_for_keeps_its_runs(
    open_same: OpenBackend,
) -> None:
    first = await open_same()
    if first.single_process:
        return  # no marks (the test above checks it says so)
    second = await open_same()
    assert await first.runs.hold_presence("w1") is not None
    t = thread()
    await first.threads.create_thread(t, if_exists="raise")
    await _admit(first, run(t.thread_id))
    claimed = await _claim(first.runs, "w1", 30)
    assert claimed is not None
    await first.runs.drop_presence("w1")
    # Seen missing now; not yet for an hour: kept.
    assert await second.runs.requeue_expired(absent_for=3600) == []
    # Taken again (a restarted session): the sweeper forgets it was missing.
    assert await first.runs.hold_presence("w1") is not None
    assert await second.runs.requeue_expired(absent_for=0.0) == []
    current = await second.runs.get_run(claimed.run_id)
    assert current is not None and current.status == "running" and current.attempt == 1


async def test_losing_the_mark_s_connection_is_reported_at_once(open_same: OpenBackend) -> None:
    backend = await open_same()
    worker_id = f"w-{uuid7()}"
    lost = await backend.runs.hold_presence(worker_id)
    if backend.single_process:
        return  # no marks (the first test of these checks it says so)
    assert lost is not None
    import psycopg
    from conftest import POSTGRES_ADMIN_URL

    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
            (f"tether presence {worker_id}",),
        )
    await asyncio.wait_for(lost.wait(), timeout=10)
