"""Makes docs/ui.png, the README's picture of the web UI: starts `tether dev` on the example
graphs (a fresh data folder, a free port), drives the UI in headless Chromium as a user would
(start a run of `hitl`, answer its interrupt, start another) and photographs the thread.

    uv run --frozen python docs/ui_screenshot.py
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import expect, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "docs" / "ui.png"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> None:
    chromium = shutil.which("chromium")
    if chromium is None:
        raise SystemExit("needs Chromium: apt-get install -y chromium")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as data:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tether",
                "dev",
                "--no-reload",
                "--config",
                str(ROOT / "examples" / "langgraph.json"),
                "--port",
                str(port),
                "--data-dir",
                data,
                "--log-level",
                "warning",
            ],
            stdout=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{url}/ok").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit("the server did not start")
                time.sleep(0.1)
            with sync_playwright() as driver:
                browser = driver.chromium.launch(executable_path=chromium)
                page = browser.new_page(viewport={"width": 1360, "height": 1020})
                page.set_default_timeout(20_000)
                page.goto(f"{url}/ui")
                page.locator('[data-assistant="hitl"]').click()
                page.fill("#run-input", '{"counter": 1}')
                page.click("#run-start")
                expect(page.locator("#resume-form")).to_be_visible()
                page.fill("#resume-value-0", '{"approved": true}')
                page.click("#resume-submit")
                expect(page.locator("#thread-status")).to_have_text("idle")
                page.click("#new-run-button")
                page.fill("#run-input", '{"counter": 2}')
                page.click("#run-start")
                expect(page.locator("#resume-form")).to_be_visible()
                expect(page.locator("#stream-state")).to_have_text("ended")
                expect(page.locator("#runs tbody tr")).to_have_count(3)
                page.fill("#resume-value-0", '{"approved": false, "reason": "needs a second look"}')
                page.locator('#events [data-event="updates"]').first.locator("summary").click()
                page.mouse.move(0, 0)
                page.screenshot(path=str(OUTPUT))
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(f"wrote {OUTPUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
