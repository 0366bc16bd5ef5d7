"""The UI's routes, in process: the page for every path under /ui (deep links), its files,
and nothing that loads from another host."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tether.api import ui
from tether.ui import STATIC_DIR


@pytest.fixture
def client() -> TestClient:
    app = FastAPI()
    app.router.routes.extend(ui.router.routes)
    return TestClient(app, base_url="http://127.0.0.1")


@pytest.mark.parametrize("path", ["/ui", "/ui/", "/ui/threads/0193-x", "/ui/assistants/a?x=1"])
def test_every_page_path_serves_the_page(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="/ui/assets/app.js">' in response.text
    assert "default-src 'self'" in response.headers["content-security-policy"]


def test_the_page_names_the_servers_mount_point(client: TestClient) -> None:
    response = client.get("/ui/threads/x")
    assert '<meta name="tether-root" content="">' in response.text
    behind_proxy = TestClient(client.app, root_path="/agents", base_url="http://127.0.0.1")
    page = behind_proxy.get("/ui").text
    assert '<meta name="tether-root" content="/agents">' in page
    assert 'src="/agents/ui/assets/app.js"' in page


def test_assets_are_served_and_a_missing_one_is_404(client: TestClient) -> None:
    script = client.get("/ui/assets/app.js")
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    assert script.headers["cache-control"] == "no-cache"
    assert client.get("/ui/assets/nope.js").status_code == 404
    assert client.get("/ui/assets").status_code == 404


def test_every_module_the_ui_imports_is_shipped() -> None:
    assets = STATIC_DIR / "assets"
    scripts = list(assets.rglob("*.js"))
    assert scripts
    for script in scripts:
        for target in re.findall(r'from "(\.[^"]+)"', script.read_text()):
            assert (script.parent / target).resolve().is_file(), f"{script.name} imports {target}"


def test_nothing_is_loaded_from_another_host() -> None:
    for path in STATIC_DIR.rglob("*"):
        if path.suffix in {".html", ".js", ".css"}:
            text = path.read_text()
            assert not re.search(r"(src|href)=\"(https?:)?//", text), path
            assert not re.search(r"url\((\"|')?(https?:)?//", text), path
            assert "import(" not in text, path


def test_the_server_root_leads_to_the_ui(client: TestClient) -> None:
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == "/ui"
