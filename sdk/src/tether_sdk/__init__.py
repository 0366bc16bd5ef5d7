"""tether_sdk: a Python client for Tether and any LangGraph Agent Server.

A drop-in replacement for ``langgraph-sdk``: change ``from langgraph_sdk import get_client``
to ``from tether_sdk import get_client``. Streams that drop are resumed from the last
event delivered, with no event lost or delivered twice.

Example:
    ```python
    from tether_sdk import get_client

    client = get_client(url="http://localhost:2024")
    async for part in client.runs.stream(None, "agent", input={"delay": 0.1}):
        print(part.event, part.data)
    ```
"""

from tether_sdk._async.assistants import AssistantsClient
from tether_sdk._async.client import LangGraphClient, get_client
from tether_sdk._async.crons import CronClient
from tether_sdk._async.http import HttpClient
from tether_sdk._async.runs import RunsClient
from tether_sdk._async.store import StoreClient
from tether_sdk._async.thread_stream import ThreadStream
from tether_sdk._async.threads import ThreadsClient
from tether_sdk._core.resume import ReconnectPolicy
from tether_sdk._core.thread_stream import ProtocolError
from tether_sdk._errors import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    LangGraphError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    StreamResumeError,
    UnprocessableEntityError,
)
from tether_sdk._schema import StreamPart
from tether_sdk._sync.assistants import SyncAssistantsClient
from tether_sdk._sync.client import SyncLangGraphClient, get_sync_client
from tether_sdk._sync.crons import SyncCronClient
from tether_sdk._sync.http import SyncHttpClient
from tether_sdk._sync.runs import SyncRunsClient
from tether_sdk._sync.store import SyncStoreClient
from tether_sdk._sync.thread_stream import SyncThreadStream
from tether_sdk._sync.threads import SyncThreadsClient
from tether_sdk._version import __version__

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AssistantsClient",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "CronClient",
    "HttpClient",
    "InternalServerError",
    "LangGraphClient",
    "LangGraphError",
    "NotFoundError",
    "PermissionDeniedError",
    "ProtocolError",
    "RateLimitError",
    "ReconnectPolicy",
    "RunsClient",
    "StoreClient",
    "StreamPart",
    "StreamResumeError",
    "SyncAssistantsClient",
    "SyncCronClient",
    "SyncHttpClient",
    "SyncLangGraphClient",
    "SyncRunsClient",
    "SyncStoreClient",
    "SyncThreadStream",
    "SyncThreadsClient",
    "ThreadStream",
    "ThreadsClient",
    "UnprocessableEntityError",
    "__version__",
    "get_client",
    "get_sync_client",
]
