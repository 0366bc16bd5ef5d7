"""The top-level async client and its factory."""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType

import httpx

from tether_sdk._async.assistants import AssistantsClient
from tether_sdk._async.crons import CronClient
from tether_sdk._async.http import HttpClient
from tether_sdk._async.runs import RunsClient
from tether_sdk._async.store import StoreClient
from tether_sdk._async.threads import ThreadsClient
from tether_sdk._core.resume import ReconnectPolicy
from tether_sdk._core.settings import (
    DEFAULT_URL,
    TRANSPORT_RETRIES,
    TimeoutTypes,
    client_headers,
    client_timeout,
)
from tether_sdk._core.wire import NOT_PROVIDED


def get_client(
    *,
    url: str | None = None,
    api_key: str | None = NOT_PROVIDED,
    headers: Mapping[str, str] | None = None,
    timeout: TimeoutTypes | None = None,
    reconnect: ReconnectPolicy | None = None,
) -> LangGraphClient:
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
        from tether_sdk import get_client

        async with get_client(url="http://localhost:2024") as client:
            thread = await client.threads.create()
            async for part in client.runs.stream(thread["thread_id"], "agent", input={}):
                print(part.event)
        ```
    """
    client = httpx.AsyncClient(
        base_url=DEFAULT_URL if url is None else url,
        transport=httpx.AsyncHTTPTransport(retries=TRANSPORT_RETRIES),
        timeout=client_timeout(timeout),
        headers=client_headers(api_key, headers),
    )
    return LangGraphClient(client, reconnect=reconnect)


class LangGraphClient:
    """The API of a server, one attribute per resource.

    Attributes:
        http: The HTTP layer shared by the resources.
        assistants: Graphs with saved configurations.
        threads: Conversations and their state.
        runs: Executions of an assistant.
        crons: Scheduled runs.
        store: Long-term documents.

    Use it as an async context manager, or call ``aclose()``, to release connections.

    Example:
        ```python
        import httpx
        from tether_sdk import LangGraphClient

        client = LangGraphClient(httpx.AsyncClient(base_url="http://localhost:2024"))
        ```
    """

    def __init__(
        self, client: httpx.AsyncClient, *, reconnect: ReconnectPolicy | None = None
    ) -> None:
        self.http = HttpClient(client, reconnect=reconnect)
        self.assistants = AssistantsClient(self.http)
        self.threads = ThreadsClient(self.http)
        self.runs = RunsClient(self.http)
        self.crons = CronClient(self.http)
        self.store = StoreClient(self.http)

    async def __aenter__(self) -> LangGraphClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the underlying HTTP client and its connections."""
        await self.http.client.aclose()
