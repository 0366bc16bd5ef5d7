"""Crons: create (stateless and on a thread), search, count, update, delete."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from langgraph_sdk.errors import NotFoundError, UnprocessableEntityError

from .support import AGENT_ASSISTANT_ID, Client, assert_detail, unknown_id

CRON_KEYS = {
    "cron_id",
    "assistant_id",
    "thread_id",
    "end_time",
    "schedule",
    "created_at",
    "updated_at",
    "payload",
    "next_run_date",
    "metadata",
    "enabled",
}
#: Once a year: never fires while the suite runs.
YEARLY = "0 0 1 1 *"


async def _cron(client: Client, **kwargs: Any) -> dict[str, Any]:
    kwargs.setdefault("metadata", {"tag": uuid.uuid4().hex})
    return await client.crons.create("agent", schedule=YEARLY, input={"delay": 0}, **kwargs)  # type: ignore[no-any-return]


async def test_create_returns_the_cron(client: Client) -> None:
    cron = await _cron(client, metadata={"owner": "me"})

    assert cron.keys() >= CRON_KEYS
    uuid.UUID(cron["cron_id"])
    assert cron["assistant_id"] == AGENT_ASSISTANT_ID
    assert cron["thread_id"] is None
    assert cron["schedule"] == YEARLY
    assert cron["enabled"] is True
    assert cron["metadata"] == {"owner": "me"}
    assert cron["payload"]["input"] == {"delay": 0}
    next_run = datetime.fromisoformat(cron["next_run_date"])
    assert next_run.month == 1 and next_run.day == 1 and next_run > datetime.now(UTC)
    assert cron["end_time"] is None


async def test_create_for_thread(client: Client, thread: dict[str, Any]) -> None:
    cron = await client.crons.create_for_thread(
        thread["thread_id"], "agent", schedule=YEARLY, input={}
    )

    assert cron.keys() >= CRON_KEYS
    assert cron["thread_id"] == thread["thread_id"]
    found = await client.crons.search(thread_id=thread["thread_id"])
    assert [c["cron_id"] for c in found] == [cron["cron_id"]]


async def test_create_for_unknown_thread_is_not_found(client: Client) -> None:
    with pytest.raises(NotFoundError) as exc:
        await client.crons.create_for_thread(unknown_id(), "agent", schedule=YEARLY)
    assert_detail(exc)


async def test_create_with_invalid_schedule_or_assistant_is_422(client: Client) -> None:
    with pytest.raises(UnprocessableEntityError) as exc:
        await client.crons.create("agent", schedule="every tuesday")
    assert_detail(exc)
    with pytest.raises(UnprocessableEntityError):
        await client.crons.create("no-such-graph", schedule=YEARLY)
    with pytest.raises(UnprocessableEntityError):
        await client.http.post("/runs/crons", json={"assistant_id": "agent"})


async def test_search_and_count_by_assistant_thread_and_metadata(
    client: Client, thread: dict[str, Any]
) -> None:
    tag = uuid.uuid4().hex
    stateless = await _cron(client, metadata={"tag": tag})
    on_thread = await client.crons.create_for_thread(
        thread["thread_id"], "agent", schedule=YEARLY, metadata={"tag": tag}
    )

    by_tag = await client.crons.search(metadata={"tag": tag})
    assert {c["cron_id"] for c in by_tag} == {stateless["cron_id"], on_thread["cron_id"]}
    assert all(c.keys() >= CRON_KEYS for c in by_tag)
    assert await client.crons.count(metadata={"tag": tag}) == 2

    by_thread = await client.crons.search(thread_id=thread["thread_id"])
    assert [c["cron_id"] for c in by_thread] == [on_thread["cron_id"]]
    assert await client.crons.count(thread_id=thread["thread_id"]) == 1

    by_assistant = await client.crons.search(assistant_id=AGENT_ASSISTANT_ID, metadata={"tag": tag})
    assert len(by_assistant) == 2
    assert await client.crons.count(assistant_id=AGENT_ASSISTANT_ID, metadata={"tag": tag}) == 2

    page = await client.crons.search(
        metadata={"tag": tag}, sort_by="created_at", sort_order="asc", limit=1, offset=1
    )
    assert [c["cron_id"] for c in page] == [on_thread["cron_id"]]

    selected = await client.crons.search(metadata={"tag": tag}, select=["cron_id", "schedule"])
    assert [set(c) for c in selected] == [{"cron_id", "schedule"}] * 2


async def test_search_by_enabled(client: Client) -> None:
    tag = uuid.uuid4().hex
    on = await _cron(client, metadata={"tag": tag})
    off = await _cron(client, metadata={"tag": tag}, enabled=False)

    assert [
        c["cron_id"] for c in await client.crons.search(metadata={"tag": tag}, enabled=True)
    ] == [on["cron_id"]]
    assert [
        c["cron_id"] for c in await client.crons.search(metadata={"tag": tag}, enabled=False)
    ] == [off["cron_id"]]


async def test_update_changes_schedule_enabled_and_end_time(client: Client) -> None:
    cron = await _cron(client, metadata={"a": 1})
    end = datetime.now(UTC) + timedelta(days=400)

    updated = await client.crons.update(
        cron["cron_id"], schedule="0 0 2 2 *", enabled=False, metadata={"b": 2}, end_time=end
    )

    assert updated["cron_id"] == cron["cron_id"]
    assert updated["schedule"] == "0 0 2 2 *"
    assert updated["enabled"] is False
    assert updated["metadata"] == {"a": 1, "b": 2}
    assert datetime.fromisoformat(updated["end_time"]) == end
    next_run = datetime.fromisoformat(updated["next_run_date"])
    assert (next_run.month, next_run.day) == (2, 2)

    cleared = await client.crons.update(cron["cron_id"], end_time=None)
    assert cleared["end_time"] is None
    assert cleared["schedule"] == "0 0 2 2 *"


async def test_update_unknown_or_invalid(client: Client) -> None:
    with pytest.raises(NotFoundError):
        await client.crons.update(unknown_id(), schedule=YEARLY)
    cron = await _cron(client)
    with pytest.raises(UnprocessableEntityError) as exc:
        await client.crons.update(cron["cron_id"], schedule="whenever")
    assert_detail(exc)


async def test_delete_removes_the_cron(client: Client) -> None:
    tag = uuid.uuid4().hex
    cron = await _cron(client, metadata={"tag": tag})

    assert await client.crons.delete(cron["cron_id"]) is None

    assert await client.crons.search(metadata={"tag": tag}) == []
    assert await client.crons.count(metadata={"tag": tag}) == 0
    with pytest.raises(NotFoundError):
        await client.crons.delete(cron["cron_id"])
    with pytest.raises(NotFoundError):
        await client.http.get(f"/runs/crons/{cron['cron_id']}")


async def test_get_cron_by_id(client: Client) -> None:
    cron = await _cron(client)

    assert await client.http.get(f"/runs/crons/{cron['cron_id']}") == cron
    with pytest.raises(UnprocessableEntityError):
        await client.http.get("/runs/crons/not-a-uuid")
