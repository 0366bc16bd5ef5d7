"""The thread-centric protocol (v3) without I/O: command envelopes, stream bodies, and the
cursor that makes a followed stream exactly-once across reconnects.

Every event carries a ``seq`` that grows along the thread's log; a stream opened again
with ``since=<last seq delivered>`` continues right after it. :class:`EventCursor` keeps
that position and drops anything at or below it, so a reconnect neither repeats nor skips.

An event stream is either SSE (``POST /threads/{id}/stream/events``) or a WebSocket on the
same path that takes one ``subscription.subscribe`` command and then sends the events, one
JSON object a frame; commands go over HTTP either way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from tether_sdk._errors import APIStatusError, status_error

ALL_CHANNELS = [
    "values",
    "updates",
    "messages",
    "tools",
    "lifecycle",
    "input",
    "checkpoints",
    "tasks",
    "custom",
]
_ROOT_ENDS = ("completed", "failed", "interrupted")


class ProtocolError(RuntimeError):
    """A command the server answered with a protocol error (``{"type": "error"}``).

    The message reads ``Protocol error [<code>]: <message>``, as langgraph-sdk's.

    Attributes:
        code: The protocol error code, e.g. ``no_such_interrupt``.
        message: The server's explanation.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"Protocol error [{code}]: {message}")
        self.code = code
        self.message = message


class CommandIds:
    """Command ids, counting up from 1 for each thread stream."""

    def __init__(self) -> None:
        self._next = 1

    def command(self, method: str, params: Mapping[str, Any] | None) -> dict[str, Any]:
        """The envelope of the next command."""
        body = {"id": self._next, "method": method, "params": dict(params or {})}
        self._next += 1
        return body


def command_result(response: Any) -> tuple[dict[str, Any], int | None]:
    """``(result, applied_through_seq)`` of a command response; raises ProtocolError."""
    if not isinstance(response, dict):
        raise ProtocolError("unknown_error", "The server sent no command response.")
    if response.get("type") == "error":
        raise ProtocolError(str(response.get("error")), str(response.get("message", "")))
    meta = response.get("meta")
    applied = meta.get("applied_through_seq") if isinstance(meta, dict) else None
    result = response.get("result")
    return (
        dict(result) if isinstance(result, dict) else {},
        applied if isinstance(applied, int) and applied > 0 else None,
    )


def stream_body(
    channels: Sequence[str],
    namespaces: Sequence[Sequence[str]] | None,
    depth: int | None,
    since: int | None,
) -> dict[str, Any]:
    """The JSON body of ``POST /threads/{id}/stream/events``."""
    body: dict[str, Any] = {"channels": list(channels)}
    if namespaces is not None:
        body["namespaces"] = [list(ns) for ns in namespaces]
    if depth is not None:
        body["depth"] = depth
    if since is not None:
        body["since"] = since
    return body


#: The id of the one command a thread-stream WebSocket gets: its subscription.
SOCKET_SUBSCRIBE_ID = 1

#: Handshake headers the WebSocket library writes itself (or that mean nothing there).
_NOT_FOR_HANDSHAKE = frozenset(
    {
        "host",
        "connection",
        "upgrade",
        "content-length",
        "content-type",
        "transfer-encoding",
        "accept",
        "accept-encoding",
        "keep-alive",
        "user-agent",
    }
)


def socket_url(base_url: httpx.URL, path: str) -> str:
    """The ``ws://`` (``wss://`` for https) URL of an API path, under the base URL's own
    path (a server mounted at ``/api``).

    Example:
        >>> socket_url(httpx.URL("https://h.example/api/"), "/threads/t/stream/events")
        'wss://h.example/api/threads/t/stream/events'
    """
    scheme = "wss" if base_url.scheme == "https" else "ws"
    full = base_url.path.rstrip("/") + "/" + path.lstrip("/")
    return str(base_url.copy_with(scheme=scheme, path=full, query=None))


def socket_headers(
    client: httpx.AsyncClient | httpx.Client, url: str, session: Mapping[str, str]
) -> list[tuple[str, str]]:
    """The handshake's headers: the client's own (``x-api-key``, ``Authorization``...) and
    the stream's, these winning, less those the WebSocket handshake makes itself; and the
    client's cookies for ``url``, as httpx would send them."""
    merged = {name.lower(): value for name, value in client.headers.items()}
    merged.update({name.lower(): value for name, value in session.items()})
    if client.cookies:
        # httpx applies the jar's domain and path rules to a request of that URL.
        request = httpx.Request("GET", url.replace("ws", "http", 1))
        client.cookies.set_cookie_header(request)
        if "cookie" in request.headers:
            merged["cookie"] = request.headers["cookie"]
    return [(name, value) for name, value in merged.items() if name not in _NOT_FOR_HANDSHAKE]


def handshake_error(response: Any, url: str) -> APIStatusError:
    """The SDK's status error for a WebSocket handshake the server refused (``response``:
    the WebSocket library's, with ``status_code``, ``headers`` and ``body``)."""
    as_http = httpx.Response(
        response.status_code,
        headers=list(response.headers.raw_items()),
        request=httpx.Request("GET", url.replace("ws", "http", 1)),
    )
    return status_error(as_http, bytes(response.body or b""))


def socket_subscribe(body: Mapping[str, Any]) -> dict[str, Any]:
    """The command a thread-stream WebSocket opens with: subscribe to ``body``'s events."""
    return {"id": SOCKET_SUBSCRIBE_ID, "method": "subscription.subscribe", "params": dict(body)}


def socket_frame(frame: Any) -> dict[str, Any] | None:
    """An event of a WebSocket frame (already JSON-decoded), or None for the answer to the
    subscription; raises ProtocolError when the server refused the subscription."""
    if not isinstance(frame, dict):
        raise ProtocolError("unknown_error", "The server sent a frame that is not an object.")
    if "method" in frame:
        return frame
    command_result(frame)  # an error answer raises
    return None


class EventCursor:
    """Where a followed stream is: the ``seq`` of the last event delivered.

    Example:
        >>> cursor = EventCursor(None)
        >>> [cursor.accept({"seq": s}) for s in (5, 7, 7, 6, 9)]
        [True, True, False, False, True]
        >>> cursor.since
        9
    """

    def __init__(self, since: int | None) -> None:
        self.since = since

    def accept(self, event: Any) -> bool:
        """Whether ``event`` is new (and, if so, move past it)."""
        seq = event.get("seq") if isinstance(event, dict) else None
        if not isinstance(seq, int):
            return False
        if self.since is not None and seq <= self.since:
            return False
        self.since = seq
        return True


def root_end(event: Any) -> str | None:
    """``completed``, ``failed`` or ``interrupted`` when ``event`` ends a run; else None."""
    if not isinstance(event, dict) or event.get("method") != "lifecycle":
        return None
    params = event.get("params") or {}
    data = params.get("data") or {}
    if params.get("namespace") or not isinstance(data, dict):
        return None
    end = data.get("event")
    return end if end in _ROOT_ENDS else None


def interrupt_of(event: Any) -> dict[str, Any] | None:
    """``{"interrupt_id", "value", "namespace"}`` of an ``input.requested`` event."""
    if not isinstance(event, dict) or event.get("method") != "input.requested":
        return None
    params = event.get("params") or {}
    data = params.get("data") or {}
    if not isinstance(data, dict) or not isinstance(data.get("interrupt_id"), str):
        return None
    value = data["payload"] if "payload" in data else data.get("value")
    return {
        "interrupt_id": data["interrupt_id"],
        "value": value,
        "namespace": list(params.get("namespace") or []),
    }
