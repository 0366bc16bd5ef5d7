"""TTLs from langgraph.json: `store.ttl` (default TTL, refresh on read, sweep interval) for
store items, `checkpointer.ttl` for threads and their checkpoints, on both backends."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from .conftest import INDEX, App, OpenApp

#: Sweeps every 0.3 s, so that expiries are seen within a second.
FAST_SWEEP = 0.005


async def wait_for(
    condition: Callable[[], Awaitable[object]], what: str, within: float = 15.0
) -> None:
    deadline = time.monotonic() + within
    while not await condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def _put(app: App, namespace: list[str], key: str, **extra: Any) -> None:
    body = {"namespace": namespace, "key": key, "value": {"text": key}, **extra}
    response = await app.http.put("/store/items", json=body)
    assert response.status_code == 204, response.text


async def _get(app: App, namespace: list[str], key: str, **params: str) -> Any:
    response = await app.http.get(
        "/store/items", params={"namespace": ".".join(namespace), "key": key, **params}
    )
    assert response.status_code == 200, response.text
    return response.json()


async def _clock_passes(app: App, namespace: list[str], expiry: datetime) -> None:
    """Wait until an item put now would expire a second later than `expiry` (the storage's
    clock has moved on: langgraph's SQLite store refreshes expiries to the second)."""

    async def later() -> bool:
        await _put(app, namespace, "probe", ttl=1)
        found = await app.expires_at(namespace, "probe")
        return found is not None and found > expiry + timedelta(seconds=1)

    await wait_for(later, "the storage clock to move on")


async def test_an_item_with_a_ttl_is_swept_when_it_expires(open_app: OpenApp) -> None:
    namespace = ["ttl", uuid.uuid4().hex]
    async with open_app(store={"ttl": {"sweep_interval_minutes": FAST_SWEEP}}) as app:
        await _put(app, namespace, "brief", ttl=0.02)
        await _put(app, namespace, "lasting")
        assert await app.expires_at(namespace, "brief") is not None
        assert await app.expires_at(namespace, "lasting") is None

        async def brief_gone() -> bool:
            return await _get(app, namespace, "brief", refresh_ttl="false") is None

        await wait_for(brief_gone, "the item to expire")
        assert (await _get(app, namespace, "lasting"))["value"] == {"text": "lasting"}


async def test_default_ttl_applies_to_items_put_without_one(open_app: OpenApp) -> None:
    namespace = ["ttl", uuid.uuid4().hex]
    ttl = {"default_ttl": 0.02, "sweep_interval_minutes": FAST_SWEEP, "refresh_on_read": False}
    async with open_app(store={"ttl": ttl}) as app:
        await _put(app, namespace, "defaulted")
        await _put(app, namespace, "forever", ttl=None)
        assert await app.expires_at(namespace, "defaulted") is not None
        assert await app.expires_at(namespace, "forever") is None

        async def defaulted_gone() -> bool:
            return await _get(app, namespace, "defaulted") is None

        await wait_for(defaulted_gone, "the item to expire")
        assert await _get(app, namespace, "forever") is not None


async def test_refresh_on_read_false_leaves_expiry_until_a_read_asks(open_app: OpenApp) -> None:
    namespace = ["ttl", uuid.uuid4().hex]
    async with open_app(store={"index": INDEX, "ttl": {"refresh_on_read": False}}) as app:
        await _put(app, namespace, "item", ttl=1)
        await _put(app, namespace, "found", ttl=1)
        first = await app.expires_at(namespace, "item")
        found_first = await app.expires_at(namespace, "found")
        assert first is not None and found_first is not None
        await _clock_passes(app, namespace, max(first, found_first))

        await _get(app, namespace, "item")
        await app.http.post(
            "/store/items/search", json={"namespace_prefix": namespace, "query": "found"}
        )
        assert await app.expires_at(namespace, "item") == first
        assert await app.expires_at(namespace, "found") == found_first

        await _get(app, namespace, "item", refresh_ttl="true")
        response = await app.http.post(
            "/store/items/search",
            json={"namespace_prefix": namespace, "query": "found", "limit": 1, "refresh_ttl": True},
        )
        assert [i["key"] for i in response.json()["items"]] == ["found"]
        assert await app.expires_at(namespace, "item") > first  # type: ignore[operator]
        assert await app.expires_at(namespace, "found") > found_first  # type: ignore[operator]


async def test_reads_refresh_the_ttl_by_default(open_app: OpenApp) -> None:
    namespace = ["ttl", uuid.uuid4().hex]
    async with open_app() as app:
        await _put(app, namespace, "item", ttl=1)
        first = await app.expires_at(namespace, "item")
        assert first is not None
        await _clock_passes(app, namespace, first)

        await _get(app, namespace, "item", refresh_ttl="false")
        assert await app.expires_at(namespace, "item") == first
        await _get(app, namespace, "item")
        assert await app.expires_at(namespace, "item") > first  # type: ignore[operator]


async def _status(app: App, thread_id: str) -> int:
    return (await app.http.get(f"/threads/{thread_id}")).status_code


async def test_checkpointer_ttl_gives_threads_a_default_ttl_and_deletes_them(
    open_app: OpenApp,
) -> None:
    ttl = {"strategy": "delete", "default_ttl": 0.02, "sweep_interval_minutes": FAST_SWEEP}
    async with open_app(checkpointer={"ttl": ttl}) as app:
        doomed = (await app.http.post("/threads", json={})).json()
        kept = (await app.http.post("/threads", json={"ttl": {"ttl": 60}})).json()
        by_run = str(uuid.uuid4())
        response = await app.http.post(
            f"/threads/{by_run}/runs/wait",
            json={
                "assistant_id": "memory",
                "input": {"namespace": ["x"], "query": "q"},
                "if_not_exists": "create",
            },
        )
        assert response.status_code == 200, response.text
        shown = await app.http.get(f"/threads/{doomed['thread_id']}", params={"include": "ttl"})
        assert shown.json()["ttl"] == {"strategy": "delete", "ttl": 0.02}

        async def swept() -> bool:
            return (
                await _status(app, doomed["thread_id"]) == 404 and await _status(app, by_run) == 404
            )

        await wait_for(swept, "the threads to expire")
        assert await _status(app, kept["thread_id"]) == 200
        checkpointer = app.runtime.backend.checkpointer
        config = {"configurable": {"thread_id": by_run, "checkpoint_ns": ""}}
        assert await checkpointer.aget_tuple(config) is None  # type: ignore[arg-type]


async def test_checkpointer_ttl_keep_latest_prunes_old_checkpoints(open_app: OpenApp) -> None:
    ttl = {"strategy": "keep_latest", "default_ttl": 0.02, "sweep_interval_minutes": FAST_SWEEP}
    async with open_app(checkpointer={"ttl": ttl}) as app:
        thread = (await app.http.post("/threads", json={})).json()
        thread_id = thread["thread_id"]
        for query in ("a", "b"):
            response = await app.http.post(
                f"/threads/{thread_id}/runs/wait",
                json={"assistant_id": "memory", "input": {"namespace": ["x"], "query": query}},
            )
            assert response.status_code == 200, response.text
        history = await app.http.get(f"/threads/{thread_id}/history", params={"limit": 100})
        assert len(history.json()) > 1

        async def pruned() -> bool:
            shown = await app.http.get(f"/threads/{thread_id}", params={"include": "ttl"})
            return shown.json().get("ttl") is None

        await wait_for(pruned, "the thread's TTL to apply")
        history = await app.http.get(f"/threads/{thread_id}/history", params={"limit": 100})
        assert len(history.json()) == 1
        state = await app.http.get(f"/threads/{thread_id}/state")
        assert state.json()["values"]["query"] == "b"


async def test_threads_without_checkpointer_ttl_have_none(open_app: OpenApp) -> None:
    async with open_app() as app:
        thread = (await app.http.post("/threads", json={})).json()
        shown = await app.http.get(f"/threads/{thread['thread_id']}", params={"include": "ttl"})
        assert shown.json()["ttl"] is None
