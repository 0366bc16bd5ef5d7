"""Requests of the crons resource."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from tether_sdk._core.wire import NOT_PROVIDED, truthy, without_none


def resolve_timezone(timezone: str | tzinfo | None) -> str | None:
    """An IANA name for ``timezone`` (``ZoneInfo.key``, else ``tzname``)."""
    if timezone is None or isinstance(timezone, str):
        return timezone
    if isinstance(timezone, tzinfo):
        if isinstance(key := getattr(timezone, "key", None), str):
            return key
        if (name := timezone.tzname(None)) is not None:
            return name
        raise ValueError(
            f"Cannot determine timezone name from {timezone!r}. "
            "Use a zoneinfo.ZoneInfo instance or pass a string like 'America/New_York'."
        )
    raise TypeError(
        f"Expected str, datetime.tzinfo, or None for timezone, got {type(timezone).__name__}"
    )


def create_body(
    *,
    end_time: datetime | None,
    timezone: str | tzinfo | None,
    multitask_strategy: str | None,
    **fields: Any,
) -> dict[str, Any]:
    return without_none(
        {
            **fields,
            "end_time": end_time.isoformat() if end_time else None,
            "timezone": resolve_timezone(timezone),
            **truthy({"multitask_strategy": multitask_strategy}),
        }
    )


def update_body(
    *, end_time: datetime | None, timezone: str | tzinfo | None, **fields: Any
) -> dict[str, Any]:
    # end_time: left out when not passed, null when passed as None (clears it).
    body = without_none({**fields, "timezone": resolve_timezone(timezone)})
    if end_time is not NOT_PROVIDED:
        body["end_time"] = end_time.isoformat() if end_time is not None else None
    return body


def search_body(
    *,
    assistant_id: str | None,
    thread_id: str | None,
    enabled: bool | None,
    limit: int,
    offset: int,
    **fields: Any,
) -> dict[str, Any]:
    body = without_none(
        {
            "assistant_id": assistant_id,
            "thread_id": thread_id,
            "enabled": enabled,
            "limit": limit,
            "offset": offset,
        }
    )
    return {**body, **truthy(fields)}


def count_body(**fields: Any) -> dict[str, Any]:
    return truthy(fields)
