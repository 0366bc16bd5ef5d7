"""Reconnect and resume decisions for streams and long-polls, without I/O.

A run stream answers with a ``Location`` header naming the URL that replays the same
run's events. When the connection drops, the client reconnects there with
``Last-Event-ID: <id of the last event it delivered>`` and the server continues after that
event. :class:`StreamSession` keeps that state for one logical stream across connections:
which request to send next, which events are new (never one twice), whether a clean close
needs a run-status check, and whether a drop can be resumed at all.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse, urlsplit, urlunsplit

import httpx

from tether_sdk._errors import StreamResumeError, status_error
from tether_sdk._schema import QueryParamTypes, StreamPart
from tether_sdk._sse import EventStreamDecoder, ServerSentEvent

_RUN_STREAM_PATH = re.compile(r"(.*/threads/[^/]+/runs/[^/]+)/stream")
_ORDERED_ID = re.compile(r"(\d+)(?:-(\d+))?")
_TERMINAL_EVENTS = ("end", "error")
_ACTIVE_RUN_STATUSES = ("pending", "running")


@dataclass(frozen=True)
class ReconnectPolicy:
    """How dropped streams and long-polls are retried.

    The delay before retry ``n`` (0-based) is ``min(max_delay, base_delay * 2**n)`` plus up
    to ``jitter`` times that, drawn with ``random`` (defaults: 1, 2, 4, 5, 5 s + ≤25 %).
    A retry that delivers at least one new event resets the count.

    Example:
        >>> from tether_sdk import ReconnectPolicy, get_client
        >>> client = get_client(url="http://localhost:2024", reconnect=ReconnectPolicy(max_attempts=10))
        >>> ReconnectPolicy(jitter=0).delay(2)
        4.0
    """

    max_attempts: int = 5
    base_delay: float = 1.0
    max_delay: float = 5.0
    jitter: float = 0.25
    random: Callable[[], float] = field(default=random.random, repr=False, compare=False)

    def delay(self, attempt: int) -> float:
        """Seconds to wait before retry number ``attempt`` (0-based)."""
        base = min(self.max_delay, self.base_delay * 2.0 ** min(attempt, 64))
        return base + base * self.jitter * self.random()


def validate_reconnect_location(base_url: httpx.URL, location: str) -> str:
    """Return ``location`` if it is relative or has the origin of ``base_url``.

    A reconnect carries the client's credentials, so a cross-origin ``Location`` is refused
    with ``ValueError``.
    """
    parsed = urlparse(location)
    if not parsed.scheme and not parsed.netloc:
        return location
    base_scheme = base_url.scheme
    base_origin = (base_scheme, base_url.host, base_url.port or _default_port(base_scheme))
    origin = (parsed.scheme, parsed.hostname or "", parsed.port or _default_port(parsed.scheme))
    if origin != base_origin:
        raise ValueError(
            f"Refusing to follow cross-origin reconnect Location: {location!r} "
            f"(origin {origin}) does not match base URL origin {base_origin}"
        )
    return location


def run_url_from_stream_location(location: str) -> str | None:
    """``…/threads/T/runs/R`` for a ``…/threads/T/runs/R/stream`` location, else ``None``."""
    url = urlsplit(location)
    if match := _RUN_STREAM_PATH.fullmatch(url.path):
        return str(urlunsplit((url.scheme, url.netloc, match[1], "", "")))
    return None


def is_retryable(error: BaseException) -> bool:
    """Whether a failed reconnect is worth another try (network error, 429 or 5xx)."""
    if isinstance(error, StreamResumeError):
        return False
    if isinstance(error, httpx.HTTPStatusError):
        status = error.response.status_code
        return status == 429 or status >= 500
    return isinstance(error, httpx.TransportError)


def run_check_cause(response: httpx.Response) -> Exception | None:
    """Why a stream that closed cleanly must be reconnected, from ``GET <run>``; ``None``
    when the run is over (or the check is inconclusive, which must not fail the stream)."""
    status = response.status_code
    if status == 429 or status >= 500:
        return status_error(response, response.content)
    if not response.is_success:
        return None
    try:
        run = response.json()
    except ValueError:
        return None
    if isinstance(run, dict) and run.get("status") in _ACTIVE_RUN_STATUSES:
        return httpx.TransportError("Stream closed while the run was still pending or running")
    return None


def event_id_key(event_id: str) -> tuple[int, int] | None:
    """``(ms, seq)`` for an ``<ms>-<seq>`` (or plain integer) id; ``None`` for other shapes."""
    if match := _ORDERED_ID.fullmatch(event_id):
        return int(match[1]), int(match[2] or 0)
    return None


class SeenEventIds:
    """Ids already delivered: ordered ids by high-water mark, others by equality."""

    def __init__(self) -> None:
        self._highest: tuple[int, int] | None = None
        self._others: set[str] = set()

    def __contains__(self, event_id: str) -> bool:
        key = event_id_key(event_id)
        if key is not None and self._highest is not None:
            return key <= self._highest
        return event_id in self._others

    def add(self, event_id: str) -> None:
        key = event_id_key(event_id)
        if key is None:
            self._others.add(event_id)
        elif self._highest is None or key > self._highest:
            self._highest = key


@dataclass(frozen=True, slots=True)
class PlannedRequest:
    """The next HTTP request of a stream."""

    method: str
    url: str
    headers: dict[str, str]
    content: bytes | None
    params: QueryParamTypes | None
    first: bool


class StreamSession:
    """State of one logical SSE stream across its connections (see the module docstring)."""

    def __init__(
        self,
        *,
        base_url: httpx.URL,
        method: str,
        path: str,
        headers: Mapping[str, str],
        content: bytes | None,
        params: QueryParamTypes | None,
        policy: ReconnectPolicy,
    ) -> None:
        self._base_url = base_url
        self._first = PlannedRequest(method, path, dict(headers), content, params, first=True)
        self._reconnect_headers = {
            name: value
            for name, value in headers.items()
            if name.lower() not in ("content-length", "content-type")
        }
        self._policy = policy
        self._location: str | None = None
        self._attempts = 0
        self._connections = 0
        self._seen = SeenEventIds()
        self._cursor = _header(headers, "last-event-id") or None
        if self._cursor:
            self._seen.add(self._cursor)
        self._cursor_from_server = False
        self._idless_since_cursor = False
        self._delivered = 0
        self._run_ended = False
        self._decoder = EventStreamDecoder()
        self._resuming = False
        self._skipping = False
        self._id_on_connection = False

    @property
    def delivered(self) -> int:
        """How many parts have been yielded so far."""
        return self._delivered

    def next_request(self) -> PlannedRequest:
        """The request for the next connection: the original one first, then a ``GET`` of
        the ``Location`` with ``Last-Event-ID`` set to the last delivered event."""
        if self._connections == 0:
            request = self._first
        else:
            assert self._location is not None  # reconnect_delay() raised otherwise
            headers = {
                name: value
                for name, value in self._reconnect_headers.items()
                if name.lower() != "last-event-id"
            }
            if self._cursor:
                headers["Last-Event-ID"] = self._cursor
            request = PlannedRequest("GET", self._location, headers, None, None, first=False)
        self._connections += 1
        self._decoder = EventStreamDecoder(last_event_id=self._cursor)
        self._resuming = bool(_header(request.headers, "last-event-id"))
        self._skipping = False
        self._id_on_connection = False
        return request

    def open(self, headers: httpx.Headers) -> None:
        """Check the head of a successful response and remember its ``Location``."""
        content_type = headers.get("content-type", "").partition(";")[0]
        if "text/event-stream" not in content_type:
            raise httpx.TransportError(
                "Expected response header Content-Type to contain 'text/event-stream', "
                f"got {content_type!r}"
            )
        if location := headers.get("location"):
            self._location = validate_reconnect_location(self._base_url, location)

    def feed(self, chunk: bytes) -> list[StreamPart]:
        """The new parts completed by ``chunk`` (duplicates of delivered events dropped)."""
        return self._admit(self._decoder.feed(chunk))

    def close(self) -> list[StreamPart]:
        """The parts left at a clean end of the response body."""
        return self._admit(self._decoder.close())

    def run_check(self) -> tuple[str, dict[str, str]] | None:
        """After a clean close: the run URL and headers to ask whether the run is still
        going, or ``None`` when the stream is simply over."""
        if self._location is None or self._run_ended:
            return None
        url = run_url_from_stream_location(self._location)
        if url is None:
            return None
        headers = {
            name: value
            for name, value in self._reconnect_headers.items()
            if name.lower() not in ("accept", "last-event-id")
        }
        headers["Accept"] = "application/json"
        return url, headers

    def reconnect_delay(self, cause: BaseException) -> float:
        """Seconds to wait before reconnecting after ``cause``; raises when the stream
        cannot be continued (``cause`` itself when nothing was delivered and there is
        nowhere to reconnect, ``StreamResumeError`` when events would be lost, or
        ``httpx.TransportError`` once the attempts are used up)."""
        if self._location is None:
            if self._delivered:
                raise StreamResumeError(
                    f"The stream dropped after {self._delivered} events and the server sent "
                    "no Location header to resume it from.",
                    last_event_id=self._cursor,
                ) from cause
            raise cause
        if self._delivered and (not self._cursor or self._idless_since_cursor):
            raise StreamResumeError(
                f"The stream dropped after {self._delivered} events, but "
                + (
                    "the last of them had no event id"
                    if self._cursor
                    else "the server sent no event ids (create the run with stream_resumable=True)"
                )
                + ", so it cannot be resumed without losing events.",
                last_event_id=self._cursor,
                location=self._location,
            ) from cause
        self._attempts += 1
        if self._attempts > self._policy.max_attempts:
            raise httpx.TransportError("Exceeded maximum SSE reconnection attempts") from cause
        return self._policy.delay(self._attempts - 1)

    def _admit(self, events: list[ServerSentEvent]) -> list[StreamPart]:
        parts = []
        for event in events:
            if event.id is not None:
                self._id_on_connection = True
                if not event.id:  # an empty id resets the cursor (SSE spec)
                    self._cursor, self._skipping = None, False
                elif event.id in self._seen:
                    self._skipping = True  # a replay of delivered events, ids and all
                    continue
                else:
                    self._seen.add(event.id)
                    self._cursor, self._skipping = event.id, False
                    self._cursor_from_server, self._idless_since_cursor = True, False
            elif self._skipping:
                continue
            if not (event.event or event.has_data):
                continue  # an id-only or retry-only block just moves the cursor
            if event.event == "error" and event.id is None:
                self._check_resume_refused(event)
            if event.id is None:
                self._idless_since_cursor = True
            self._delivered += 1
            self._attempts = 0
            self._run_ended |= event.event in _TERMINAL_EVENTS
            parts.append(event.to_stream_part())
        return parts

    def _check_resume_refused(self, event: ServerSentEvent) -> None:
        # Events of a resumable run carry ids; an id-less error opening a resumed
        # connection comes from the server itself: it cannot continue after our cursor.
        refused = self._resuming and (
            (self._cursor_from_server and self._connections > 1 and not self._id_on_connection)
            or "expired" in _error_text(event.data).lower()
        )
        if refused:
            raise StreamResumeError(
                f"The server cannot resume the stream after event {self._cursor!r}: "
                f"{_error_text(event.data) or 'error event'}",
                last_event_id=self._cursor,
                location=self._location,
            )


def _error_text(data: Any) -> str:
    if isinstance(data, dict):
        return ": ".join(str(data[key]) for key in ("error", "message") if data.get(key))
    return data if isinstance(data, str) else ""


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None


def _default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80
