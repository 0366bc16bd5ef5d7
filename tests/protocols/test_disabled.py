"""`http.disable_mcp` / `http.disable_a2a` in langgraph.json: those routes answer 404."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import EXAMPLES, ServerProcess


@pytest.fixture
def server_without_protocols(tmp_path: Path) -> Iterator[ServerProcess]:
    config = json.loads(EXAMPLES.read_text())
    config["dependencies"] = [str(EXAMPLES.parent)]
    config["graphs"] = {
        name: f"{EXAMPLES.parent / path.removeprefix('./')}"
        for name, path in config["graphs"].items()
    }
    config["http"] = {"disable_mcp": True, "disable_a2a": True}
    path = tmp_path / "langgraph.json"
    path.write_text(json.dumps(config))
    server = ServerProcess(tmp_path / "data", config=path)
    server.start(timeout=120)  # the machine may be busy
    yield server
    server.stop()


def test_disabled_protocols_answer_404(server_without_protocols: ServerProcess) -> None:
    with httpx.Client(base_url=server_without_protocols.url) as http:
        chat = http.post("/assistants/search", json={"graph_id": "chat"}).json()[0]
        assistant_id = chat["assistant_id"]
        mcp = http.post(
            "/mcp",
            json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
            headers={"accept": "application/json, text/event-stream"},
        )
        card = http.get(f"/.well-known/agent-card.json?assistant_id={assistant_id}")
        a2a = http.post(
            f"/a2a/{assistant_id}",
            json={"jsonrpc": "2.0", "id": 1, "method": "tasks/get", "params": {"id": "x"}},
        )
        assert [r.status_code for r in (mcp, card, a2a)] == [404, 404, 404]
        assert card.json() == {"detail": "Not Found"}
        # Everything else is served as usual.
        assert http.post("/runs/wait", json={"assistant_id": "trivial", "input": {}}).json() == {
            "counter": 1,
            "messages": [],
        }
