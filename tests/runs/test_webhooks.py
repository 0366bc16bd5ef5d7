"""Webhooks: the finished run is POSTed to the URL it was created with, retried on failure."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from conftest import EXAMPLES, ServerProcess, started_on_backend
from langgraph_sdk import get_sync_client


class _Receiver:
    def __init__(self, failures: int = 0) -> None:
        self.bodies: list[dict] = []
        self.paths: list[str] = []
        self.failures = failures
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if receiver.failures > 0:
                    receiver.failures -= 1
                    self.send_response(503)
                    self.end_headers()
                    return
                receiver.bodies.append(json.loads(body))
                receiver.paths.append(self.path)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, count: int, timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        while len(self.bodies) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(self.bodies) >= count


@pytest.fixture(scope="module")
def tether_url(
    tmp_path_factory: pytest.TempPathFactory, backend_name: str, request: pytest.FixtureRequest
) -> Iterator[str]:
    """A server whose langgraph.json lets webhooks reach this machine over http (the
    receivers here listen on 127.0.0.1, which the default policy refuses)."""
    folder = tmp_path_factory.mktemp("webhooks")
    raw = json.loads(EXAMPLES.read_text())
    graphs = {name: str(EXAMPLES.parent / path) for name, path in raw["graphs"].items()}
    config = folder / "langgraph.json"
    webhooks = {"url": {"require_https": False, "disable_loopback": False}}
    config.write_text(json.dumps({"graphs": graphs, "webhooks": webhooks}))
    server = ServerProcess(folder / "data", config=config)
    with started_on_backend(server, backend_name, request) as started:
        yield started.url


@pytest.fixture
def receiver() -> Iterator[_Receiver]:
    r = _Receiver()
    yield r
    r.server.shutdown()


def test_webhook_receives_the_finished_run_with_its_values(
    tether_url: str, receiver: _Receiver
) -> None:
    client = get_sync_client(url=tether_url)
    thread = client.threads.create()
    run = client.runs.create(
        thread["thread_id"], "trivial", input={"counter": 0}, webhook=f"{receiver.url}/hook?x=1"
    )
    receiver.wait(1)
    body = receiver.bodies[0]
    assert receiver.paths == ["/hook?x=1"]
    assert body["run_id"] == run["run_id"] and body["thread_id"] == thread["thread_id"]
    assert body["status"] == "success"
    assert body["values"]["counter"] == 1
    assert {"run_started_at", "run_ended_at", "webhook_sent_at"} <= set(body)


def test_webhook_of_a_failed_run_carries_the_error(tether_url: str, receiver: _Receiver) -> None:
    client = get_sync_client(url=tether_url)
    thread = client.threads.create()
    client.runs.create(thread["thread_id"], "agent", input={"fail": True}, webhook=receiver.url)
    receiver.wait(1)
    assert receiver.bodies[0]["status"] == "error"
    assert receiver.bodies[0]["error"] == {"error": "ValueError", "message": "boom from b"}


def test_webhook_is_retried_after_a_server_error(tether_url: str) -> None:
    receiver = _Receiver(failures=1)
    try:
        client = get_sync_client(url=tether_url)
        thread = client.threads.create()
        client.runs.create(thread["thread_id"], "trivial", input={}, webhook=receiver.url)
        receiver.wait(1)
        assert receiver.failures == 0 and receiver.bodies[0]["status"] == "success"
    finally:
        receiver.server.shutdown()
