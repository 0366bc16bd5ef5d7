"""User A and user B on every route of the app, generated from its route table.

Every route must have a rule in `RULES` (a new route without one fails
`test_every_route_has_an_isolation_rule`). A rule drives the route as bob against alice's
resources and proves he cannot see, change or use them, and (where it does not destroy
the shared fixtures) that alice can. The project's auth stamps `metadata.owner` on create and
filters every resource to its owner; the store is scoped to the user's namespace.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
import pytest
from starlette.routing import Mount, Route, WebSocketRoute

from tether.api.app import create_app

from .support import Clients

FAR_AWAY = "0 0 1 1 *"  # once a year: a cron that never fires during a test


@dataclass
class World:
    """Alice's resources, made through the API before the rules run."""

    alice: httpx.AsyncClient
    bob: httpx.AsyncClient
    assistant_id: str = ""
    thread_id: str = ""
    run_id: str = ""
    checkpoint_id: str = ""
    cron_id: str = ""
    #: The ASGI app (for the WebSocket routes, which httpx cannot open).
    app: Any = None
    #: A run on a thread of its own that stays pending (after_seconds), to cancel.
    pending_thread_id: str = ""
    pending_run_id: str = ""
    #: A stateless run kept after it ended (`on_completion: keep`).
    stateless_run_id: str = ""
    notes: list[str] = field(default_factory=list)


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, f"{response.request.url}: {response.text}"
    return response.json() if response.content else None


def not_found(response: httpx.Response) -> None:
    assert response.status_code == 404, f"{response.request.url}: {response.text}"


def sse_events(response: httpx.Response) -> list[tuple[str, Any]]:
    events = []
    for block in response.text.split("\n\n"):
        lines = dict(
            line.split(": ", 1) for line in block.splitlines() if ": " in line and line[0] != ":"
        )
        if "event" in lines:
            events.append((lines["event"], orjson.loads(lines.get("data", "null"))))
    return events


async def build_world(c: Clients) -> World:
    w = World(c.alice, c.bob)
    w.app = c.app
    a = c.alice
    w.assistant_id = ok(await a.post("/assistants", json={"graph_id": "whoami"}))["assistant_id"]
    w.thread_id = ok(await a.post("/threads", json={}))["thread_id"]
    ok(
        await a.post(
            f"/threads/{w.thread_id}/runs/wait",
            json={"assistant_id": w.assistant_id, "input": {}},
        )
    )
    runs = ok(await a.get(f"/threads/{w.thread_id}/runs"))
    w.run_id = runs[0]["run_id"]
    state = ok(await a.get(f"/threads/{w.thread_id}/state"))
    w.checkpoint_id = state["checkpoint"]["checkpoint_id"]
    w.cron_id = ok(
        await a.post(
            f"/threads/{w.thread_id}/runs/crons",
            json={"assistant_id": "whoami", "schedule": FAR_AWAY},
        )
    )["cron_id"]
    w.pending_thread_id = ok(await a.post("/threads", json={}))["thread_id"]
    w.pending_run_id = ok(
        await a.post(
            f"/threads/{w.pending_thread_id}/runs",
            json={"assistant_id": "whoami", "input": {}, "after_seconds": 600},
        )
    )["run_id"]
    stateless = ok(
        await a.post("/runs", json={"assistant_id": "whoami", "input": {}, "on_completion": "keep"})
    )
    w.stateless_run_id = stateless["run_id"]
    ok(await a.get(f"/threads/{stateless['thread_id']}/runs/{w.stateless_run_id}/join"))
    ok(
        await a.put(
            "/store/items", json={"namespace": ["notes"], "key": "k", "value": {"text": "alice"}}
        ),
        204,
    )
    return w


async def alice_still_has_her_thread(w: World) -> None:
    ok(await w.alice.get(f"/threads/{w.thread_id}"))


# -- the rules, one per route ---------------------------------------------------------------

Rule = Callable[[World], Awaitable[None]]


async def open_route(w: World) -> None:
    """Served without credentials: checked by `test_open_routes_need_no_credentials`."""


async def create_assistant(w: World) -> None:
    mine = ok(await w.bob.post("/assistants", json={"graph_id": "whoami"}))
    assert mine["metadata"]["owner"] == "bob"
    taken = {"graph_id": "whoami", "assistant_id": w.assistant_id, "if_exists": "do_nothing"}
    assert (await w.bob.post("/assistants", json=taken)).status_code == 409


async def search_assistants(w: World) -> None:
    bobs = ok(await w.bob.post("/assistants/search", json={"limit": 100}))
    assert w.assistant_id not in [x["assistant_id"] for x in bobs]
    assert all(x["metadata"].get("owner") == "bob" for x in bobs)
    alices = ok(await w.alice.post("/assistants/search", json={"limit": 100}))
    assert w.assistant_id in [x["assistant_id"] for x in alices]
    # The client's own filter is applied as well (AND).
    other = {"limit": 100, "metadata": {"owner": "bob"}}
    assert ok(await w.alice.post("/assistants/search", json=other)) == []


