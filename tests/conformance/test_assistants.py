"""Assistants: every method of the official client's `assistants` resource."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from langgraph_sdk.errors import ConflictError, NotFoundError, UnprocessableEntityError

from .support import AGENT_ASSISTANT_ID, Client, assert_detail, unknown_id

ASSISTANT_KEYS = {
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
}
VERSION_KEYS = ASSISTANT_KEYS - {"updated_at"}


async def _create(client: Client, **kwargs: Any) -> dict[str, Any]:
    tag = uuid.uuid4().hex
    kwargs.setdefault("metadata", {"tag": tag})
    return await client.assistants.create("agent", **kwargs)  # type: ignore[no-any-return]


async def test_system_assistant_has_the_official_id_and_metadata(client: Client) -> None:
    found = await client.assistants.get(AGENT_ASSISTANT_ID)

    assert found.keys() >= ASSISTANT_KEYS
    assert found["assistant_id"] == AGENT_ASSISTANT_ID
    assert found["graph_id"] == "agent"
    assert found["name"] == "agent"
    assert found["metadata"] == {"created_by": "system"}
    assert found["version"] == 1


async def test_create_returns_the_new_assistant(client: Client) -> None:
    created = await client.assistants.create(
        "agent",
        config={"configurable": {"k": "v"}},
        metadata={"team": "blue"},
        name="my agent",
        description="does things",
    )

    assert created.keys() >= ASSISTANT_KEYS
    uuid.UUID(created["assistant_id"])
    assert created["graph_id"] == "agent"
    assert created["config"]["configurable"] == {"k": "v"}
    assert created["metadata"] == {"team": "blue"}
    assert created["name"] == "my agent"
    assert created["description"] == "does things"
    assert created["version"] == 1
    assert await client.assistants.get(created["assistant_id"]) == created


async def test_create_without_name_is_named_untitled(client: Client) -> None:
    created = await _create(client)

    assert created["name"] == "Untitled"


async def test_create_with_taken_id_conflicts_unless_do_nothing(client: Client) -> None:
    first = await _create(client, name="first")

    with pytest.raises(ConflictError) as exc:
        await client.assistants.create("agent", assistant_id=first["assistant_id"], name="second")
    assert_detail(exc)
    same = await client.assistants.create(
        "agent", assistant_id=first["assistant_id"], if_exists="do_nothing", name="second"
    )

    assert same["assistant_id"] == first["assistant_id"]
    assert same["name"] == "first"


async def test_create_for_unknown_graph_is_rejected(client: Client) -> None:
    with pytest.raises((UnprocessableEntityError, NotFoundError)) as exc:
        await client.assistants.create("no-such-graph")
    assert_detail(exc)


async def test_get_unknown_assistant_is_not_found(client: Client) -> None:
    with pytest.raises(NotFoundError) as exc:
        await client.assistants.get(unknown_id())
    assert_detail(exc)


async def test_get_by_graph_name_in_path_is_an_invalid_uuid(client: Client) -> None:
    with pytest.raises(UnprocessableEntityError) as exc:
        await client.assistants.get("agent")
    assert_detail(exc)


async def test_update_makes_a_new_version_and_merges_metadata(client: Client) -> None:
    created = await _create(client, config={"configurable": {"model": "a"}}, metadata={"a": 1})

    updated = await client.assistants.update(
        created["assistant_id"],
        config={"configurable": {"model": "b"}},
        metadata={"b": 2},
        name="renamed",
    )

    assert updated["assistant_id"] == created["assistant_id"]
    assert updated["version"] == 2
    assert updated["config"]["configurable"] == {"model": "b"}
    assert updated["metadata"] == {"a": 1, "b": 2}
    assert updated["name"] == "renamed"
    assert (await client.assistants.get(created["assistant_id"]))["version"] == 2


async def test_update_unknown_assistant_is_not_found(client: Client) -> None:
    with pytest.raises(NotFoundError):
        await client.assistants.update(unknown_id(), metadata={"x": 1})


async def test_versions_list_newest_first_and_set_latest_goes_back(client: Client) -> None:
    created = await _create(client, config={"configurable": {"model": "a"}})
    await client.assistants.update(created["assistant_id"], config={"configurable": {"model": "b"}})

    versions = await client.assistants.get_versions(created["assistant_id"])

    assert [v["version"] for v in versions] == [2, 1]
    assert all(v.keys() >= VERSION_KEYS for v in versions)
    assert [v["config"]["configurable"]["model"] for v in versions] == ["b", "a"]
    assert len(await client.assistants.get_versions(created["assistant_id"], limit=1)) == 1

    latest = await client.assistants.set_latest(created["assistant_id"], 1)

    assert latest["version"] == 1
    assert latest["config"]["configurable"] == {"model": "a"}
    assert (await client.assistants.get(created["assistant_id"]))["version"] == 1


async def test_set_latest_to_a_missing_version_is_not_found(client: Client) -> None:
    created = await _create(client)

    with pytest.raises(NotFoundError):
        await client.assistants.set_latest(created["assistant_id"], 7)


async def test_search_filters_by_metadata_graph_and_name(client: Client) -> None:
    tag = uuid.uuid4().hex
    one = await client.assistants.create("agent", metadata={"tag": tag}, name=f"one-{tag}")
    two = await client.assistants.create("chat", metadata={"tag": tag}, name=f"two-{tag}")

    by_tag = await client.assistants.search(metadata={"tag": tag}, limit=100)
    assert {a["assistant_id"] for a in by_tag} == {one["assistant_id"], two["assistant_id"]}
    assert all(a.keys() >= ASSISTANT_KEYS for a in by_tag)

    by_graph = await client.assistants.search(metadata={"tag": tag}, graph_id="chat")
    assert [a["assistant_id"] for a in by_graph] == [two["assistant_id"]]

    by_name = await client.assistants.search(name=f"one-{tag}")
    assert [a["assistant_id"] for a in by_name] == [one["assistant_id"]]


async def test_search_pages_sorts_and_selects(client: Client) -> None:
    tag = uuid.uuid4().hex
    created = [
        await client.assistants.create("agent", metadata={"tag": tag}, name=f"{i}-{tag}")
        for i in range(3)
    ]
    ids = [a["assistant_id"] for a in created]

    ascending = await client.assistants.search(
        metadata={"tag": tag}, sort_by="created_at", sort_order="asc"
    )
    assert [a["assistant_id"] for a in ascending] == ids
    descending = await client.assistants.search(
        metadata={"tag": tag}, sort_by="created_at", sort_order="desc"
    )
    assert [a["assistant_id"] for a in descending] == ids[::-1]

    page = await client.assistants.search(
        metadata={"tag": tag}, sort_by="created_at", sort_order="asc", limit=1, offset=1
    )
    assert [a["assistant_id"] for a in page] == ids[1:2]

    selected = await client.assistants.search(
        metadata={"tag": tag}, select=["assistant_id", "name"]
    )
    assert len(selected) == 3
    assert all(set(a) == {"assistant_id", "name"} for a in selected)


async def test_search_object_format_carries_the_next_page(client: Client) -> None:
    tag = uuid.uuid4().hex
    for _ in range(2):
        await client.assistants.create("agent", metadata={"tag": tag})

    first = await client.assistants.search(metadata={"tag": tag}, limit=1, response_format="object")

    assert len(first["assistants"]) == 1
    assert first["next"] is not None


async def test_count_matches_the_search(client: Client) -> None:
    tag = uuid.uuid4().hex
    for graph in ("agent", "agent", "chat"):
        await client.assistants.create(graph, metadata={"tag": tag})

    assert await client.assistants.count(metadata={"tag": tag}) == 3
    assert await client.assistants.count(metadata={"tag": tag}, graph_id="agent") == 2
    assert await client.assistants.count(metadata={"tag": uuid.uuid4().hex}) == 0


async def test_delete_removes_the_assistant(client: Client) -> None:
    created = await _create(client)

    assert await client.assistants.delete(created["assistant_id"]) is None

    with pytest.raises(NotFoundError):
        await client.assistants.get(created["assistant_id"])
    with pytest.raises(NotFoundError):
        await client.assistants.delete(created["assistant_id"])


async def test_delete_with_delete_threads_removes_its_threads(client: Client) -> None:
    created = await _create(client)
    thread = await client.threads.create()
    await client.runs.wait(thread["thread_id"], created["assistant_id"], input={})
    keeper = await client.threads.create()
    await client.runs.wait(keeper["thread_id"], "agent", input={})

    await client.assistants.delete(created["assistant_id"], delete_threads=True)

    with pytest.raises(NotFoundError):
        await client.threads.get(thread["thread_id"])
    assert (await client.threads.get(keeper["thread_id"]))["thread_id"] == keeper["thread_id"]


async def test_get_graph_lists_nodes_and_edges(client: Client) -> None:
    graph = await client.assistants.get_graph(AGENT_ASSISTANT_ID)

    node_ids = [node["id"] for node in graph["nodes"]]
    assert set(node_ids) == {"__start__", "step_a", "step_b", "step_c", "__end__"}
    edges = {(edge["source"], edge["target"]) for edge in graph["edges"]}
    assert edges == {
        ("__start__", "step_a"),
        ("step_a", "step_b"),
        ("step_b", "step_c"),
        ("step_c", "__end__"),
    }


async def test_get_graph_with_xray_expands_subgraphs(client: Client) -> None:
    nested = (await client.assistants.search(graph_id="nested", metadata={"created_by": "system"}))[
        0
    ]

    flat = await client.assistants.get_graph(nested["assistant_id"])
    xray = await client.assistants.get_graph(nested["assistant_id"], xray=True)

    assert "child" in {node["id"] for node in flat["nodes"]}
    assert any(node["id"].startswith("child:") for node in xray["nodes"])


async def test_get_graph_of_unknown_assistant_is_not_found(client: Client) -> None:
    with pytest.raises(NotFoundError):
        await client.assistants.get_graph(unknown_id())


async def test_get_schemas_describe_the_state(client: Client) -> None:
    schemas = await client.assistants.get_schemas(AGENT_ASSISTANT_ID)

    assert {
        "graph_id",
        "input_schema",
        "output_schema",
        "state_schema",
        "config_schema",
        "context_schema",
    } <= schemas.keys()
    assert schemas["graph_id"] == "agent"
    assert schemas["state_schema"] is not None, "no JSON schema for the agent graph's state"
    assert {"messages", "counter"} <= schemas["state_schema"]["properties"].keys()
    assert {"messages", "counter"} <= schemas["input_schema"]["properties"].keys()


async def test_get_subgraphs_names_the_child(client: Client) -> None:
    nested = (await client.assistants.search(graph_id="nested", metadata={"created_by": "system"}))[
        0
    ]

    subgraphs = await client.assistants.get_subgraphs(nested["assistant_id"])
    assert set(subgraphs) == {"child"}
    assert {"input_schema", "output_schema", "state_schema", "config_schema"} <= subgraphs[
        "child"
    ].keys()

    assert set(
        await client.assistants.get_subgraphs(nested["assistant_id"], namespace="child")
    ) == {"child"}
    assert set(await client.assistants.get_subgraphs(nested["assistant_id"], recurse=True)) == {
        "child"
    }
    assert await client.assistants.get_subgraphs(AGENT_ASSISTANT_ID) == {}


async def test_invalid_body_is_422_with_a_string_detail(client: Client) -> None:
    with pytest.raises(UnprocessableEntityError) as exc:
        await client.http.post(
            "/assistants", json={"graph_id": "agent", "metadata": "not an object"}
        )
    assert_detail(exc)
    with pytest.raises(UnprocessableEntityError) as exc:
        await client.http.post("/assistants/search", json={"limit": "many"})
    assert_detail(exc)
