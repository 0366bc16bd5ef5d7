"""Server-sent event decoding, under the module name langgraph-sdk uses (``langgraph_sdk.sse``).

``EventStreamDecoder`` is the sans-I/O entry point: feed it bytes, get events.
"""

from tether_sdk._async.http import aiter_lines_raw
from tether_sdk._schema import StreamPart
from tether_sdk._sse import BytesLineDecoder, EventStreamDecoder, ServerSentEvent, SSEDecoder
from tether_sdk._sync.http import iter_lines_raw

__all__ = [
    "BytesLineDecoder",
    "EventStreamDecoder",
    "SSEDecoder",
    "ServerSentEvent",
    "StreamPart",
    "aiter_lines_raw",
    "iter_lines_raw",
]