async def count_assistants(w: World) -> None:
    bobs = ok(await w.bob.post("/assistants/search", json={"limit": 100}))
    assert ok(await w.bob.post("/assistants/count", json={})) == len(bobs)
    alices = ok(await w.alice.post("/assistants/search", json={"limit": 100}))
    assert ok(await w.alice.post("/assistants/count", json={})) == len(alices) >= 1


def assistant_read(suffix: str = "", method: str = "GET", body: Any = None) -> Rule:
    async def rule(w: World) -> None:
        path = f"/assistants/{w.assistant_id}{suffix}"
        not_found(await w.bob.request(method, path, json=body))
        ok(await w.alice.request(method, path, json=body))

    return rule


async def patch_assistant(w: World) -> None:
    path = f"/assistants/{w.assistant_id}"
    not_found(await w.bob.patch(path, json={"metadata": {"owner": "bob"}}))
    patched = ok(await w.alice.patch(path, json={"name": "renamed"}))
    assert patched["metadata"]["owner"] == "alice"


async def delete_assistant(w: World) -> None:
    not_found(await w.bob.delete(f"/assistants/{w.assistant_id}"))
    ok(await w.alice.get(f"/assistants/{w.assistant_id}"))


async def create_thread(w: World) -> None:
    mine = ok(await w.bob.post("/threads", json={"metadata": {"owner": "alice"}}))
    assert mine["metadata"]["owner"] == "bob"  # stamped by the handler, whatever was sent
    taken = {"thread_id": w.thread_id, "if_exists": "do_nothing"}
    assert (await w.bob.post("/threads", json=taken)).status_code == 409


async def search_threads(w: World) -> None:
    bobs = ok(await w.bob.post("/threads/search", json={"limit": 100}))
    assert w.thread_id not in [t["thread_id"] for t in bobs]
    assert all(t["metadata"]["owner"] == "bob" for t in bobs)
    alices = ok(await w.alice.post("/threads/search", json={"limit": 100}))
    assert w.thread_id in [t["thread_id"] for t in alices]
    by_id = {"ids": [w.thread_id]}
    assert ok(await w.bob.post("/threads/search", json=by_id)) == []


async def count_threads(w: World) -> None:
    for client in (w.alice, w.bob):
        found = ok(await client.post("/threads/search", json={"limit": 1000}))
        assert ok(await client.post("/threads/count", json={})) == len(found)


async def prune_threads(w: World) -> None:
    not_found(await w.bob.post("/threads/prune", json={"thread_ids": [w.thread_id]}))
    await alice_still_has_her_thread(w)


def thread_read(suffix: str = "", method: str = "GET", body: Any = None) -> Rule:
    async def rule(w: World) -> None:
        path = f"/threads/{w.thread_id}{suffix}".replace("{checkpoint_id}", w.checkpoint_id)
        if isinstance(body, dict):
            payload: Any = orjson.loads(
                orjson.dumps(body).replace(b"{checkpoint_id}", w.checkpoint_id.encode())
            )
        else:
            payload = body
        not_found(await w.bob.request(method, path, json=payload))
        ok(await w.alice.request(method, path, json=payload))

    return rule


async def patch_thread(w: World) -> None:
    path = f"/threads/{w.thread_id}"
    not_found(await w.bob.patch(path, json={"metadata": {"owner": "bob"}}))
    assert ok(await w.alice.patch(path, json={"metadata": {"x": 1}}))["metadata"]["owner"] == (
        "alice"
    )


async def delete_thread(w: World) -> None:
    not_found(await w.bob.delete(f"/threads/{w.thread_id}"))
    await alice_still_has_her_thread(w)


async def copy_thread(w: World) -> None:
    assert (await w.bob.post(f"/threads/{w.thread_id}/copy")).status_code == 409
    copy = ok(await w.alice.post(f"/threads/{w.thread_id}/copy"))
    assert copy["metadata"]["owner"] == "alice"


async def update_state(w: World) -> None:
    path = f"/threads/{w.thread_id}/state"
    not_found(await w.bob.post(path, json={"values": {"seen": "bob"}}))
    ok(await w.alice.post(path, json={"values": {"seen": "alice"}}))


async def thread_feed(w: World) -> None:
    # Alice's feed never ends (an in-process client reads whole bodies): bob's 404 only.
    not_found(await w.bob.get(f"/threads/{w.thread_id}/stream"))


