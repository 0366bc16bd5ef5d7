"""The webhook outbox in PostgreSQL: claims skip rows another process is taking."""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection

from tether.backends.postgres.database import SQL_NOW, Pool
from tether.ports import WebhookDelivery


async def insert_webhook(conn: AsyncConnection[Any], delivery: WebhookDelivery) -> None:
    await conn.execute(
        "INSERT INTO webhook_outbox (delivery_id, run_id, url, payload, attempts, due_at)"
        f" VALUES (%s, %s, %s, %s, %s, {SQL_NOW})",
        (delivery.delivery_id, delivery.run_id, delivery.url, delivery.payload, delivery.attempts),
    )


class PostgresWebhookOutbox:
    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def claim_webhooks(
        self, worker_id: str, limit: int, lease_seconds: float
    ) -> list[WebhookDelivery]:
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                f"UPDATE webhook_outbox SET due_at = {SQL_NOW} + %s WHERE delivery_id IN"
                f" (SELECT delivery_id FROM webhook_outbox WHERE due_at <= {SQL_NOW}"
                "  ORDER BY due_at LIMIT %s FOR UPDATE SKIP LOCKED) RETURNING *",
                (lease_seconds, limit),
            )
            return [
                WebhookDelivery(
                    r["delivery_id"], r["run_id"], r["url"], bytes(r["payload"]), r["attempts"]
                )
                for r in await cur.fetchall()
            ]

    async def webhook_delivered(self, delivery_id: str) -> None:
        async with self._pool.connection() as conn:
            await conn.execute("DELETE FROM webhook_outbox WHERE delivery_id = %s", (delivery_id,))

    async def webhook_failed(self, delivery_id: str, *, retry_in_seconds: float | None) -> None:
        async with self._pool.connection() as conn:
            if retry_in_seconds is None:
                await conn.execute(
                    "DELETE FROM webhook_outbox WHERE delivery_id = %s", (delivery_id,)
                )
            else:
                await conn.execute(
                    "UPDATE webhook_outbox SET attempts = attempts + 1,"
                    f" due_at = {SQL_NOW} + %s WHERE delivery_id = %s",
                    (retry_in_seconds, delivery_id),
                )
