"""Safe defaults: webhook targets, which pages and hosts may drive the server, body size."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from conftest import EXAMPLES, ServerProcess
from starlette.testclient import TestClient

from tether.api.guards import exposure_warning
from tether.graphs import GraphConfigError, WebhookSettings, read_webhook_settings
from tether.services.webhook_policy import PinnedTransport, WebhookRefused, check_webhook
from tether.settings import Settings


def project_with(tmp_path: Path, **sections: object) -> Path:
    """A langgraph.json of the example graphs plus `sections` (`webhooks`, `http`)."""
    raw = json.loads(EXAMPLES.read_text())
    graphs = {name: str(EXAMPLES.parent / path) for name, path in raw["graphs"].items()}
    config = tmp_path / "langgraph.json"
    config.write_text(json.dumps({"graphs": graphs, **sections}))
    return config


# -- Webhooks ------------------------------------------------------------------------------

REFUSED_BY_DEFAULT = {
    "http://127.0.0.1:9/hook": "Webhook host blocked: loopback IP range",
    "http://127.1.2.3/": "Webhook host blocked: loopback IP range",
    "http://[::1]:9/": "Webhook host blocked: loopback IP range",
    "http://[::ffff:127.0.0.1]:9/": "Webhook host blocked: blocked IP range",
    "http://localhost:9/": "Webhook host blocked: localhost address",
    "http://LOCALHOST./": "Webhook host blocked: localhost address",
    "http://169.254.169.254/latest/meta-data": "Webhook host blocked: blocked IP range",
    "http://10.1.2.3/": "Webhook host blocked: private IP range",
    "http://192.168.0.10/": "Webhook host blocked: private IP range",
    "http://[fd00::1]/": "Webhook host blocked: private IP range",
    "http://user:pw@93.184.216.34/": "Webhook URL must not contain a user name or password",
    "/runs": "Relative webhook URLs are not supported",
    "ftp://93.184.216.34/": "Webhook host blocked: scheme 'ftp' not allowed",
    "ht!tp://": "Invalid webhook hostname ''",
    "http:///no-host": "Invalid webhook hostname ''",
    "http://93.184.216.34:99999/": "Invalid webhook URL",
    "http://name.invalid/": "Webhook host blocked: DNS resolution failed",
    "http://metadata.google.internal/": "Webhook host blocked: cloud metadata endpoint",
    "http://93.184.216.34/" + "a" * 5000: "Webhook URL too long",
}


@pytest.mark.parametrize(("url", "message"), REFUSED_BY_DEFAULT.items())
def test_default_webhook_policy_refuses_loopback_private_and_malformed_urls(
    url: str, message: str
) -> None:
    with pytest.raises(WebhookRefused) as refused:
        asyncio.run(check_webhook(url, WebhookSettings()))
    assert refused.value.status_code == 422
    assert refused.value.detail.startswith(message)


def test_a_name_is_checked_by_the_addresses_it_resolves_to() -> None:
    # This machine's name resolves to one of its own addresses: loopback or private.
    with pytest.raises(WebhookRefused) as refused:
        asyncio.run(check_webhook(f"http://{socket.gethostname()}/", WebhookSettings()))
    assert refused.value.detail.startswith(
        ("Webhook host blocked: loopback IP range", "Webhook host blocked: private IP range")
    )


def test_default_webhook_policy_accepts_a_public_address() -> None:
    asyncio.run(check_webhook("http://93.184.216.34/hook?x=1", WebhookSettings()))


def test_webhook_settings_follow_langgraph_json() -> None:
    read = read_webhook_settings
    # A `url` policy makes https the default, as the official server does.
    strict = read({"webhooks": {"url": {}}}, {})
    with pytest.raises(WebhookRefused, match="Webhook must use https"):
        asyncio.run(check_webhook("http://93.184.216.34/", strict))
    domains = read({"webhooks": {"url": {"allowed_domains": ["hooks.example", "*.corp"]}}}, {})
    with pytest.raises(WebhookRefused, match="Webhook domain not allowed"):
        asyncio.run(check_webhook("https://93.184.216.34/", domains))
    with pytest.raises(WebhookRefused, match="Webhook domain not allowed"):
        asyncio.run(check_webhook("https://corp/", domains))  # the apex is not a subdomain
    ports = read({"webhooks": {"url": {"allowed_ports": [8443]}}}, {})
    with pytest.raises(WebhookRefused, match="Webhook port 443 not allowed"):
        asyncio.run(check_webhook("https://93.184.216.34/", ports))
    asyncio.run(check_webhook("https://93.184.216.34:8443/", ports))
    open_ = read(
        {
            "webhooks": {
                "url": {
                    "require_https": False,
                    "disable_loopback": False,
                    "disable_private_ips": False,
                }
            }
        },
        {},
    )
    for url in ("http://127.0.0.1:9/", "http://localhost:9/", "http://10.0.0.1/", "http://[::1]/"):
        asyncio.run(check_webhook(url, open_))
    with pytest.raises(WebhookRefused, match="blocked IP range"):
        asyncio.run(check_webhook("http://169.254.169.254/", open_))  # never


def test_webhook_headers_read_only_prefixed_variables() -> None:
    raw = {"webhooks": {"headers": {"Authorization": "Bearer ${{ env.LG_WEBHOOK_TOKEN }}"}}}
    settings = read_webhook_settings(raw, {"LG_WEBHOOK_TOKEN": "s3cret"})
    assert settings.headers == (("Authorization", "Bearer s3cret"),)
    leaky = {"webhooks": {"headers": {"X": "${{ env.DATABASE_PASSWORD }}"}}}
    with pytest.raises(GraphConfigError, match="LG_WEBHOOK_"):
        read_webhook_settings(leaky, {"DATABASE_PASSWORD": "x"})
    with pytest.raises(GraphConfigError, match="allowed_domains"):
        read_webhook_settings({"webhooks": {"url": {"allowed_domains": ["a.*.b"]}}}, {})


@pytest.mark.parametrize("route", ["thread run", "stateless run", "cron", "cron update"])
def test_a_refused_webhook_is_a_422_when_the_run_or_cron_is_created(
    app_client: TestClient, route: str
) -> None:
    client = app_client
    thread_id = client.post("/threads", json={}).json()["thread_id"]
    body = {"assistant_id": "trivial", "input": {}, "webhook": "http://127.0.0.1:9/"}
    if route == "thread run":
        response = client.post(f"/threads/{thread_id}/runs", json=body)
    elif route == "stateless run":
        response = client.post("/runs/wait", json=body)
    elif route == "cron":
        response = client.post("/runs/crons", json={**body, "schedule": "0 0 * * *"})
    else:
        cron = client.post("/runs/crons", json={"assistant_id": "trivial", "schedule": "0 0 * * *"})
        cron_id = cron.json()["cron_id"]
        response = client.patch(f"/runs/crons/{cron_id}", json={"webhook": body["webhook"]})
    assert response.status_code == 422
    assert response.json() == {"detail": "Webhook host blocked: loopback IP range"}
    assert client.get(f"/threads/{thread_id}/runs").json() == []


class _Receiver:
    """A real HTTP server on 127.0.0.1 that records what it is sent."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((self.path, dict(self.headers), body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver() -> Iterator[_Receiver]:
    r = _Receiver()
    yield r
    r.server.shutdown()