def run_on_thread(suffix: str) -> Rule:
    async def rule(w: World) -> None:
        path = f"/threads/{w.thread_id}/runs{suffix}"
        body = {"assistant_id": "whoami", "input": {}}
        response = await w.bob.post(path, json=body)
        not_found(response)
        assert response.json()["detail"] == "Thread or assistant not found."
        mine = ok(await w.bob.post("/threads", json={}))["thread_id"]
        # Bob cannot run alice's assistant on his own thread either.
        theirs = {"assistant_id": w.assistant_id, "input": {}}
        not_found(await w.bob.post(f"/threads/{mine}/runs{suffix}", json=theirs))
        answer = await w.alice.post(path, json=body)
        assert answer.status_code == 200, answer.text
        if suffix == "/wait":
            assert answer.json()["seen"]["identity"] == "alice"
        if suffix == "":
            run = answer.json()
            assert run["metadata"]["owner"] == "alice"
            ok(await w.alice.get(f"/threads/{w.thread_id}/runs/{run['run_id']}/join"))

    return rule


def run_read(suffix: str) -> Rule:
    async def rule(w: World) -> None:
        path = f"/threads/{w.thread_id}/runs/{w.run_id}{suffix}"
        not_found(await w.bob.get(path))
        ok(await w.alice.get(path))

    return rule


async def list_runs(w: World) -> None:
    path = f"/threads/{w.thread_id}/runs"
    not_found(await w.bob.get(path))
    assert w.run_id in [r["run_id"] for r in ok(await w.alice.get(path))]


async def delete_run(w: World) -> None:
    not_found(await w.bob.delete(f"/threads/{w.thread_id}/runs/{w.run_id}"))
    ok(await w.alice.get(f"/threads/{w.thread_id}/runs/{w.run_id}"))


async def join_run_stream(w: World) -> None:
    path = f"/threads/{w.thread_id}/runs/{w.run_id}/stream"
    hidden = await w.bob.get(path)
    assert sse_events(hidden) == [
        ("error", {"error": "HTTPException", "message": "404: Run not found"})
    ]
    mine = await w.alice.get(path, headers={"Last-Event-ID": "0"})
    assert mine.status_code == 200
    assert ("values", {"seen": _seen("alice")}) in sse_events(mine)


async def cancel_run(w: World) -> None:
    path = f"/threads/{w.pending_thread_id}/runs/{w.pending_run_id}"
    not_found(await w.bob.post(f"{path}/cancel"))
    assert ok(await w.alice.get(path))["status"] == "pending"


async def cancel_runs(w: World) -> None:
    not_found(await w.bob.post("/runs/cancel", json={"status": "pending"}))
    theirs = {"thread_id": w.pending_thread_id, "run_ids": [w.pending_run_id]}
    not_found(await w.bob.post("/runs/cancel", json=theirs))
    not_found(await w.bob.post("/runs/cancel", json={"run_ids": [w.pending_run_id]}))
    path = f"/threads/{w.pending_thread_id}/runs/{w.pending_run_id}"
    assert ok(await w.alice.get(path))["status"] == "pending"


async def stateless_run(w: World) -> None:
    body = {"assistant_id": "whoami", "input": {}, "on_completion": "keep"}
    run = ok(await w.bob.post("/runs", json=body))
    assert run["metadata"]["owner"] == "bob"
    ok(await w.bob.get(f"/threads/{run['thread_id']}/runs/{run['run_id']}/join"))
    not_found(await w.alice.get(f"/runs/{run['run_id']}"))
    not_found(await w.alice.get(f"/threads/{run['thread_id']}"))
    theirs = {"assistant_id": w.assistant_id, "input": {}}
    not_found(await w.bob.post("/runs", json=theirs))


async def stateless_stream(w: World) -> None:
    body = {"assistant_id": "whoami", "input": {}, "stream_mode": "values"}
    events = sse_events(ok_stream(await w.bob.post("/runs/stream", json=body)))
    assert ("values", {"seen": _seen("bob")}) in events
    theirs = {"assistant_id": w.assistant_id, "input": {}}
    not_found(await w.bob.post("/runs/stream", json=theirs))


def ok_stream(response: httpx.Response) -> httpx.Response:
    assert response.status_code == 200, response.text
    return response


def _seen(identity: str) -> dict[str, Any]:
    org = {"alice": "acme", "bob": "globex"}[identity]
    permissions = {"alice": ["read", "write"], "bob": ["read"]}[identity]
    return {
        "identity": identity,
        "display_name": identity,
        "org": org,
        "org_attribute": org,
        "user_id": identity,
        "permissions": permissions,
        "config_user_id": identity,
    }


async def stateless_wait(w: World) -> None:
    body = {"assistant_id": "whoami", "input": {}}
    assert ok(await w.bob.post("/runs/wait", json=body)) == {"seen": _seen("bob")}
    assert ok(await w.alice.post("/runs/wait", json=body)) == {"seen": _seen("alice")}
    theirs = {"assistant_id": w.assistant_id, "input": {}}
    not_found(await w.bob.post("/runs/wait", json=theirs))


