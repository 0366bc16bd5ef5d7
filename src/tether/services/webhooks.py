"""Webhooks: POST the finished run to the URL it was created with, retrying on failure."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx

from tether.records import RunRecord, now_iso
from tether.serialization import dumps

log = logging.getLogger("tether.webhooks")


class WebhookSender:
    def __init__(self, retries: int = 3, backoff_seconds: float = 1.0) -> None:
        self.retries = retries
        self.backoff_seconds = backoff_seconds
        self._client = httpx.AsyncClient(timeout=10.0)
        self._tasks: set[asyncio.Task[None]] = set()

    def __call__(self, run: RunRecord, status: str, result: Any, values: Any) -> None:
        payload = {
            **run.to_api(),
            "status": "interrupted" if status == "rollback" else status,
            "run_started_at": run.created_at,
            "run_ended_at": now_iso(),
            "webhook_sent_at": now_iso(),
            "values": None if run.temporary else values,
        }
        if isinstance(result, dict) and "__error__" in result:
            payload["error"] = result["__error__"]
        task = asyncio.create_task(self._send(run.kwargs["webhook"], payload))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send(self, url: str, payload: dict[str, Any]) -> None:
        body = dumps(payload)
        for attempt in range(self.retries + 1):
            try:
                response = await self._client.post(
                    url, content=body, headers={"Content-Type": "application/json"}
                )
                if response.status_code < 500:
                    return
            except httpx.HTTPError as exc:
                log.info("webhook to %s failed: %r", url, exc)
            if attempt < self.retries:
                await asyncio.sleep(self.backoff_seconds * 2**attempt)
        log.warning("webhook to %s gave up after %s attempts", url, self.retries + 1)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._client.aclose()