def test_sending_checks_the_address_again_and_keeps_the_host_name(receiver: _Receiver) -> None:
    async def send(url: str, settings: WebhookSettings) -> int:
        async with httpx.AsyncClient(transport=PinnedTransport(settings)) as client:
            return (await client.post(url, content=b"{}")).status_code

    # Queued under permissive settings, sent under the default: refused, nothing arrives.
    with pytest.raises(WebhookRefused, match="IP range"):
        asyncio.run(send(f"http://{socket.gethostname()}:{receiver.port}/", WebhookSettings()))
    with pytest.raises(WebhookRefused, match="localhost"):
        asyncio.run(send(f"http://localhost:{receiver.port}/hook", WebhookSettings()))
    assert receiver.requests == []
    allowed = WebhookSettings(disable_loopback=False)
    assert asyncio.run(send(f"http://localhost:{receiver.port}/hook?x=1", allowed)) == 200
    path, headers, _ = receiver.requests[0]
    assert path == "/hook?x=1" and headers["Host"] == f"localhost:{receiver.port}"


def test_webhook_headers_and_allowed_fields_shape_the_delivery(
    make_app_client: Callable[..., TestClient],
    receiver: _Receiver,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LG_WEBHOOK_TOKEN", "s3cret")
    config = project_with(
        tmp_path,
        webhooks={
            "url": {"require_https": False, "disable_loopback": False},
            "headers": {"Authorization": "Bearer ${{ env.LG_WEBHOOK_TOKEN }}"},
            "allowed_fields": ["run_id", "status"],
        },
    )
    client = make_app_client(config)
    thread_id = client.post("/threads", json={}).json()["thread_id"]
    hook = f"http://127.0.0.1:{receiver.port}/hook"
    run = client.post(
        f"/threads/{thread_id}/runs/wait",
        json={"assistant_id": "trivial", "input": {}, "webhook": hook},
    )
    assert run.status_code == 200
    run_id = client.get(f"/threads/{thread_id}/runs").json()[0]["run_id"]
    assert asyncio.run(_wait_for(lambda: bool(receiver.requests)))
    _, headers, body = receiver.requests[0]
    assert headers["Authorization"] == "Bearer s3cret"
    assert json.loads(body) == {"run_id": run_id, "status": "success"}


async def _wait_for(condition: Callable[[], bool], within: float = 15.0) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not condition():
        if loop.time() > deadline:
            return False
        await asyncio.sleep(0.02)
    return True


# -- Host and CORS -------------------------------------------------------------------------


def test_a_request_for_another_host_name_is_refused(app_client: TestClient) -> None:
    rebinding = app_client.get("/threads/search", headers={"Host": "evil.example:2024"})
    assert rebinding.status_code == 400
    assert "evil.example" in rebinding.json()["detail"]
    assert app_client.post("/threads", headers={"Host": "evil.example"}).status_code == 400
    for host in (
        "127.0.0.1:2024",
        "localhost:2024",
        "[::1]:2024",
        "192.168.1.5:2024",
        "a.localhost",
    ):
        assert app_client.get("/ok", headers={"Host": host}).status_code == 200, host


def test_allowed_hosts_names_the_server(make_app_client: Callable[..., TestClient]) -> None:
    client = make_app_client(allowed_hosts="tether.example, api.example")
    assert client.get("/ok", headers={"Host": "tether.example"}).status_code == 200
    assert client.get("/ok", headers={"Host": "API.example:443"}).status_code == 200
    assert client.get("/ok", headers={"Host": "evil.example"}).status_code == 400
    anything = make_app_client(allowed_hosts="*")
    assert anything.get("/ok", headers={"Host": "evil.example"}).status_code == 200


def _preflight(client: TestClient, origin: str) -> httpx.Response:
    return client.options(
        "/threads",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Private-Network": "true",
        },
    )


