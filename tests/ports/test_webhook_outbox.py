"""The WebhookOutbox: deliveries queued with a transaction, claimed once, retried, dropped."""

from __future__ import annotations

import asyncio

import pytest

from tether.ids import uuid7
from tether.ports import Backend, WebhookDelivery

from .conftest import OpenBackend
from .support import thread


def _delivery(run_id: str | None = None) -> WebhookDelivery:
    return WebhookDelivery(uuid7(), run_id or uuid7(), "http://127.0.0.1:9/hook", b'{"ok":true}')


async def test_a_delivery_is_queued_with_its_transaction_or_not_at_all(backend: Backend) -> None:
    t = thread()
    await backend.threads.create_thread(t, if_exists="raise")
    kept, dropped = _delivery(), _delivery()
    async with backend.threads.transaction(t.thread_id) as tx:
        await tx.add_webhook(kept)
    with pytest.raises(RuntimeError):
        async with backend.threads.transaction(t.thread_id) as tx:
            await tx.add_webhook(dropped)
            raise RuntimeError("the run's end was not stored")
    claimed = await backend.webhooks.claim_webhooks("w1", 10, 60)
    assert [(d.delivery_id, d.payload, d.attempts) for d in claimed] == [
        (kept.delivery_id, kept.payload, 0)
    ]


async def test_concurrent_claims_get_each_delivery_once(backend: Backend) -> None:
    t = thread()
    await backend.threads.create_thread(t, if_exists="raise")
    queued = [_delivery() for _ in range(12)]
    async with backend.threads.transaction(t.thread_id) as tx:
        for delivery in queued:
            await tx.add_webhook(delivery)
    batches = await asyncio.gather(
        *(backend.webhooks.claim_webhooks(f"w{i}", 5, 60) for i in range(4))
    )
    claimed = [d.delivery_id for batch in batches for d in batch]
    assert sorted(claimed) == sorted(d.delivery_id for d in queued)
    assert await backend.webhooks.claim_webhooks("w9", 10, 60) == []  # all leased


async def test_failures_come_back_when_due_and_can_be_dropped(backend: Backend) -> None:
    t = thread()
    await backend.threads.create_thread(t, if_exists="raise")
    retried, dropped, sent = _delivery(), _delivery(), _delivery()
    async with backend.threads.transaction(t.thread_id) as tx:
        for delivery in (retried, dropped, sent):
            await tx.add_webhook(delivery)
    assert len(await backend.webhooks.claim_webhooks("w1", 10, 60)) == 3
    await backend.webhooks.webhook_failed(retried.delivery_id, retry_in_seconds=0)
    await backend.webhooks.webhook_failed(dropped.delivery_id, retry_in_seconds=None)
    await backend.webhooks.webhook_delivered(sent.delivery_id)
    again = await backend.webhooks.claim_webhooks("w2", 10, 60)
    assert [(d.delivery_id, d.attempts) for d in again] == [(retried.delivery_id, 1)]


async def test_a_delivery_whose_sender_died_is_due_again_after_its_lease(
    backend: Backend,
) -> None:
    t = thread()
    await backend.threads.create_thread(t, if_exists="raise")
    lost = _delivery()
    async with backend.threads.transaction(t.thread_id) as tx:
        await tx.add_webhook(lost)
    assert len(await backend.webhooks.claim_webhooks("dead", 10, 0)) == 1
    again = await backend.webhooks.claim_webhooks("alive", 10, 60)
    assert [d.delivery_id for d in again] == [lost.delivery_id]


async def test_queued_deliveries_outlive_the_process(
    backend: Backend, open_same: OpenBackend
) -> None:
    t = thread()
    await backend.threads.create_thread(t, if_exists="raise")
    queued = _delivery()
    async with backend.threads.transaction(t.thread_id) as tx:
        await tx.add_webhook(queued)
    await backend.close()
    reopened = await open_same()
    claimed = await reopened.webhooks.claim_webhooks("w1", 10, 60)
    assert [d.delivery_id for d in claimed] == [queued.delivery_id]
