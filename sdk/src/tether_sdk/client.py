"""The clients, under the module name langgraph-sdk uses (``langgraph_sdk.client``)."""

from tether_sdk._async.assistants import AssistantsClient
from tether_sdk._async.client import LangGraphClient, get_client
from tether_sdk._async.crons import CronClient
from tether_sdk._async.http import HttpClient
from tether_sdk._async.runs import RunsClient
from tether_sdk._async.store import StoreClient
from tether_sdk._async.threads import ThreadsClient
from tether_sdk._core.resume import ReconnectPolicy
from tether_sdk._sync.assistants import SyncAssistantsClient
from tether_sdk._sync.client import SyncLangGraphClient, get_sync_client
from tether_sdk._sync.crons import SyncCronClient
from tether_sdk._sync.http import SyncHttpClient
from tether_sdk._sync.runs import SyncRunsClient
from tether_sdk._sync.store import SyncStoreClient
from tether_sdk._sync.threads import SyncThreadsClient

__all__ = [
    "AssistantsClient",
    "CronClient",
    "HttpClient",
    "LangGraphClient",
    "ReconnectPolicy",
    "RunsClient",
    "StoreClient",
    "SyncAssistantsClient",
    "SyncCronClient",
    "SyncHttpClient",
    "SyncLangGraphClient",
    "SyncRunsClient",
    "SyncStoreClient",
    "SyncThreadsClient",
    "ThreadsClient",
    "get_client",
    "get_sync_client",
]