def test_cors_allows_loopback_pages_and_the_hosted_studio_only(app_client: TestClient) -> None:
    for origin in ("http://localhost:3000", "http://127.0.0.1:5173", "https://smith.langchain.com"):
        response = _preflight(app_client, origin)
        assert response.status_code == 200, origin
        assert response.headers["access-control-allow-origin"] == origin
        assert response.headers["access-control-allow-private-network"] == "true"
    refused = _preflight(app_client, "https://evil.example")
    assert refused.status_code == 400
    assert "access-control-allow-origin" not in refused.headers
    read = app_client.get("/threads/search", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in read.headers


def test_a_page_of_another_origin_cannot_change_anything(app_client: TestClient) -> None:
    # A browser sends a text/plain POST cross-origin without asking first.
    evil = app_client.post(
        "/threads",
        content=b"{}",
        headers={"Origin": "https://evil.example", "Content-Type": "text/plain"},
    )
    assert evil.status_code == 403
    assert app_client.post("/threads/count", json={}).json() == 0
    studio = app_client.post("/threads", json={}, headers={"Origin": "https://smith.langchain.com"})
    assert studio.status_code == 200
    # The server's own pages (/docs) post with its own origin.
    own = app_client.post(
        "/threads",
        json={},
        headers={"Origin": "http://192.168.1.5:2024", "Host": "192.168.1.5:2024"},
    )
    assert own.status_code == 200


def test_cors_follows_http_cors_of_langgraph_json(
    make_app_client: Callable[..., TestClient], tmp_path: Path
) -> None:
    config = project_with(tmp_path, http={"cors": {"allow_origins": ["https://app.example"]}})
    client = make_app_client(config)
    assert _preflight(client, "https://app.example").status_code == 200
    assert _preflight(client, "http://localhost:3000").status_code == 400
    open_config = project_with(tmp_path, http={"cors": {"allow_origins": ["*"]}})
    anyone = make_app_client(open_config)
    assert _preflight(anyone, "https://evil.example").headers["access-control-allow-origin"] == "*"
    bad = project_with(tmp_path, http={"cors": {"allow_origin": ["typo"]}})
    with pytest.raises(GraphConfigError, match="allow_origin"):
        make_app_client(bad)


def test_listening_beyond_loopback_without_auth_warns() -> None:
    warning = exposure_warning(Settings(host="0.0.0.0"), {})
    assert warning is not None and "every network interface" in warning
    assert exposure_warning(Settings(host="192.168.1.5"), {}) is not None
    assert exposure_warning(Settings(host="0.0.0.0"), {"auth": {"path": "a.py:auth"}}) is None
    assert exposure_warning(Settings(host="127.0.0.1"), {}) is None
    assert exposure_warning(Settings(host="::1"), {}) is None


# -- Body size -----------------------------------------------------------------------------


def test_a_body_over_the_limit_gets_413_before_it_is_read(
    make_app_client: Callable[..., TestClient],
) -> None:
    client = make_app_client(max_body_bytes=1000)
    big = json.dumps({"metadata": {"a": "x" * 2000}}).encode()
    response = client.post("/threads", content=big, headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert "more than 1000 bytes" in response.json()["detail"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        yield b'{"metadata": {"a": "'
        for _ in range(10):
            yield b"x" * 200
        yield b'"}}'

    chunked = client.post(
        "/threads", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert chunked.status_code == 413
    assert client.post("/threads/count", json={}).json() == 0
    small = client.post("/threads", json={"metadata": {"a": "x" * 100}})
    assert small.status_code == 200


def test_serve_on_every_interface_without_auth_prints_a_loud_warning(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "data", command="serve", args=["--host", "0.0.0.0"])
    server.start(timeout=90)
    try:
        assert httpx.get(f"{server.url}/ok").status_code == 200
        assert "WARNING: tether listens on every network interface" in server.log()
    finally:
        server.stop()
