"""Cron jobs: a schedule that creates runs, on a thread or stateless."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

from tether.errors import InvalidInput, NotFound
from tether.ids import is_uuid, uuid7
from tether.ports import CronStore, Signals, ThreadStore
from tether.records import now_iso
from tether.services.runs import RunService
from tether.services.threads import check_thread_id
from tether.services.webhook_policy import check_webhook
from tether.tasks import cancel_and_wait

log = logging.getLogger("tether.crons")

_PAYLOAD_KEYS = (
    "assistant_id",
    "input",
    "metadata",
    "config",
    "context",
    "checkpoint_during",
    "interrupt_before",
    "interrupt_after",
    "webhook",
    "multitask_strategy",
    "stream_mode",
    "stream_subgraphs",
    "stream_resumable",
    "durability",
)


def next_run_date(
    schedule: str, timezone: str | None, after: datetime | None = None, end_time: str | None = None
) -> str | None:
    try:
        zone = ZoneInfo(timezone) if timezone else UTC
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(f"Unknown timezone {timezone!r}") from exc
    start = (after or datetime.now(UTC)).astimezone(zone)
    if not croniter.is_valid(schedule):
        raise InvalidInput(f"Invalid cron schedule {schedule!r}")
    upcoming: datetime = croniter(schedule, start).get_next(datetime)
    if end_time and upcoming > datetime.fromisoformat(end_time):
        return None
    return upcoming.astimezone(UTC).isoformat()


class CronService:
    def __init__(
        self, *, crons: CronStore, threads: ThreadStore, signals: Signals, runs: RunService
    ) -> None:
        self.crons = crons
        self.threads = threads
        self.signals = signals
        self.runs = runs
        self._task: asyncio.Task[None] | None = None

    async def create(self, thread_id: str | None, body: dict[str, Any]) -> dict[str, Any]:
        if thread_id is not None:
            check_thread_id(thread_id)
            if await self.threads.get_thread(thread_id) is None:
                raise NotFound(f"Thread with ID {thread_id} not found")
        assistant = await self.runs.assistants.resolve(body["assistant_id"])
        await check_webhook(body.get("webhook"), self.runs.webhook_settings)
        cron_id = uuid7()
        payload = {k: body[k] for k in _PAYLOAD_KEYS if body.get(k) is not None}
        payload["assistant_id"] = assistant["assistant_id"]
        config = dict(payload.get("config") or {})
        config["configurable"] = {**(config.get("configurable") or {}), "cron_id": cron_id}
        payload["config"] = config
        end_time = _iso(body.get("end_time"))
        now = now_iso()
        cron = {
            "cron_id": cron_id,
            "assistant_id": assistant["assistant_id"],
            "thread_id": thread_id,
            "user_id": body.get("user_id") or "",
            "schedule": body["schedule"],
            "timezone": body.get("timezone"),
            "end_time": end_time,
            "payload": payload,
            "metadata": body.get("metadata") or {},
            "on_run_completed": None if thread_id else (body.get("on_run_completed") or "delete"),
            "enabled": body.get("enabled", True) is not False,
            "next_run_date": next_run_date(
                body["schedule"], body.get("timezone"), end_time=end_time
            ),
            "created_at": now,
            "updated_at": now,
        }
        created: dict[str, Any] = await self.crons.create_cron(cron)
        await self.signals.notify_crons()
        return created

    async def get(self, cron_id: str) -> dict[str, Any]:
        if not is_uuid(cron_id):
            raise InvalidInput("Invalid cron ID: must be a UUID")
        found = await self.crons.get_cron(cron_id)
        if found is None:
            raise NotFound(f"Cron with ID {cron_id} not found")
        return dict(found)

    async def update(self, cron_id: str, body: dict[str, Any]) -> dict[str, Any]:
        cron = await self.get(cron_id)
        await check_webhook(body.get("webhook"), self.runs.webhook_settings)
        changes: dict[str, Any] = {}
        payload = dict(cron["payload"])
        for key in _PAYLOAD_KEYS:
            if key in body and body[key] is not None and key != "assistant_id":
                payload[key] = body[key]
        changes["payload"] = payload
        for key in ("schedule", "timezone", "on_run_completed", "enabled"):
            if body.get(key) is not None:
                changes[key] = body[key]
        if body.get("metadata") is not None:
            changes["metadata"] = {**cron["metadata"], **body["metadata"]}
        if "end_time" in body:
            changes["end_time"] = _iso(body["end_time"])
        merged = {**cron, **changes}
        # Shown even while disabled: when it would run; only enabled crons fire.
        changes["next_run_date"] = next_run_date(
            merged["schedule"], merged["timezone"], end_time=merged["end_time"]
        )
        changes["updated_at"] = now_iso()
        updated = await self.crons.update_cron(cron_id, changes)
        await self.signals.notify_crons()
        return dict(updated or {})

    async def delete(self, cron_id: str) -> None:
        await self.get(cron_id)
        await self.crons.delete_cron(cron_id)

    async def search(self, **filters: Any) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = await self.crons.search_crons(**filters)
        return result

    async def count(self, **filters: Any) -> int:
        result: int = await self.crons.count_crons(**filters)
        return result

    # -- scheduler -----------------------------------------------------------------------

    async def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="tether-crons")

    async def stop(self) -> None:
        await cancel_and_wait(self._task)

    async def _loop(self) -> None:
        while True:
            try:
                await self.fire_due()
                upcoming = await self.crons.next_due()
                delay = 60.0
                if upcoming:
                    delay = max(
                        0.0,
                        min(
                            delay,
                            (datetime.fromisoformat(upcoming) - datetime.now(UTC)).total_seconds(),
                        ),
                    )
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("cron scheduling failed")
                delay = 5.0
            await self.signals.wait_for_crons(delay)

    async def fire_due(self) -> int:
        def advance(cron: dict[str, Any]) -> str | None:
            return next_run_date(cron["schedule"], cron["timezone"], end_time=cron["end_time"])

        due = await self.crons.claim_due(now_iso(), advance)
        for cron in due:
            payload = dict(cron["payload"])
            try:
                if cron["thread_id"]:
                    await self.runs.create(cron["thread_id"], payload)
                else:
                    payload["on_completion"] = cron["on_run_completed"] or "delete"
                    await self.runs.create(None, payload, stateless=True)
            except Exception:
                log.exception("cron %s could not start its run", cron["cron_id"])
        return len(due)


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    try:
        return datetime.fromisoformat(str(value)).isoformat()
    except ValueError as exc:
        raise InvalidInput(f"Invalid end_time {value!r}: expected an ISO 8601 date-time") from exc