async def stateless_batch(w: World) -> None:
    body = {"assistant_id": "whoami", "input": {}, "on_completion": "keep"}
    runs = ok(await w.bob.post("/runs/batch", json=[body, body]))
    for run in runs:
        assert run["metadata"]["owner"] == "bob"
        not_found(await w.alice.get(f"/runs/{run['run_id']}"))
    theirs = {"assistant_id": w.assistant_id, "input": {}}
    not_found(await w.bob.post("/runs/batch", json=[body, theirs]))


async def get_stateless_run(w: World) -> None:
    not_found(await w.bob.get(f"/runs/{w.stateless_run_id}"))
    ok(await w.alice.get(f"/runs/{w.stateless_run_id}"))


async def stateless_run_stream(w: World) -> None:
    path = f"/runs/{w.stateless_run_id}/stream"
    hidden = sse_events(await w.bob.get(path, headers={"Last-Event-ID": "0"}))
    assert hidden == [("error", {"error": "HTTPException", "message": "404: Run not found"})]
    mine = sse_events(ok_stream(await w.alice.get(path, headers={"Last-Event-ID": "0"})))
    assert ("values", {"seen": _seen("alice")}) in mine


async def create_thread_cron(w: World) -> None:
    body = {"assistant_id": "whoami", "schedule": FAR_AWAY}
    not_found(await w.bob.post(f"/threads/{w.thread_id}/runs/crons", json=body))
    cron = ok(await w.alice.post(f"/threads/{w.thread_id}/runs/crons", json=body))
    assert cron["metadata"]["owner"] == "alice"
    assert cron["user_id"] == "alice"


async def create_cron(w: World) -> None:
    cron = ok(
        await w.bob.post("/runs/crons", json={"assistant_id": "whoami", "schedule": FAR_AWAY})
    )
    assert cron["metadata"]["owner"] == "bob"
    not_found(await w.alice.get(f"/runs/crons/{cron['cron_id']}"))
    theirs = {"assistant_id": w.assistant_id, "schedule": FAR_AWAY}
    not_found(await w.bob.post("/runs/crons", json=theirs))


async def search_crons(w: World) -> None:
    bobs = ok(await w.bob.post("/runs/crons/search", json={"limit": 100}))
    assert w.cron_id not in [c["cron_id"] for c in bobs]
    on_thread = {"thread_id": w.thread_id}
    assert ok(await w.bob.post("/runs/crons/search", json=on_thread)) == []
    alices = ok(await w.alice.post("/runs/crons/search", json={"limit": 100}))
    assert w.cron_id in [c["cron_id"] for c in alices]


async def count_crons(w: World) -> None:
    for client in (w.alice, w.bob):
        found = ok(await client.post("/runs/crons/search", json={"limit": 1000}))
        assert ok(await client.post("/runs/crons/count", json={})) == len(found)
    assert ok(await w.bob.post("/runs/crons/count", json={"thread_id": w.thread_id})) == 0


async def get_cron(w: World) -> None:
    not_found(await w.bob.get(f"/runs/crons/{w.cron_id}"))
    ok(await w.alice.get(f"/runs/crons/{w.cron_id}"))


async def patch_cron(w: World) -> None:
    not_found(await w.bob.patch(f"/runs/crons/{w.cron_id}", json={"enabled": False}))
    assert ok(await w.alice.get(f"/runs/crons/{w.cron_id}"))["enabled"] is True
    ok(await w.alice.patch(f"/runs/crons/{w.cron_id}", json={"metadata": {"x": 1}}))


async def delete_cron(w: World) -> None:
    not_found(await w.bob.delete(f"/runs/crons/{w.cron_id}"))
    ok(await w.alice.get(f"/runs/crons/{w.cron_id}"))


async def put_item(w: World) -> None:
    item = {"namespace": ["notes"], "key": "k", "value": {"text": "bob"}}
    ok(await w.bob.put("/store/items", json=item), 204)
    mine = ok(await w.alice.get("/store/items", params={"namespace": "notes", "key": "k"}))
    assert mine["value"] == {"text": "alice"}
    assert mine["namespace"] == ["alice", "notes"]


async def get_item(w: World) -> None:
    params = {"namespace": "notes", "key": "k"}
    theirs = ok(await w.bob.get("/store/items", params=params))
    assert theirs is None or theirs["value"] != {"text": "alice"}
    alices = {"namespace": "alice.notes", "key": "k"}  # bob's handler scopes it under "bob"
    assert ok(await w.bob.get("/store/items", params=alices)) is None


async def delete_item(w: World) -> None:
    ok(
        await w.bob.request("DELETE", "/store/items", json={"namespace": ["notes"], "key": "k"}),
        204,
    )
    mine = ok(await w.alice.get("/store/items", params={"namespace": "notes", "key": "k"}))
    assert mine["value"] == {"text": "alice"}


