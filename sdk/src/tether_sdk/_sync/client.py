# Generated from tether_sdk/_async/client.py by tests/sdk/unasync.py; do not edit.
# Edit the async module, then run: uv run python tests/sdk/unasync.py
"""The top-level sync client and its factory."""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType

import httpx

from tether_sdk._core.resume import ReconnectPolicy
from tether_sdk._core.settings import (
    DEFAULT_URL,
    TRANSPORT_RETRIES,
    TimeoutTypes,
    client_headers,
    client_timeout,
)
from tether_sdk._core.wire import NOT_PROVIDED
from tether_sdk._sync.assistants import SyncAssistantsClient
from tether_sdk._sync.crons import SyncCronClient
from tether_sdk._sync.http import SyncHttpClient
from tether_sdk._sync.runs import SyncRunsClient
from tether_sdk._sync.store import SyncStoreClient
from tether_sdk._sync.threads import SyncThreadsClient


def get_sync_client(
    *,
    url: str | None = None,
    api_key: str | None = NOT_PROVIDED,
    headers: Mapping[str, str] | None = None,
    timeout: TimeoutTypes | None = None,
    reconnect: ReconnectPolicy | None = None,
) -> SyncLangGraphClient:
    """Create a client for a Tether server (or any LangGraph Agent Server).

    Args:
        url: The server's base URL; ``http://localhost:2024`` when ``None``.
        api_key: Sent as ``x-api-key``. By default the first non-empty of
            ``LANGGRAPH_API_KEY``, ``LANGSMITH_API_KEY`` and ``LANGCHAIN_API_KEY``;
            ``None`` sends no key and ignores the environment.
        headers: Headers for every request (``x-api-key`` is reserved: use ``api_key``).
        timeout: An ``httpx.Timeout``, seconds for all phases, or a
            ``(connect, read, write, pool)`` tuple. Default: 5 s to connect, 300 s to
            read or write, 5 s to get a pooled connection.
        reconnect: How dropped streams and long-polls are retried (Tether extension).

    Returns:
        A client with ``assistants``, ``threads``, ``runs``, ``crons`` and ``store``.

    Example:
        ```python
        from tether_sdk import get_sync_client

        with get_sync_client(url="http://localhost:2024") as client:
            thread = client.threads.create()
            for part in client.runs.stream(thread["thread_id"], "agent", input={}):
                print(part.event)
        ```
    """
    client = httpx.Client(
        base_url=DEFAULT_URL if url is None else url,
        transport=httpx.HTTPTransport(retries=TRANSPORT_RETRIES),
        timeout=client_timeout(timeout),
        headers=client_headers(api_key, headers),
    )
    return SyncLangGraphClient(client, reconnect=reconnect)


class SyncLangGraphClient:
    """The API of a server, one attribute per resource.

    Attributes:
        http: The HTTP layer shared by the resources.
        assistants: Graphs with saved configurations.
        threads: Conversations and their state.
        runs: Executions of an assistant.
        crons: Scheduled runs.
        store: Long-term documents.

    Use it as a context manager, or call ``close()``, to release connections.

    Example:
        ```python
        import httpx
        from tether_sdk import SyncLangGraphClient

        client = SyncLangGraphClient(httpx.Client(base_url="http://localhost:2024"))
        ```
    """

    def __init__(self, client: httpx.Client, *, reconnect: ReconnectPolicy | None = None) -> None:
        self.http = SyncHttpClient(client, reconnect=reconnect)
        self.assistants = SyncAssistantsClient(self.http)
        self.threads = SyncThreadsClient(self.http)
        self.runs = SyncRunsClient(self.http)
        self.crons = SyncCronClient(self.http)
        self.store = SyncStoreClient(self.http)

    def __enter__(self) -> SyncLangGraphClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the underlying HTTP client and its connections."""
        self.http.client.close()
