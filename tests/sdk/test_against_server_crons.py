"""Crons against a real Tether server (kept apart: the server's crons may come later)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator

import pytest
import tether_sdk


@pytest.fixture
async def client(tether_url: str) -> AsyncIterator[tether_sdk.LangGraphClient]:
    async with tether_sdk.get_client(url=tether_url) as async_client:
        yield async_client


async def test_crons(client: tether_sdk.LangGraphClient) -> None:
    tag = str(uuid.uuid4())
    stateless = await client.crons.create(
        "trivial", schedule="0 0 1 1 *", input={}, metadata={"sdk": tag}, enabled=False
    )
    thread_id = (await client.threads.create())["thread_id"]
    threaded = await client.crons.create_for_thread(
        thread_id, "trivial", schedule="0 0 1 1 *", timezone="Europe/Paris", metadata={"sdk": tag}
    )
    found = await client.crons.search(metadata={"sdk": tag}, limit=10)
    assert {c["cron_id"] for c in found} == {stateless["cron_id"], threaded["cron_id"]}
    assert await client.crons.count(metadata={"sdk": tag}) == 2
    assert await client.crons.count(thread_id=thread_id) == 1

    end = dt.datetime(2099, 1, 1, tzinfo=dt.UTC)
    updated = await client.crons.update(threaded["cron_id"], schedule="0 0 2 1 *", end_time=end)
    assert updated["schedule"] == "0 0 2 1 *" and updated["end_time"] is not None
    cleared = await client.crons.update(threaded["cron_id"], end_time=None)
    assert cleared["end_time"] is None

    for cron in (stateless, threaded):
        await client.crons.delete(cron["cron_id"])
    assert await client.crons.count(metadata={"sdk": tag}) == 0


def test_crons_sync(tether_url: str) -> None:
    with tether_sdk.get_sync_client(url=tether_url) as client:
        cron = client.crons.create("trivial", schedule="0 0 1 1 *", enabled=False)
        found = client.crons.search(assistant_id=cron["assistant_id"], limit=100)
        assert cron["cron_id"] in [c["cron_id"] for c in found]
        client.crons.delete(cron["cron_id"])
        with pytest.raises(tether_sdk.NotFoundError):
            client.crons.delete(cron["cron_id"])