async def search_items(w: World) -> None:
    theirs = ok(await w.bob.post("/store/items/search", json={"namespace_prefix": []}))
    assert all(item["namespace"][0] == "bob" for item in theirs["items"])
    mine = ok(await w.alice.post("/store/items/search", json={"namespace_prefix": ["notes"]}))
    assert [item["value"] for item in mine["items"]] == [{"text": "alice"}]


async def list_namespaces(w: World) -> None:
    theirs = ok(await w.bob.post("/store/namespaces", json={}))
    assert all(ns[0] == "bob" for ns in theirs["namespaces"])
    assert ["alice", "notes"] in ok(await w.alice.post("/store/namespaces", json={}))["namespaces"]


async def thread_commands(w: World) -> None:
    path = f"/threads/{w.thread_id}/commands"
    command = {"id": 1, "method": "state.get", "params": {}}
    assert (await w.bob.post(path, json=command)).status_code == 404
    assert ok(await w.alice.post(path, json=command))["type"] == "success"
    # With auth, a thread stream's thread is made first (POST /threads records its owner).
    unknown = f"/threads/{uuid.uuid4()}/commands"
    assert (await w.bob.post(unknown, json=command)).status_code == 404


async def thread_stream_events(w: World) -> None:
    path = f"/threads/{w.thread_id}/stream/events"
    body = {"channels": ["values"]}
    assert (await w.bob.post(path, json=body)).status_code == 404
    # Alice passes the thread check and reaches the stream's own validation (an open stream
    # would not end under httpx's in-process transport).
    assert (await w.alice.post(path, json={"channels": "values"})).status_code == 400


async def _websocket_handshake(app: Any, path: str, headers: httpx.Headers) -> str:
    """Open a WebSocket on the app directly: its first answer (accept or close)."""
    scope = {
        "type": "websocket",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "scheme": "ws",
        "query_string": b"",
        "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 1),
        "server": ("tether", 80),
        "subprotocols": [],
    }
    incoming = [{"type": "websocket.connect"}, {"type": "websocket.disconnect", "code": 1000}]
    answers: list[str] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0) if incoming else {"type": "websocket.disconnect", "code": 1000}

    async def send(message: dict[str, Any]) -> None:
        answers.append(message["type"])

    await asyncio.wait_for(app(scope, receive, send), timeout=30)
    return answers[0]


async def thread_socket(w: World) -> None:
    path = f"/threads/{w.thread_id}/stream/events"
    assert await _websocket_handshake(w.app, path, w.bob.headers) == "websocket.close"
    assert await _websocket_handshake(w.app, path, w.alice.headers) == "websocket.accept"
    assert await _websocket_handshake(w.app, path, httpx.Headers()) == "websocket.close"


MCP_HEADERS = {"accept": "application/json, text/event-stream"}


async def _rpc(client: httpx.AsyncClient, path: str, method: str, params: Any) -> dict[str, Any]:
    """One JSON-RPC call (MCP or A2A); its answer (`result` or `error`)."""
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
    response = await client.post(path, json=body, headers=MCP_HEADERS)
    assert response.status_code == 200, f"{path} {method}: {response.text}"
    answer: dict[str, Any] = response.json()
    return answer


def mcp_tools(path: str) -> Rule:
    """Each user's tools are the assistants `POST /assistants/search` shows them; a call
    runs as the caller; another user's assistant is an unknown tool."""

    async def rule(w: World) -> None:
        for user in (w.alice, w.bob):
            listed = (await _rpc(user, path, "tools/list", {}))["result"]["tools"]
            searched = ok(await user.post("/assistants/search", json={"limit": 100}))
            assert sorted(t["title"] for t in listed) == sorted(a["name"] for a in searched)
        theirs = {"name": w.assistant_id, "arguments": {}}
        refused = await _rpc(w.bob, path, "tools/call", theirs)
        assert refused["error"] == {
            "code": -32602,
            "message": f"Unknown tool: {w.assistant_id}",
        }
        mine = (await _rpc(w.alice, path, "tools/call", theirs))["result"]
        assert mine["isError"] is False
        assert orjson.loads(mine["content"][0]["text"]) == {"seen": _seen("alice")}
        graph = await _rpc(w.bob, path, "tools/call", {"name": "whoami", "arguments": {}})
        assert orjson.loads(graph["result"]["content"][0]["text"]) == {"seen": _seen("bob")}

    return rule


async def mcp_without_sessions(w: World) -> None:
    """No sessions to open or end: the same answer for everyone (no data either way)."""
    for user in (w.alice, w.bob):
        for method in ("GET", "DELETE"):
            answer = await user.request(method, "/mcp", headers=MCP_HEADERS)
            assert answer.status_code == 405, f"{method} /mcp: {answer.text}"


