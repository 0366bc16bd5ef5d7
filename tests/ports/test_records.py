"""Records with search: AssistantStore (versions), CronStore (claims of due ticks) and the
record side of ThreadStore (create, search, count, TTL expiry)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from tether.ids import uuid7
from tether.ports import AssistantStore, Backend, CronStore
from tether.records import now_iso

from .support import thread

# -- helpers ------------------------------------------------------------------------------

_ASSISTANT_KEYS = [
    "assistant_id",
    "graph_id",
    "config",
    "context",
    "created_at",
    "updated_at",
    "metadata",
    "version",
    "name",
    "description",
]
_CRON_KEYS = [
    "cron_id",
    "assistant_id",
    "thread_id",
    "user_id",
    "end_time",
    "schedule",
    "timezone",
    "payload",
    "next_run_date",
    "metadata",
    "on_run_completed",
    "enabled",
    "created_at",
    "updated_at",
]


def _iso(seconds_from_now: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds_from_now)).isoformat()


def _assistant(**fields: Any) -> dict[str, Any]:
    now = now_iso()
    return {
        "assistant_id": uuid7(),
        "graph_id": "agent",
        "name": "Untitled",
        "description": None,
        "config": {"configurable": {"model": "small"}},
        "context": {},
        "metadata": {},
        "created_at": now,
        "updated_at": now,
        **fields,
    }


def _cron(**fields: Any) -> dict[str, Any]:
    now = now_iso()
    return {
        "cron_id": uuid7(),
        "assistant_id": uuid7(),
        "thread_id": None,
        "user_id": "",
        "schedule": "* * * * *",
        "timezone": None,
        "end_time": None,
        "payload": {"input": {"n": 1}},
        "metadata": {},
        "on_run_completed": "delete",
        "enabled": True,
        "next_run_date": _iso(3600),
        "created_at": now,
        "updated_at": now,
        **fields,
    }


async def _search_assistants(store: AssistantStore, **filters: Any) -> list[dict[str, Any]]:
    query: dict[str, Any] = {
        "metadata": None,
        "graph_id": None,
        "name": None,
        "limit": 100,
        "offset": 0,
        "sort_by": "created_at",
        "sort_order": "asc",
    }
    return await store.search_assistants(**{**query, **filters})


async def _search_crons(store: CronStore, **filters: Any) -> list[dict[str, Any]]:
    query: dict[str, Any] = {
        "assistant_id": None,
        "thread_id": None,
        "enabled": None,
        "metadata": None,
        "limit": 100,
        "offset": 0,
        "sort_by": "created_at",
        "sort_order": "asc",
    }
    return await store.search_crons(**{**query, **filters})


# -- AssistantStore -----------------------------------------------------------------------


async def test_a_created_assistant_is_version_one_in_the_official_shape(backend: Backend) -> None:
    new = _assistant(name="Helper", description="helps", metadata={"z": 1, "a": [1, {"b": 2}]})
    created = await backend.assistants.create_assistant(new, if_exists="raise")
    assert created is not None
    assert list(created) == _ASSISTANT_KEYS
    assert created == {**new, "version": 1}
    assert list(created["metadata"]) == ["z", "a"]  # JSON comes back in the order written
    assert await backend.assistants.get_assistant(new["assistant_id"]) == created
    versions = await backend.assistants.assistant_versions(
        new["assistant_id"], metadata=None, limit=10, offset=0
    )
    assert versions == [{k: v for k, v in created.items() if k != "updated_at"}]
    assert await backend.assistants.get_assistant(uuid7()) is None


async def test_a_thread_transaction_reads_an_assistant_as_the_store_does(
    backend: Backend,
) -> None:
    """A run is made from its assistant read in its admission's transaction: named as the
    transaction opens (a backend may read it then) or asked for later, it is the stored
    assistant, updates included; a missing one is None."""
    new = _assistant(metadata={"k": 1})
    await backend.assistants.create_assistant(new, if_exists="raise")
    updated = await backend.assistants.update_assistant(
        new["assistant_id"], {"config": {"configurable": {"model": "large"}}}
    )
    assert updated is not None and updated["version"] == 2
    missing = uuid7()
    async with backend.threads.transaction(uuid7(), assistant_id=new["assistant_id"]) as tx:
        assert await tx.get_assistant(new["assistant_id"]) == updated
        assert await tx.get_assistant(new["assistant_id"]) == updated  # asked again
        assert await tx.get_assistant(missing) is None
    async with backend.threads.transaction(uuid7(), assistant_id=missing) as tx:
        assert await tx.get_assistant(missing) is None
        assert await tx.get_assistant(new["assistant_id"]) == updated


async def test_creating_an_existing_assistant_returns_the_stored_one_or_none(
    backend: Backend,
) -> None:
    first = await backend.assistants.create_assistant(_assistant(name="First"), if_exists="raise")
    assert first is not None
    again = _assistant(assistant_id=first["assistant_id"], name="Second")
    assert await backend.assistants.create_assistant(again, if_exists="raise") is None
    assert await backend.assistants.create_assistant(again, if_exists="do_nothing") == first
    assert await backend.assistants.get_assistant(first["assistant_id"]) == first
    versions = await backend.assistants.assistant_versions(
        first["assistant_id"], metadata=None, limit=10, offset=0
    )
    assert [v["version"] for v in versions] == [1]


async def test_an_update_writes_the_next_version_with_metadata_merged_key_by_key(
    backend: Backend,
) -> None:
    new = _assistant(name="Old", metadata={"a": 1, "b": 2})
    await backend.assistants.create_assistant(new, if_exists="raise")
    updated = await backend.assistants.update_assistant(
        new["assistant_id"], {"name": "New", "metadata": {"b": 3, "c": 4}}
    )
    assert updated is not None
    assert list(updated) == _ASSISTANT_KEYS
    assert updated["version"] == 2
    assert updated["name"] == "New"
    assert updated["metadata"] == {"a": 1, "b": 3, "c": 4}
    assert updated["config"] == new["config"] and updated["graph_id"] == new["graph_id"]
    assert updated["created_at"] == new["created_at"]
    assert updated["updated_at"] > new["updated_at"]
    assert await backend.assistants.get_assistant(new["assistant_id"]) == updated
    versions = await backend.assistants.assistant_versions(
        new["assistant_id"], metadata=None, limit=10, offset=0
    )
    assert [(v["version"], v["name"]) for v in versions] == [(2, "New"), (1, "Old")]
    assert await backend.assistants.update_assistant(uuid7(), {"name": "x"}) is None


async def test_concurrent_updates_of_one_assistant_make_consecutive_versions(
    backend: Backend,
) -> None:
    new = _assistant()
    await backend.assistants.create_assistant(new, if_exists="raise")
    updates = await asyncio.gather(
        *(
            backend.assistants.update_assistant(new["assistant_id"], {"metadata": {f"k{i}": i}})
            for i in range(8)
        )
    )
    assert sorted(u["version"] for u in updates if u is not None) == list(range(2, 10))
    current = await backend.assistants.get_assistant(new["assistant_id"])
    assert current is not None and current["version"] == 9
    # Every update merged into the one before it: none was lost.
    assert current["metadata"] == {f"k{i}": i for i in range(8)}
    versions = await backend.assistants.assistant_versions(
        new["assistant_id"], metadata=None, limit=100, offset=0
    )
    assert [v["version"] for v in versions] == list(range(9, 0, -1))


async def test_set_latest_version_makes_an_old_version_current(backend: Backend) -> None:
    new = _assistant(name="v1", metadata={"stage": "one"})
    await backend.assistants.create_assistant(new, if_exists="raise")
    await backend.assistants.update_assistant(
        new["assistant_id"], {"name": "v2", "metadata": {"stage": "two"}}
    )
    restored = await backend.assistants.set_latest_version(new["assistant_id"], 1)
    assert restored is not None
    assert list(restored) == _ASSISTANT_KEYS
    assert (restored["version"], restored["name"], restored["metadata"]) == (
        1,
        "v1",
        {"stage": "one"},
    )
    assert await backend.assistants.get_assistant(new["assistant_id"]) == restored
    found = await _search_assistants(backend.assistants, metadata={"stage": "one"})
    assert [a["assistant_id"] for a in found] == [new["assistant_id"]]
    # The next update numbers after the highest version, not after the current one.
    after = await backend.assistants.update_assistant(new["assistant_id"], {"name": "v3"})
    assert after is not None and after["version"] == 3 and after["metadata"] == {"stage": "one"}


async def test_set_latest_version_of_a_missing_version_returns_none(backend: Backend) -> None:
    new = _assistant()
    created = await backend.assistants.create_assistant(new, if_exists="raise")
    assert await backend.assistants.set_latest_version(new["assistant_id"], 2) is None
    assert await backend.assistants.set_latest_version(uuid7(), 1) is None
    assert await backend.assistants.get_assistant(new["assistant_id"]) == created


async def test_deleting_an_assistant_deletes_its_versions(backend: Backend) -> None:
    new = _assistant()
    await backend.assistants.create_assistant(new, if_exists="raise")
    await backend.assistants.update_assistant(new["assistant_id"], {"name": "again"})
    assert await backend.assistants.delete_assistant(new["assistant_id"])
    assert await backend.assistants.get_assistant(new["assistant_id"]) is None
    versions = await backend.assistants.assistant_versions(
        new["assistant_id"], metadata=None, limit=10, offset=0
    )
    assert versions == []
    assert not await backend.assistants.delete_assistant(new["assistant_id"])
    # The id is free again: a new assistant under it starts at version 1.
    recreated = await backend.assistants.create_assistant(new, if_exists="raise")
    assert recreated is not None and recreated["version"] == 1


async def test_assistant_search_and_count_match_metadata_graph_and_name(backend: Backend) -> None:
    store = backend.assistants
    alpha = _assistant(name="Alpha Bot", metadata={"team": "red", "tags": ["a", "b"]})
    beta = _assistant(name="beta bot", graph_id="other", metadata={"team": "red", "flag": None})
    gamma = _assistant(name="Gamma", metadata={"team": "blue", "flag": 1})
    for record in (alpha, beta, gamma):
        await store.create_assistant(record, if_exists="raise")

    async def ids(**filters: Any) -> list[str]:
        found = [a["assistant_id"] for a in await _search_assistants(store, **filters)]
        counted = await store.count_assistants(
            metadata=filters.get("metadata"),
            graph_id=filters.get("graph_id"),
            name=filters.get("name"),
        )
        assert counted == len(found)
        return found

    assert await ids() == [alpha["assistant_id"], beta["assistant_id"], gamma["assistant_id"]]
    assert await ids(name="BOT") == [alpha["assistant_id"], beta["assistant_id"]]
    assert await ids(name="ha b") == [alpha["assistant_id"]]
    assert await ids(graph_id="other") == [beta["assistant_id"]]
    assert await ids(metadata={"team": "red"}) == [alpha["assistant_id"], beta["assistant_id"]]
    assert await ids(metadata={"team": "red"}, name="alpha") == [alpha["assistant_id"]]
    assert await ids(metadata={"tags": ["a", "b"]}) == [alpha["assistant_id"]]
    assert await ids(metadata={"tags": ["b", "a"]}) == []
    assert await ids(metadata={"flag": None}) == [beta["assistant_id"]]  # present and null
    assert await ids(metadata={"flag": 1}) == [gamma["assistant_id"]]
    assert await ids(metadata={"flag": True}) == []  # JSON true is not 1
    assert await ids(metadata={"team": "red"}, graph_id="agent", name="gamma") == []


async def test_assistant_search_sorts_then_pages(backend: Backend) -> None:
    store = backend.assistants
    created = [
        _assistant(name=name, created_at=f"2026-01-0{day}T00:00:00+00:00")
        for day, name in ((1, "carol"), (2, "alice"), (3, "bob"), (4, "dave"))
    ]
    for record in created:
        await store.create_assistant(record, if_exists="raise")

    async def names(**query: Any) -> list[str]:
        return [a["name"] for a in await _search_assistants(store, **query)]

    assert await names(sort_by="name") == ["alice", "bob", "carol", "dave"]
    assert await names(sort_by="name", sort_order="desc") == ["dave", "carol", "bob", "alice"]
    assert await names(sort_by="name", limit=2, offset=1) == ["bob", "carol"]
    assert await names(sort_by="created_at", sort_order="desc", limit=1) == ["dave"]
    # An unknown column (even one that is SQL) sorts by created_at.
    by_creation = ["carol", "alice", "bob", "dave"]
    assert await names(sort_by="nonsense") == by_creation
    assert await names(sort_by="name; DROP TABLE assistants") == by_creation
    assert await names(offset=4) == []


async def test_assistant_versions_match_metadata_newest_first_then_page(backend: Backend) -> None:
    new = _assistant(metadata={"stage": "draft"})
    await backend.assistants.create_assistant(new, if_exists="raise")
    for stage in ("review", "draft", "live"):
        await backend.assistants.update_assistant(
            new["assistant_id"], {"metadata": {"stage": stage}}
        )

    async def versions(**query: Any) -> list[int]:
        found = await backend.assistants.assistant_versions(
            new["assistant_id"], **{"metadata": None, "limit": 10, "offset": 0, **query}
        )
        return [v["version"] for v in found]

    assert await versions() == [4, 3, 2, 1]
    assert await versions(metadata={"stage": "draft"}) == [3, 1]
    assert await versions(limit=2, offset=1) == [3, 2]
    assert await versions(metadata={"stage": "gone"}) == []


# -- CronStore ----------------------------------------------------------------------------


async def test_a_created_cron_comes_back_in_the_official_shape(backend: Backend) -> None:
    new = _cron(payload={"z": 1, "a": {"y": 2, "b": 3}}, metadata={"owner": "me"})
    created = await backend.crons.create_cron(new)
    assert list(created) == _CRON_KEYS
    assert created == new
    assert created["enabled"] is True
    assert list(created["payload"]) == ["z", "a"] and list(created["payload"]["a"]) == ["y", "b"]
    assert await backend.crons.get_cron(new["cron_id"]) == created
    assert await backend.crons.get_cron(uuid7()) is None


async def test_a_cron_update_sets_only_the_given_fields(backend: Backend) -> None:
    new = _cron(metadata={"a": 1})
    await backend.crons.create_cron(new)
    changes = {"enabled": False, "metadata": {"b": 2}, "payload": {"input": {"n": 2}}}
    updated = await backend.crons.update_cron(new["cron_id"], changes)
    assert updated == {**new, **changes}
    assert updated is not None and updated["enabled"] is False
    assert await backend.crons.get_cron(new["cron_id"]) == updated
    assert await backend.crons.update_cron(new["cron_id"], {}) == updated
    assert await backend.crons.update_cron(uuid7(), {"enabled": False}) is None
    assert await backend.crons.update_cron(uuid7(), {}) is None


async def test_deleting_a_cron_reports_whether_it_existed(backend: Backend) -> None:
    new = _cron()
    await backend.crons.create_cron(new)
    assert await backend.crons.delete_cron(new["cron_id"])
    assert await backend.crons.get_cron(new["cron_id"]) is None
    assert not await backend.crons.delete_cron(new["cron_id"])


async def test_cron_search_and_count_match_every_filter_then_sort_and_page(
    backend: Backend,
) -> None:
    assistant_id, thread_id = uuid7(), uuid7()
    first = _cron(assistant_id=assistant_id, next_run_date=_iso(300), metadata={"k": "x"})
    second = _cron(assistant_id=assistant_id, thread_id=thread_id, next_run_date=_iso(100))
    third = _cron(assistant_id=assistant_id, enabled=False, next_run_date=_iso(200))
    other = _cron(metadata={"k": "x"})
    for record in (first, second, third, other):
        await backend.crons.create_cron(record)

    async def ids(**filters: Any) -> list[str]:
        return [c["cron_id"] for c in await _search_crons(backend.crons, **filters)]

    async def count(**filters: Any) -> int:
        query = {"assistant_id": None, "thread_id": None, "metadata": None, **filters}
        return await backend.crons.count_crons(**query)

    mine = [first["cron_id"], second["cron_id"], third["cron_id"]]
    assert await ids(assistant_id=assistant_id) == mine
    assert await count(assistant_id=assistant_id) == 3
    assert await ids(assistant_id=assistant_id, enabled=True) == mine[:2]
    assert await ids(assistant_id=assistant_id, enabled=False) == [third["cron_id"]]
    assert await ids(thread_id=thread_id) == [second["cron_id"]]
    assert await count(thread_id=thread_id) == 1
    assert await ids(metadata={"k": "x"}) == [first["cron_id"], other["cron_id"]]
    assert await count(metadata={"k": "x"}) == 2
    assert await ids(metadata={"k": "x"}, assistant_id=assistant_id) == [first["cron_id"]]
    assert await count() == 4
    by_date = [second["cron_id"], third["cron_id"], first["cron_id"]]
    assert await ids(assistant_id=assistant_id, sort_by="next_run_date") == by_date
    assert (
        await ids(assistant_id=assistant_id, sort_by="next_run_date", sort_order="desc")
        == (by_date[::-1])
    )
    assert await ids(assistant_id=assistant_id, sort_by="next_run_date", limit=1, offset=1) == [
        third["cron_id"]
    ]
    assert await ids(assistant_id=assistant_id, sort_by="nonsense") == mine


async def test_claim_due_returns_each_due_cron_and_moves_it_to_its_next_run(
    backend: Backend,
) -> None:
    now = now_iso()
    due = _cron(next_run_date=_iso(-60))
    due_now = _cron(next_run_date=now)  # "at or before"
    later = _cron(next_run_date=_iso(60))
    disabled = _cron(next_run_date=_iso(-60), enabled=False)
    for record in (due, due_now, later, disabled):
        await backend.crons.create_cron(record)
    upcoming = _iso(3600)
    seen: list[str] = []

    def next_run(cron: dict[str, Any]) -> str:
        seen.append(cron["cron_id"])
        return upcoming

    claimed = await backend.crons.claim_due(now, next_run)
    assert sorted(c["cron_id"] for c in claimed) == sorted([due["cron_id"], due_now["cron_id"]])
    assert sorted(seen) == sorted([due["cron_id"], due_now["cron_id"]])
    # The claimed records are the crons as they fell due.
    by_id = {c["cron_id"]: c for c in claimed}
    assert by_id[due["cron_id"]] == due and by_id[due_now["cron_id"]] == due_now
    for record in (due, due_now):
        stored = await backend.crons.get_cron(record["cron_id"])
        assert stored is not None
        assert (stored["next_run_date"], stored["enabled"]) == (upcoming, True)
    assert await backend.crons.get_cron(later["cron_id"]) == later
    assert await backend.crons.get_cron(disabled["cron_id"]) == disabled
    assert await backend.crons.claim_due(now, next_run) == []


async def test_claim_due_disables_a_cron_without_a_next_run(backend: Backend) -> None:
    last = _cron(next_run_date=_iso(-1))
    await backend.crons.create_cron(last)
    claimed = await backend.crons.claim_due(now_iso(), lambda cron: None)
    assert [c["cron_id"] for c in claimed] == [last["cron_id"]]
    stored = await backend.crons.get_cron(last["cron_id"])
    assert stored is not None
    assert (stored["next_run_date"], stored["enabled"]) == (None, False)
    assert await backend.crons.next_due() is None
    assert await backend.crons.claim_due(_iso(3600), lambda cron: None) == []


async def test_concurrent_claims_return_each_due_tick_exactly_once(backend: Backend) -> None:
    due = [_cron(next_run_date=_iso(-i - 1)) for i in range(12)]
    for record in due:
        await backend.crons.create_cron(record)
    now, upcoming = now_iso(), _iso(3600)
    claims = await asyncio.gather(
        *(backend.crons.claim_due(now, lambda cron: upcoming) for _ in range(4))
    )
    claimed = [c["cron_id"] for claim in claims for c in claim]
    assert sorted(claimed) == sorted(c["cron_id"] for c in due)


async def test_next_due_is_the_earliest_run_date_of_an_enabled_cron(backend: Backend) -> None:
    assert await backend.crons.next_due() is None
    soon, later = _iso(60), _iso(120)
    await backend.crons.create_cron(_cron(next_run_date=later))
    await backend.crons.create_cron(_cron(next_run_date=soon))
    await backend.crons.create_cron(_cron(next_run_date=_iso(30), enabled=False))
    await backend.crons.create_cron(_cron(next_run_date=None))
    assert await backend.crons.next_due() == soon


# -- ThreadStore: records, search, expiry -------------------------------------------------


async def test_creating_an_existing_thread_returns_the_stored_one_or_none(
    backend: Backend,
) -> None:
    first = thread(metadata={"n": 1}, values={"messages": []})
    assert await backend.threads.create_thread(first, if_exists="raise") == first
    assert await backend.threads.get_thread(first.thread_id) == first
    again = thread(metadata={"n": 2})
    again.thread_id = first.thread_id
    assert await backend.threads.create_thread(again, if_exists="raise") is None
    assert await backend.threads.create_thread(again, if_exists="do_nothing") == first
    assert await backend.threads.get_thread(first.thread_id) == first
    assert await backend.threads.get_thread(uuid7()) is None


async def _search_threads(backend: Backend, **filters: Any) -> list[str]:
    query: dict[str, Any] = {
        "ids": None,
        "metadata": None,
        "values": None,
        "status": None,
        "limit": 100,
        "offset": 0,
        "sort_by": "created_at",
        "sort_order": "asc",
    }
    found = await backend.threads.search_threads(**{**query, **filters})
    if filters.keys() <= {"metadata", "values", "status"}:
        counted = await backend.threads.count_threads(
            metadata=filters.get("metadata"),
            values=filters.get("values"),
            status=filters.get("status"),
        )
        assert counted == len(found)
    return [t.thread_id for t in found]


async def test_thread_search_and_count_match_ids_metadata_values_and_status(
    backend: Backend,
) -> None:
    red = thread(metadata={"team": "red", "n": 1}, values={"topic": {"name": "x"}})
    blue = thread(metadata={"team": "blue"}, values={"topic": {"name": "y"}}, status="busy")
    bare = thread(metadata={"team": "red", "n": "1"})
    for record in (red, blue, bare):
        await backend.threads.create_thread(record, if_exists="raise")
    everyone = [red.thread_id, blue.thread_id, bare.thread_id]

    assert await _search_threads(backend) == everyone
    assert await _search_threads(backend, metadata={"team": "red"}) == [
        red.thread_id,
        bare.thread_id,
    ]
    assert await _search_threads(backend, metadata={"n": 1}) == [red.thread_id]
    assert await _search_threads(backend, metadata={"n": "1"}) == [bare.thread_id]
    assert await _search_threads(backend, values={"topic": {"name": "y"}}) == [blue.thread_id]
    assert await _search_threads(backend, values={"topic": {}}) == []
    assert await _search_threads(backend, status="busy") == [blue.thread_id]
    assert await _search_threads(backend, status="idle", metadata={"team": "blue"}) == []
    assert await _search_threads(backend, ids=[bare.thread_id, blue.thread_id]) == [
        blue.thread_id,
        bare.thread_id,
    ]
    assert await _search_threads(backend, ids=[bare.thread_id], metadata={"n": 1}) == []
    assert await _search_threads(backend, ids=[uuid7()]) == []


async def test_a_json_filter_tells_true_from_1(backend: Backend) -> None:
    one = thread(metadata={"n": 1})
    true = thread(metadata={"n": True})
    for record in (one, true):
        await backend.threads.create_thread(record, if_exists="raise")
    assert await _search_threads(backend, metadata={"n": True}) == [true.thread_id]
    assert await _search_threads(backend, metadata={"n": 1}) == [one.thread_id]


async def test_thread_search_sorts_then_pages(backend: Backend) -> None:
    made = []
    for day, status in ((3, "idle"), (1, "interrupted"), (2, "busy")):
        stamp = f"2026-01-0{day}T00:00:00+00:00"
        made.append(thread(created_at=stamp, updated_at=stamp, status=status))
        await backend.threads.create_thread(made[-1], if_exists="raise")
    by_creation = [made[1].thread_id, made[2].thread_id, made[0].thread_id]

    assert await _search_threads(backend) == by_creation
    assert await _search_threads(backend, sort_order="desc") == by_creation[::-1]
    assert await _search_threads(backend, sort_by="status") == [
        made[2].thread_id,
        made[0].thread_id,
        made[1].thread_id,
    ]
    assert await _search_threads(backend, sort_by="nonsense") == by_creation
    assert await _search_threads(backend, limit=1, offset=1) == [made[2].thread_id]
    assert await _search_threads(backend, offset=3) == []


async def test_expired_threads_are_the_idle_ones_whose_ttl_has_passed(backend: Backend) -> None:
    past = _iso(-120)

    def aged(ttl: dict[str, Any] | None, **fields: Any) -> Any:
        return thread(ttl=ttl, updated_at=past, **fields)

    expired = [
        aged({"strategy": "delete", "ttl": 1}),
        aged({"strategy": "keep_latest", "ttl": 1.5}, status="interrupted"),
    ]
    kept = [
        aged({"strategy": "delete", "ttl": 5}),  # not yet
        aged({"strategy": "delete", "ttl": 1}, status="busy"),  # a run holds it
        aged(None),  # no TTL
        thread(ttl={"strategy": "delete", "ttl": 1}),  # just updated
    ]
    for record in expired + kept:
        await backend.threads.create_thread(record, if_exists="raise")

    found = await backend.threads.expired_threads()
    assert sorted(t.thread_id for t in found) == sorted(t.thread_id for t in expired)
    assert len(await backend.threads.expired_threads(limit=1)) == 1


async def _next_second() -> None:
    """Until the wall clock is in its next second (the SQL stores stamp items by the
    second)."""
    now = datetime.now(UTC).timestamp()
    await asyncio.sleep(int(now) + 1 - now + 0.001)


async def test_an_item_put_again_keeps_the_time_it_was_created(backend: Backend) -> None:
    namespace = ("ports", uuid7())
    await backend.store.aput(namespace, "k", {"v": 1})
    first = await backend.store.aget(namespace, "k")
    await _next_second()
    await backend.store.aput(namespace, "k", {"v": 2})
    second = await backend.store.aget(namespace, "k")
    assert first is not None and second is not None
    assert second.value == {"v": 2}
    assert second.created_at == first.created_at
    assert second.updated_at > first.updated_at
