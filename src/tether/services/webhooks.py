"""Webhooks: the finished run is POSTed to the URL it was created with, at least once.

The delivery is queued in the outbox in the same transaction that ends the run, so a
crash between the two loses none; any process with workers sends what is due, retrying
failures with exponential backoff (`webhook_retries` times), and a delivery whose sender
died mid-way is sent again once its lease runs out."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx

from tether.backends.local import wait_for
from tether.graphs import WebhookSettings
from tether.ids import uuid7
from tether.metrics import Metrics
from tether.ports import WebhookDelivery, WebhookOutbox
from tether.records import RunRecord, now_iso
from tether.serialization import dumps, loads
from tether.services.webhook_policy import PinnedTransport, WebhookRefused
from tether.tasks import cancel_and_wait

log = logging.getLogger("tether.webhooks")

#: How long a claimed delivery is ours before another process may send it again.
_LEASE_SECONDS = 60.0
_BATCH = 16


def webhook_delivery(
    run: RunRecord, url: str, status: str, result: Any, values: Any
) -> WebhookDelivery:
    """The official webhook body: the run, its final status, values and error."""
    payload = {
        **run.to_api(),
        "status": status,
        "run_started_at": run.created_at,
        "run_ended_at": now_iso(),
        "webhook_sent_at": now_iso(),
        "values": None if run.temporary else values,
    }
    if isinstance(result, dict) and "__error__" in result:
        payload["error"] = result["__error__"]
    return WebhookDelivery(uuid7(), run.run_id, url, dumps(payload))


class WebhookSender:
    def __init__(
        self,
        outbox: WebhookOutbox,
        *,
        worker_id: str,
        retries: int = 3,
        backoff_seconds: float = 1.0,
        poll_seconds: float = 1.0,
        metrics: Metrics | None = None,
        settings: WebhookSettings | None = None,
    ) -> None:
        self.outbox = outbox
        self.metrics = metrics
        self.settings = settings or WebhookSettings()
        self.worker_id = worker_id
        self.retries = retries
        self.backoff_seconds = backoff_seconds
        self.poll_seconds = poll_seconds
        # Every request goes to an address the settings allow, checked as it is sent (the
        # URL was checked when the run was created; the settings or DNS may have changed).
        self._client = httpx.AsyncClient(
            timeout=10.0, transport=PinnedTransport(self.settings), follow_redirects=False
        )
        self._wake = asyncio.Event()
        self._loop_task: asyncio.Task[None] | None = None
        self._sending: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._loop_task = asyncio.create_task(self._loop(), name="tether-webhooks")

    def wake(self) -> None:
        """A delivery was queued by this process: send it now rather than at the next poll."""
        self._wake.set()

    async def _loop(self) -> None:
        while True:
            try:
                for delivery in await self.outbox.claim_webhooks(
                    self.worker_id, _BATCH, _LEASE_SECONDS
                ):
                    task = asyncio.create_task(self._send(delivery))
                    self._sending.add(task)
                    task.add_done_callback(self._sending.discard)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("reading the webhook outbox failed")
            await wait_for(self._wake, self.poll_seconds)
            self._wake.clear()

    def _body(self, payload: bytes) -> bytes:
        fields = self.settings.allowed_fields
        if fields is None:
            return payload
        return dumps({k: v for k, v in loads(payload).items() if k in fields})

    async def _send(self, delivery: WebhookDelivery) -> None:
        try:
            response = await self._client.post(
                delivery.url,
                content=self._body(delivery.payload),
                headers={**dict(self.settings.headers), "Content-Type": "application/json"},
            )
            failure = None if response.status_code < 500 else f"HTTP {response.status_code}"
        except WebhookRefused as exc:
            log.warning(
                "webhook to %s not sent: %s",
                delivery.url,
                exc.detail,
                extra={"run_id": delivery.run_id},
            )
            await self.outbox.webhook_failed(delivery.delivery_id, retry_in_seconds=None)
            return
        except httpx.HTTPError as exc:
            failure = repr(exc)
        outcome = (
            "delivered"
            if failure is None
            else "retried"
            if delivery.attempts < self.retries
            else "dropped"
        )
        if self.metrics is not None:
            self.metrics.webhook_deliveries.labels(outcome).inc()
        if failure is None:
            await self.outbox.webhook_delivered(delivery.delivery_id)
            return
        if delivery.attempts < self.retries:
            log.info(
                "webhook to %s failed: %s",
                delivery.url,
                failure,
                extra={"run_id": delivery.run_id},
            )
            await self.outbox.webhook_failed(
                delivery.delivery_id,
                retry_in_seconds=self.backoff_seconds * 2**delivery.attempts,
            )
        else:
            log.warning(
                "webhook to %s gave up after %s attempts: %s",
                delivery.url,
                delivery.attempts + 1,
                failure,
                extra={"run_id": delivery.run_id},
            )
            await self.outbox.webhook_failed(delivery.delivery_id, retry_in_seconds=None)

    async def close(self) -> None:
        await cancel_and_wait(self._loop_task, *self._sending)
        await self._client.aclose()