def agent_card(path: str) -> Rule:
    """Another user's assistant has no card for bob: the answer of an unknown one."""

    async def rule(w: World) -> None:
        async def card(user: httpx.AsyncClient, assistant_id: str) -> httpx.Response:
            if "{assistant_id}" in path:
                return await user.get(path.replace("{assistant_id}", assistant_id))
            return await user.get(path, params={"assistant_id": assistant_id})

        hidden = await card(w.bob, w.assistant_id)
        unknown_id = str(uuid.uuid4())
        unknown = await card(w.bob, unknown_id)
        assert hidden.status_code == unknown.status_code == 404, hidden.text
        assert hidden.text.replace(w.assistant_id, "X") == unknown.text.replace(unknown_id, "X")
        assert ok(await card(w.alice, w.assistant_id))["url"].endswith(w.assistant_id)
        # A graph's own assistant is everyone's to run, so everyone gets its card.
        assert ok(await card(w.bob, "whoami"))["name"] == "whoami"

    return rule


async def a2a_calls(w: World) -> None:
    """Bob cannot see, follow, cancel or continue alice's tasks, nor talk to her assistant;
    his own tasks run as him, in contexts only he can read."""
    hers, graph = f"/a2a/{w.assistant_id}", "/a2a/whoami"
    task_id = f"{w.thread_id}:{w.run_id}"
    pending = f"{w.pending_thread_id}:{w.pending_run_id}"
    unknown = f"{uuid.uuid4()}:{uuid.uuid4()}"
    for method in ("tasks/get", "tasks/cancel", "tasks/resubscribe"):
        for task in (task_id, pending):
            answer = await _rpc(w.bob, graph, method, {"id": task})
            assert answer["error"] == {"code": -32001, "message": f"Task not found: {task}"}
        assert (await _rpc(w.bob, graph, method, {"id": unknown}))["error"]["code"] == -32001
    assert (
        ok(await w.alice.get(f"/threads/{w.pending_thread_id}/runs/{w.pending_run_id}"))["status"]
        == "pending"
    )
    listed = await _rpc(w.bob, graph, "ListTasks", {"contextId": w.thread_id})
    assert listed["result"]["tasks"] == []
    assert (await _rpc(w.alice, hers, "tasks/get", {"id": task_id}))["result"]["id"] == task_id

    message = {"role": "user", "messageId": "m", "parts": [{"kind": "data", "data": {}}]}
    to_hers = await _rpc(w.bob, hers, "message/send", {"message": message})
    assert to_hers["error"] == {"code": -32602, "message": f"Assistant {w.assistant_id} not found"}
    in_her_context = {**message, "contextId": w.thread_id}
    runs_before = len(ok(await w.alice.get(f"/threads/{w.thread_id}/runs")))
    refused = await _rpc(w.bob, graph, "message/send", {"message": in_her_context})
    assert refused["error"] == {"code": -32602, "message": "Thread or assistant not found."}
    assert len(ok(await w.alice.get(f"/threads/{w.thread_id}/runs"))) == runs_before

    his = (await _rpc(w.bob, graph, "message/send", {"message": message}))["result"]
    assert his["status"]["state"] == "completed"
    assert his["artifacts"][0]["parts"] == [{"kind": "data", "data": {"seen": _seen("bob")}}]
    assert ok(await w.bob.get(f"/threads/{his['contextId']}"))["metadata"]["owner"] == "bob"
    not_found(await w.alice.get(f"/threads/{his['contextId']}"))
    mine = (await _rpc(w.alice, hers, "message/send", {"message": message}))["result"]
    assert mine["artifacts"][0]["parts"] == [{"kind": "data", "data": {"seen": _seen("alice")}}]


