"""The conformance suite drives Tether with the official `langgraph_sdk`, sync and async.

Every test is written once, against `client`, and runs twice: with `get_client` (async) and with
`get_sync_client` (each blocking call made on a worker thread so the test can still await it).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator, Iterator
from typing import Any

import pytest
from langgraph_sdk import get_client, get_sync_client

from .support import SDK_TIMEOUT, Client

_LOG_START = pytest.StashKey[tuple[Any, int]]()


@pytest.fixture(autouse=True)
def _mark_server_log(request: pytest.FixtureRequest, tether_server: Any) -> Iterator[None]:
    """Remember where the shared server's log stood, to show what it logged if the test fails."""
    request.node.stash[_LOG_START] = (tether_server, len(tether_server.log()))
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, None]:
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed and _LOG_START in item.stash:
        server, start = item.stash[_LOG_START]
        logged = server.log()[start:]
        if logged.strip():
            report.sections.append(("tether server log during the test", logged[-8000:]))


@pytest.fixture(params=["async", "sync"])
async def client(request: pytest.FixtureRequest, tether_url: str) -> AsyncIterator[Client]:
    if request.param == "async":
        sdk = get_client(url=tether_url, api_key=None, timeout=SDK_TIMEOUT)
        yield Client(sdk, "async")
        await sdk.aclose()
    else:
        sync_sdk = get_sync_client(url=tether_url, api_key=None, timeout=SDK_TIMEOUT)
        yield Client(sync_sdk, "sync")
        sync_sdk.close()


@pytest.fixture
async def thread(client: Client) -> dict[str, Any]:
    """A thread of this test's own (the server is shared by the whole session)."""
    return await client.threads.create(metadata={"test": "conformance"})  # type: ignore[no-any-return]
