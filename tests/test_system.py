"""System endpoints and the command line."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
from conftest import EXAMPLES, free_port, wait_until


def test_ok_info_metrics_openapi_docs(tether_url: str) -> None:
    assert httpx.get(f"{tether_url}/ok").json() == {"ok": True, "services": {}}
    info = httpx.get(f"{tether_url}/info").json()
    assert info["flags"]["assistants"] is True and info["langgraph_py_version"]
    metrics = httpx.get(f"{tether_url}/metrics")
    assert metrics.headers["content-type"].startswith("text/plain")
    assert "tether_runs_pending " in metrics.text and "tether_workers_max " in metrics.text
    as_json = httpx.get(f"{tether_url}/metrics", params={"format": "json"}).json()
    assert set(as_json) == {"queue", "workers"}
    spec = httpx.get(f"{tether_url}/openapi.json").json()
    assert "/threads/{thread_id}/runs/{run_id}/stream" in spec["paths"]
    assert httpx.get(f"{tether_url}/docs").status_code == 200


#: The content types an asset of a docs page must be served with, by file extension.
ASSET_TYPES = {
    ".js": ("text/javascript", "application/javascript"),
    ".css": ("text/css",),
    ".png": ("image/png",),
    ".json": ("application/json",),
}


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_pages_load_every_asset_from_the_server_itself(tether_url: str, page: str) -> None:
    response = httpx.get(f"{tether_url}{page}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text

    absolute = re.findall(r"(?:https?:)?//[^\s\"'<>]+", html)
    assert [url for url in absolute if urlsplit(url).netloc != urlsplit(tether_url).netloc] == []
    assets = re.findall(r'(?:src|href|spec-url)="([^"]+)"', html)
    assets += re.findall(r"url: '([^']+)'", html)  # Swagger UI's spec URL
    assert {url.rsplit(".", 1)[-1] for url in assets} >= {"js", "json", "png"}
    for url in assets:
        asset = httpx.get(urljoin(f"{tether_url}{page}", url))
        assert asset.status_code == 200, url
        extension = "." + urlsplit(url).path.rsplit(".", 1)[-1]
        assert asset.headers["content-type"].startswith(ASSET_TYPES[extension]), url
        assert asset.content, url


def test_cors_preflight_answers_pages_of_this_machine(tether_url: str) -> None:
    response = httpx.options(
        f"{tether_url}/threads",
        headers={"Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST"},
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "http://localhost:3000"


def test_unknown_route_is_a_json_404(tether_url: str) -> None:
    response = httpx.get(f"{tether_url}/nope")
    assert response.status_code == 404 and response.json() == {"detail": "Not Found"}


def test_dev_refuses_a_taken_port_with_one_clear_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "tether",
                "dev",
                "--config",
                str(EXAMPLES),
                "--port",
                str(port),
                "--data-dir",
                str(tmp_path),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode != 0
    assert (
        result.stderr.strip()
        == f"tether: port {port} on 127.0.0.1 is already in use; choose another with --port"
    )


def test_help_lists_the_commands() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tether", "--help"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0
    for command in ("dev", "serve", "migrate"):
        assert command in result.stdout
    dev = subprocess.run(
        [sys.executable, "-m", "tether", "dev", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    for flag in ("--config", "--host", "--port", "--data-dir", "--workers"):
        assert flag in dev.stdout


def test_missing_config_is_a_clear_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "tether",
            "dev",
            "--config",
            str(tmp_path / "nope.json"),
            "--port",
            "0",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "Config file not found" in result.stderr


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/ok", timeout=1.0).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.mark.parametrize("command", ["serve", "dev"])
def test_ctrl_c_stops_the_server_cleanly_with_a_run_in_flight(tmp_path: Path, command: str) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "out.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tether",
                command,
                "--config",
                str(EXAMPLES),
                "--port",
                str(port),
                "--data-dir",
                str(tmp_path / "data"),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until(lambda: process.poll() is not None or _answers(url), "the server")
        assert process.poll() is None, log_path.read_text()
        thread_id = httpx.post(f"{url}/threads", json={}).json()["thread_id"]
        run = httpx.post(
            f"{url}/threads/{thread_id}/runs",
            json={"assistant_id": "ticker", "input": {"n_events": 1000, "delay": 0.05}},
        ).json()
        run_url = f"{url}/threads/{thread_id}/runs/{run['run_id']}"
        wait_until(lambda: httpx.get(run_url).json()["status"] == "running", "a running run")

        process.send_signal(signal.SIGINT)
        returncode = process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    output = log_path.read_text()
    assert returncode == 0, output
    assert "Traceback" not in output and "KeyboardInterrupt" not in output, output
    listening = [line for line in output.splitlines() if line.startswith("tether: listening on")]
    if command == "serve":
        assert listening == [f"tether: listening on {url}"], output
        assert "API:" not in output
    else:
        assert listening == [], output
        assert f"  API:    {url}" in output.splitlines(), output
