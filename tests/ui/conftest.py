"""A real browser for the web UI's tests: the machine's Chromium (Debian's `chromium`),
driven by Playwright. Playwright's own browser download is never used."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright

#: How long the page may take to show what a test waits for (ms), on a busy machine too.
TIMEOUT_MS = 20_000
expect.set_options(timeout=TIMEOUT_MS)


def chromium_path() -> str:
    path = shutil.which("chromium")
    if path is None:
        pytest.fail(
            "the web UI tests need Chromium: `apt-get install -y chromium` (Debian's package;"
            " .ci/run installs it)",
            pytrace=False,
        )
    return path


# Module-scoped, not session-scoped: while Playwright's sync driver is open it keeps an
# event loop running in this thread, which every later asyncio test would trip over.
@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=chromium_path(), headless=True)
    yield browser
    browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context (its own local and session storage) and one page; any script
    error on the page fails the test."""
    context = browser.new_context(viewport={"width": 1360, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors: list[str] = []
    elsewhere: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "request",
        lambda request: (
            None if request.url.startswith("http://127.0.0.1:") else elsewhere.append(request.url)
        ),
    )
    yield page
    context.close()
    assert errors == [], f"script errors on the page: {errors}"
    assert elsewhere == [], f"the page loaded something from another host: {elsewhere}"
