"""The webhook outbox in SQLite."""

from __future__ import annotations

import sqlite3

from tether.backends.sqlite.database import SQL_NOW, Database
from tether.ports import WebhookDelivery


def insert_webhook(conn: sqlite3.Connection, delivery: WebhookDelivery) -> None:
    conn.execute(
        "INSERT INTO webhook_outbox (delivery_id, run_id, url, payload, attempts, due_at)"
        f" VALUES (?, ?, ?, ?, ?, {SQL_NOW})",
        (delivery.delivery_id, delivery.run_id, delivery.url, delivery.payload, delivery.attempts),
    )


class SqliteWebhookOutbox:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def claim_webhooks(
        self, worker_id: str, limit: int, lease_seconds: float
    ) -> list[WebhookDelivery]:
        def claim(conn: sqlite3.Connection) -> list[WebhookDelivery]:
            rows = conn.execute(
                f"UPDATE webhook_outbox SET due_at = {SQL_NOW} + ? WHERE delivery_id IN"
                f" (SELECT delivery_id FROM webhook_outbox WHERE due_at <= {SQL_NOW}"
                "  ORDER BY due_at LIMIT ?) RETURNING *",
                (lease_seconds, limit),
            ).fetchall()
            return [
                WebhookDelivery(
                    r["delivery_id"], r["run_id"], r["url"], bytes(r["payload"]), r["attempts"]
                )
                for r in rows
            ]

        return await self._db.transaction(claim)

    async def webhook_delivered(self, delivery_id: str) -> None:
        def delete(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM webhook_outbox WHERE delivery_id = ?", (delivery_id,))

        await self._db.transaction(delete)

    async def webhook_failed(self, delivery_id: str, *, retry_in_seconds: float | None) -> None:
        def fail(conn: sqlite3.Connection) -> None:
            if retry_in_seconds is None:
                conn.execute("DELETE FROM webhook_outbox WHERE delivery_id = ?", (delivery_id,))
            else:
                conn.execute(
                    f"UPDATE webhook_outbox SET attempts = attempts + 1, due_at = {SQL_NOW} + ?"
                    " WHERE delivery_id = ?",
                    (retry_in_seconds, delivery_id),
                )

        await self._db.transaction(fail)