#: (method, path) -> rule. `MOUNT` marks a mounted app (all methods).
RULES: dict[tuple[str, str], Rule] = {
    ("GET", "/openapi.json"): open_route,
    ("MOUNT", "/static/docs"): open_route,
    ("GET", "/docs"): open_route,
    ("GET", "/docs/oauth2-redirect"): open_route,
    ("GET", "/redoc"): open_route,
    ("GET", "/ok"): open_route,
    ("GET", "/info"): open_route,
    ("GET", "/metrics"): open_route,
    # The web UI's page and files: no data (its API calls send the user's token).
    ("GET", "/"): open_route,
    ("GET", "/ui"): open_route,
    ("GET", "/ui/{path:path}"): open_route,
    ("MOUNT", "/ui/assets"): open_route,
    ("POST", "/assistants"): create_assistant,
    ("POST", "/assistants/search"): search_assistants,
    ("POST", "/assistants/count"): count_assistants,
    ("GET", "/assistants/{assistant_id}"): assistant_read(),
    ("PATCH", "/assistants/{assistant_id}"): patch_assistant,
    ("DELETE", "/assistants/{assistant_id}"): delete_assistant,
    ("GET", "/assistants/{assistant_id}/graph"): assistant_read("/graph"),
    ("GET", "/assistants/{assistant_id}/subgraphs"): assistant_read("/subgraphs"),
    ("GET", "/assistants/{assistant_id}/subgraphs/{namespace}"): assistant_read("/subgraphs/x"),
    ("GET", "/assistants/{assistant_id}/schemas"): assistant_read("/schemas"),
    ("POST", "/assistants/{assistant_id}/versions"): assistant_read("/versions", "POST", {}),
    ("POST", "/assistants/{assistant_id}/latest"): assistant_read(
        "/latest", "POST", {"version": 1}
    ),
    ("POST", "/threads"): create_thread,
    ("POST", "/threads/search"): search_threads,
    ("POST", "/threads/count"): count_threads,
    ("POST", "/threads/prune"): prune_threads,
    ("GET", "/threads/{thread_id}"): thread_read(),
    ("GET", "/threads/{thread_id}/storage"): thread_read("/storage"),
    ("PATCH", "/threads/{thread_id}"): patch_thread,
    ("DELETE", "/threads/{thread_id}"): delete_thread,
    ("POST", "/threads/{thread_id}/copy"): copy_thread,
    ("GET", "/threads/{thread_id}/state"): thread_read("/state"),
    ("POST", "/threads/{thread_id}/state"): update_state,
    ("GET", "/threads/{thread_id}/state/{checkpoint_id}"): thread_read("/state/{checkpoint_id}"),
    ("POST", "/threads/{thread_id}/state/checkpoint"): thread_read(
        "/state/checkpoint", "POST", {"checkpoint": {"checkpoint_id": "{checkpoint_id}"}}
    ),
    ("GET", "/threads/{thread_id}/history"): thread_read("/history"),
    ("POST", "/threads/{thread_id}/history"): thread_read("/history", "POST", {}),
    ("GET", "/threads/{thread_id}/stream"): thread_feed,
    ("POST", "/threads/{thread_id}/runs"): run_on_thread(""),
    ("POST", "/threads/{thread_id}/runs/stream"): run_on_thread("/stream"),
    ("POST", "/threads/{thread_id}/runs/wait"): run_on_thread("/wait"),
    ("GET", "/threads/{thread_id}/runs"): list_runs,
    ("GET", "/threads/{thread_id}/runs/{run_id}"): run_read(""),
    ("DELETE", "/threads/{thread_id}/runs/{run_id}"): delete_run,
    ("GET", "/threads/{thread_id}/runs/{run_id}/join"): run_read("/join"),
    ("GET", "/threads/{thread_id}/runs/{run_id}/stream"): join_run_stream,
    ("POST", "/threads/{thread_id}/runs/{run_id}/cancel"): cancel_run,
    ("POST", "/runs/cancel"): cancel_runs,
    ("POST", "/runs"): stateless_run,
    ("POST", "/runs/stream"): stateless_stream,
    ("POST", "/runs/wait"): stateless_wait,
    ("POST", "/runs/batch"): stateless_batch,
    ("GET", "/runs/{run_id}"): get_stateless_run,
    ("GET", "/runs/{run_id}/stream"): stateless_run_stream,
    ("POST", "/threads/{thread_id}/runs/crons"): create_thread_cron,
    ("POST", "/runs/crons"): create_cron,
    ("POST", "/runs/crons/search"): search_crons,
    ("POST", "/runs/crons/count"): count_crons,
    ("GET", "/runs/crons/{cron_id}"): get_cron,
    ("PATCH", "/runs/crons/{cron_id}"): patch_cron,
    ("DELETE", "/runs/crons/{cron_id}"): delete_cron,
    ("PUT", "/store/items"): put_item,
    ("GET", "/store/items"): get_item,
    ("DELETE", "/store/items"): delete_item,
    ("POST", "/store/items/search"): search_items,
    ("POST", "/store/namespaces"): list_namespaces,
    ("POST", "/threads/{thread_id}/commands"): thread_commands,
    ("POST", "/threads/{thread_id}/stream/events"): thread_stream_events,
    ("WEBSOCKET", "/threads/{thread_id}/stream/events"): thread_socket,
    ("GET", "/.well-known/agent-card.json"): agent_card("/.well-known/agent-card.json"),
    ("GET", "/a2a/{assistant_id}"): agent_card("/a2a/{assistant_id}"),
    ("POST", "/a2a/{assistant_id}"): a2a_calls,
    ("POST", "/mcp"): mcp_tools("/mcp"),
    ("POST", "/mcp/"): mcp_tools("/mcp/"),
    **{(m, p): mcp_without_sessions for p in ("/mcp", "/mcp/") for m in ("GET", "DELETE")},
}


def route_table() -> list[tuple[str, str]]:
    """Every (method, path) the app serves."""
    table = []
    for route in create_app().routes:
        if isinstance(route, Mount):
            table.append(("MOUNT", route.path))
        elif isinstance(route, Route):
            for method in sorted((route.methods or set()) - {"HEAD"}):
                table.append((method, route.path))
        elif isinstance(route, WebSocketRoute):
            table.append(("WEBSOCKET", route.path))
    return table


