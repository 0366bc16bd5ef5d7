"""Bad input gets a clear 4xx, never a 500 or a broken stream, and changes nothing."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

LONE_SURROGATE = '"\\ud800"'  # valid JSON, not valid Unicode text


def _post(client: TestClient, path: str, raw: str) -> tuple[int, str]:
    response = client.post(path, content=raw.encode(), headers={"Content-Type": "application/json"})
    return response.status_code, response.json()["detail"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/threads", '{"metadata": {"a": %s}}'),
        ("/threads", '{"metadata": {%s: 1}}'),
        ("/assistants", '{"graph_id": "trivial", "name": %s}'),
        ("/runs/wait", '{"assistant_id": "trivial", "input": {"messages": [%s]}}'),
        ("/runs/stream", '{"assistant_id": "trivial", "input": {"x": %s}}'),
        ("/store/items/search", '{"namespace_prefix": [%s]}'),
    ],
)
def test_a_lone_surrogate_anywhere_is_a_422(app_client: TestClient, path: str, body: str) -> None:
    status, detail = _post(app_client, path, body % LONE_SURROGATE)
    assert (status, detail) == (422, "string with a lone surrogate (not valid Unicode text)")
    assert app_client.post("/threads/count", json={}).json() == 0


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/threads", '{"metadata": {"a": "x\\u0000y"}}'),
        ("/threads/count", '{"metadata": {"\\u0000": null}}'),
        ("/runs/wait", '{"assistant_id": "trivial", "input": {"x": "\\u0000"}}'),
        ("/store/items/search", '{"filter": {"a": "\\u0000"}}'),
    ],
)
def test_a_nul_character_anywhere_is_a_422_on_every_backend(
    app_client: TestClient, path: str, body: str
) -> None:
    status, detail = _post(app_client, path, body)
    assert (status, detail) == (
        422,
        "string with a NUL character (\\u0000), which storage cannot hold",
    )
    assert app_client.post("/threads/count", json={}).json() == 0


@pytest.mark.parametrize("depth", [200, 254, 300, 999, 1000, 5000])
def test_json_nested_too_deep_is_a_400(app_client: TestClient, depth: int) -> None:
    deep = "[" * depth + "]" * depth
    thread_id = app_client.post("/threads", json={}).json()["thread_id"]
    for path, body in [
        ("/threads", '{"metadata": {"a": %s}}'),
        (f"/threads/{thread_id}/runs/wait", '{"assistant_id": "trivial", "input": {"a": %s}}'),
        (f"/threads/{thread_id}/runs/stream", '{"assistant_id": "trivial", "input": {"a": %s}}'),
    ]:
        status, detail = _post(app_client, path, body % deep)
        assert status == 400, (path, detail)
    assert app_client.get(f"/threads/{thread_id}/runs").json() == []


def test_json_nested_within_the_limit_is_stored_and_read_back(app_client: TestClient) -> None:
    nested: object = "leaf"
    for _ in range(120):
        nested = [nested]
    created = app_client.post("/threads", json={"metadata": {"a": nested}})
    assert created.status_code == 200
    thread = app_client.get(f"/threads/{created.json()['thread_id']}").json()
    assert thread["metadata"]["a"] == nested


@pytest.mark.parametrize(
    ("config", "detail"),
    [
        ({"configurable": 5}, "config: config.configurable must be an object"),
        ({"configurable": ["a"]}, "config: config.configurable must be an object"),
        ({"metadata": [1]}, "config: config.metadata must be an object"),
        ({"metadata": "x"}, "config: config.metadata must be an object"),
        ({"tags": "x"}, "config: config.tags must be a list of strings"),
        ({"recursion_limit": "9"}, "config: config.recursion_limit must be an integer"),
    ],
)
def test_a_config_of_the_wrong_shape_is_a_422(
    app_client: TestClient, config: dict[str, object], detail: str
) -> None:
    thread_id = app_client.post("/threads", json={}).json()["thread_id"]
    run = {"assistant_id": "trivial", "input": {}, "config": config}
    for path, body in [
        (f"/threads/{thread_id}/runs", run),
        (f"/threads/{thread_id}/runs/wait", run),
        ("/runs/stream", run),
        ("/runs/crons", {**run, "schedule": "0 0 * * *"}),
        ("/assistants", {"graph_id": "trivial", "config": config}),
    ]:
        response = app_client.post(path, json=body)
        assert (response.status_code, response.json()) == (422, {"detail": detail}), path
    assert app_client.get(f"/threads/{thread_id}/runs").json() == []
    assert app_client.post("/runs/crons/search", json={}).json() == []


def test_a_path_with_an_undecodable_id_is_a_4xx(app_client: TestClient) -> None:
    response = app_client.get("/threads/%ED%A0%80")
    assert 400 <= response.status_code < 500
