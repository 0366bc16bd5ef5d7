"""The official JS SDK's thread stream (`@langchain/langgraph-sdk` 1.x, `client.threads.stream`)
against Tether, from Node, over SSE and over the WebSocket: tokens, output, an interrupt
answered with `input.respond`, `state.get`, `state.listCheckpoints`, `agent.getTree`.

The SDK is installed from `js/package-lock.json` the first time (`npm ci`), then reused."""

from __future__ import annotations

import fcntl
import json
import shutil
import subprocess
from pathlib import Path

import pytest

JS = Path(__file__).resolve().parent / "js"


@pytest.fixture(scope="session")
def node() -> list[str]:
    executable = shutil.which("node")
    assert executable, "Node.js is needed for the JS SDK test (apt-get install -y nodejs npm)"
    installed = JS / "node_modules" / "@langchain" / "langgraph-sdk"
    # One test process installs, the others (pytest-xdist's workers) wait: `npm ci` starts by
    # deleting node_modules.
    with open(JS / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not installed.is_dir():
            npm = shutil.which("npm")
            assert npm, "npm is needed to install the JS SDK"
            subprocess.run(
                [npm, "ci", "--no-audit", "--no-fund", "--silent"], cwd=JS, check=True, timeout=300
            )
    version = subprocess.run(
        [executable, "--version"], capture_output=True, text=True, check=True
    ).stdout
    major = int(version.strip().lstrip("v").split(".")[0])
    # Node 20 has WebSocket only behind a flag (it is on by default from Node 22).
    return [executable, *(["--experimental-websocket"] if major < 22 else [])]


@pytest.mark.parametrize("transport", ["sse", "websocket"])
def test_js_sdk_thread_stream(node: list[str], v3_url: str, transport: str) -> None:
    result = subprocess.run(
        [*node, "thread_stream.mjs", v3_url, transport],
        cwd=JS,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    # Seen twice in full-suite runs on SQLite over the WebSocket, never alone: say what came.
    assert "tokens" in seen, (
        f"the chat run's messages never reached the JS SDK: {seen}\n{result.stderr}"
    )
    assert "".join(seen["tokens"]) == "Hello there, this is a fake streamed reply."
    assert len(seen["tokens"]) > 5
    assert seen["chatMessages"] == ["human", "ai"]
    # The JS SDK reads the interrupt from `payload`.
    assert seen["interrupt"] == {"payload": {"question": "approve?", "counter": 0}, "namespace": []}
    assert seen["state"] == {"counter": 11, "answer": "yes"}
    assert seen["checkpoints"] == 2
    assert seen["tree"] == {"namespace": [], "status": "completed", "graph_name": "hitl"}