def test_every_route_has_an_isolation_rule() -> None:
    table = route_table()
    missing = [route for route in table if route not in RULES]
    assert not missing, f"routes without an isolation rule in RULES: {missing}"
    stale = [route for route in RULES if route not in table]
    assert not stale, f"rules for routes the app no longer has: {stale}"


async def test_user_b_cannot_reach_user_a_resources_on_any_route(clients: Clients) -> None:
    world = await build_world(clients)
    failures = []
    for route in route_table():
        try:
            await RULES[route](world)
        except AssertionError as exc:
            failures.append(f"{route}: {exc}")
    assert not failures, "\n".join(failures)


def _concrete(path: str) -> str:
    some = str(uuid.uuid4())
    return (
        path.replace("{assistant_id}", some)
        .replace("{thread_id}", some)
        .replace("{run_id}", some)
        .replace("{cron_id}", some)
        .replace("{checkpoint_id}", some)
        .replace("{namespace}", "x")
    )


def protected_routes() -> list[tuple[str, str]]:
    return [route for route in route_table() if RULES[route] is not open_route]


@pytest.mark.parametrize("token", [None, "Bearer wrong", "Basic token-alice"])
async def test_every_protected_route_is_401_without_a_valid_token(
    clients: Clients, token: str | None
) -> None:
    headers = {"Authorization": token} if token else {}
    wrong = []
    for method, path in [*protected_routes(), ("GET", "/no/such/route")]:
        response = await clients.anonymous.request(
            method, _concrete(path), headers=headers, json={}
        )
        if response.status_code != 401 or response.json() != {"detail": "Invalid or missing token"}:
            wrong.append(f"{method} {path}: {response.status_code} {response.text[:100]}")
        elif response.headers.get("www-authenticate") != "Bearer":
            wrong.append(f"{method} {path}: the handler's WWW-Authenticate header was dropped")
    assert not wrong, "\n".join(wrong)


async def test_open_routes_need_no_credentials(clients: Clients) -> None:
    paths = [
        "/ok",
        "/info",
        "/metrics",
        "/docs",
        "/docs/oauth2-redirect",
        "/redoc",
        "/openapi.json",
        "/static/docs/swagger-ui.css",
        "/",
        "/ui",
        "/ui/threads/x",
        "/ui/assets/app.js",
    ]
    for path in paths:
        response = await clients.anonymous.get(path)
        expected = 307 if path == "/" else 200  # `/` leads to the UI
        assert response.status_code == expected, f"{path}: {response.status_code}"
    opened = [route for route in route_table() if RULES[route] is open_route]
    assert {path for _, path in opened} <= {
        *paths,
        "/static/docs",
        "/ui/{path:path}",
        "/ui/assets",
    }
    # Only reading the web UI's files is open.
    assert (await clients.anonymous.post("/ui")).status_code == 401


async def test_the_cron_runs_as_its_creator(clients: Clients) -> None:
    """A cron's runs carry the user who created it into the graph, even though no request
    of that user is in flight when it fires."""
    runtime = clients.app.state.runtime
    thread_id = ok(await clients.bob.post("/threads", json={}))["thread_id"]
    ok(
        await clients.bob.post(
            f"/threads/{thread_id}/runs/crons",
            json={"assistant_id": "whoami", "schedule": "* * * * *", "input": {}},
        )
    )
    # Due now rather than at the next minute; the scheduler of the app may fire it first.
    crons = runtime.crons
    [cron] = ok(await clients.bob.post("/runs/crons/search", json={"thread_id": thread_id}))
    await crons.crons.update_cron(cron["cron_id"], {"next_run_date": "2000-01-01T00:00:00+00:00"})
    await crons.fire_due()
    deadline = time.monotonic() + 30
    while not (runs := ok(await clients.bob.get(f"/threads/{thread_id}/runs"))):
        assert time.monotonic() < deadline, "the cron never started its run"
        await asyncio.sleep(0.05)
    ok(await clients.bob.get(f"/threads/{thread_id}/runs/{runs[0]['run_id']}/join"))
    state = ok(await clients.bob.get(f"/threads/{thread_id}/state"))
    assert state["values"] == {"seen": _seen("bob")}


async def test_deleting_an_assistant_with_its_threads_spares_other_users_threads(
    clients: Clients,
) -> None:
    alice, bob = clients.alice, clients.bob
    assistant_id = ok(await alice.post("/assistants", json={"graph_id": "whoami"}))["assistant_id"]
    tagged = {"metadata": {"assistant_id": assistant_id}}
    hers = ok(await alice.post("/threads", json=tagged))["thread_id"]
    his = ok(await bob.post("/threads", json=tagged))["thread_id"]
    deleted = await alice.delete(f"/assistants/{assistant_id}", params={"delete_threads": "true"})
    assert deleted.status_code == 204
    not_found(await alice.get(f"/threads/{hers}"))
    ok(await bob.get(f"/threads/{his}"))
