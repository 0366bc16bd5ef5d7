"""Reconnect, resume and de-duplication of streams and long-polls, against a fake server.

The fake server (an ``httpx.MockTransport``) holds one run's event log and answers each
connection according to a script: deliver events up to some point, then cut the body
(``httpx.ReadError``) or close it cleanly, optionally replaying events the client already
has. Every test runs the async and the sync client alike.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
import pytest
import tether_sdk
from hypothesis import given, settings
from hypothesis import strategies as st
from sdk_helpers import ChunkedBody, run_async, run_sync, sse
from tether_sdk import ReconnectPolicy, StreamPart, StreamResumeError
from tether_sdk._core.resume import SeenEventIds, event_id_key

BASE_URL = "http://server.test"
RUN_PATH = "/threads/t1/runs/r1"
NO_DELAY = ReconnectPolicy(base_delay=0, max_delay=0)


def make_log(n: int, *, ids: bool = True) -> list[tuple[str, Any, str | None]]:
    """``n`` events whose ids cross digit boundaries ("999-2" < "1000-0" as numbers, not
    as strings), the first being ``metadata`` like on a real server."""
    log: list[tuple[str, Any, str | None]] = []
    for i in range(n):
        event_id = f"{998 + i // 3}-{i % 3}" if ids else None
        log.append(
            ("metadata", {"run_id": "r1"}, event_id) if i == 0 else ("custom", {"i": i}, event_id)
        )
    return log


@dataclass
class Connection:
    """How the server answers one stream request."""

    stop: int | None = None  # deliver events up to this log index (exclusive); None: all
    ending: str = "close"  # "cut": ReadError after the events; "close": clean close
    overlap: int = 0  # replay this many events before the client's cursor (a server bug)
    status: int = 200  # answer this status instead of a stream
    location: bool = True
    content_type: str = "text/event-stream; charset=utf-8"
    extra: bytes = b""  # raw bytes sent after the events


@dataclass
class FakeRunServer:
    log: list[tuple[str, Any, str | None]]
    script: list[Connection] = field(default_factory=list)
    requests: list[httpx.Request] = field(default_factory=list)
    location: str = f"{RUN_PATH}/stream"
    delivered_all: bool = False

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.method == "GET" and request.url.path == RUN_PATH:
            status = "success" if self.delivered_all else "running"
            return httpx.Response(200, json={"run_id": "r1", "status": status})
        conn = self.script.pop(0) if self.script else Connection()
        if conn.status != 200:
            return httpx.Response(conn.status, json={"detail": f"status {conn.status}"})
        start = self._start(request.headers.get("last-event-id"), conn.overlap)
        stop = len(self.log) if conn.stop is None else conn.stop
        self.delivered_all |= stop >= len(self.log)
        frames = [
            sse(event, orjson.dumps(data).decode(), event_id)
            for event, data, event_id in self.log[start:stop]
        ]
        headers = {"content-type": conn.content_type, "content-location": RUN_PATH}
        if conn.location:
            headers["location"] = self.location
        error = httpx.ReadError("connection reset") if conn.ending == "cut" else None
        return httpx.Response(
            200, headers=headers, stream=ChunkedBody([*_rechunk(frames), conn.extra], error)
        )

    def _start(self, cursor: str | None, overlap: int) -> int:
        ids = [event_id for _, _, event_id in self.log]
        after = ids.index(cursor) + 1 if cursor is not None and cursor in ids else 0
        return max(0, after - overlap)

    def stream_requests(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path != RUN_PATH]


def _rechunk(frames: list[bytes]) -> list[bytes]:
    # Cut the body at awkward places: in the middle of frames and of CRLFs.
    body = b"".join(frames)
    return [body[i : i + 7] for i in range(0, len(body), 7)]


Mode = str
MODES = ["async", "sync"]


def drive(
    mode: Mode,
    server: FakeRunServer,
    call: Callable[[Any], Any],
    policy: ReconnectPolicy = NO_DELAY,
) -> Any:
    """Run ``call`` on a fresh async or sync client wired to ``server``."""
    transport = httpx.MockTransport(server.handler)
    if mode == "async":

        async def main() -> Any:
            http = httpx.AsyncClient(base_url=BASE_URL, transport=transport)
            async with tether_sdk.LangGraphClient(http, reconnect=policy) as client:
                return await run_async(call, client)

        return asyncio.run(main())
    http_client = httpx.Client(base_url=BASE_URL, transport=transport)
    with tether_sdk.SyncLangGraphClient(http_client, reconnect=policy) as client:
        return run_sync(call, client)


def expected_parts(log: list[tuple[str, Any, str | None]]) -> list[StreamPart]:
    parts, last = [], None
    for event, data, event_id in log:
        last = event_id or last
        parts.append(StreamPart(event, data, last))
    return parts


def stream_run(client: Any) -> Any:
    return client.runs.stream("t1", "agent", input={"x": 1}, stream_mode=["custom"])


def join_run(client: Any) -> Any:
    return client.runs.join_stream("t1", "r1", stream_mode="custom")


@pytest.mark.parametrize("mode", MODES)
def test_stream_cut_mid_body_resumes_after_the_last_event(mode: Mode) -> None:
    log = make_log(8)
    server = FakeRunServer(log, [Connection(stop=3, ending="cut")])
    created: list[Any] = []

    def call(client: Any) -> Any:
        return client.runs.stream("t1", "agent", params={"q": "1"}, on_run_created=created.append)

    assert drive(mode, server, call) == expected_parts(log)
    first, second = server.stream_requests()
    assert (first.method, first.url.path, first.url.query) == (
        "POST",
        "/threads/t1/runs/stream",
        b"q=1",
    )
    assert (second.method, second.url.path, second.url.query) == ("GET", f"{RUN_PATH}/stream", b"")
    assert second.headers["last-event-id"] == log[2][2]
    assert second.headers["accept"] == "text/event-stream"
    assert "content-type" not in second.headers and second.content == b""
    assert created == [{"run_id": "r1", "thread_id": "t1"}]  # once, for the first response


@pytest.mark.parametrize("mode", MODES)
def test_replayed_overlap_is_never_yielded_twice(mode: Mode) -> None:
    log = make_log(9)
    script = [
        Connection(stop=4, ending="cut"),
        Connection(stop=7, ending="cut", overlap=3),  # replays 3 events the client has
        Connection(overlap=9),  # replays everything from the start
    ]
    server = FakeRunServer(log, script)
    assert drive(mode, server, stream_run) == expected_parts(log)


@pytest.mark.parametrize("mode", MODES)
def test_duplicate_event_within_one_connection_is_dropped(mode: Mode) -> None:
    # The official server can send one event twice at the switch from replay to live.
    log = make_log(4)
    duplicate = sse("custom", orjson.dumps(log[2][1]).decode(), log[2][2])
    server = FakeRunServer(log, [Connection(stop=3, ending="close", extra=duplicate)])
    server.delivered_all = False
    assert drive(mode, server, stream_run) == expected_parts(log)


@pytest.mark.parametrize("mode", MODES)
def test_clean_close_while_running_checks_status_then_resumes(mode: Mode) -> None:
    log = make_log(6)
    server = FakeRunServer(log, [Connection(stop=2, ending="close")])
    assert drive(mode, server, join_run) == expected_parts(log)
    calls = [(r.method, r.url.path, r.headers.get("last-event-id")) for r in server.requests]
    assert calls == [
        ("GET", f"{RUN_PATH}/stream", None),
        ("GET", RUN_PATH, None),  # still running: reconnect
        ("GET", f"{RUN_PATH}/stream", log[1][2]),
        ("GET", RUN_PATH, None),  # finished: done
    ]
    check = server.requests[1]
    assert check.headers["accept"] == "application/json"
    first = server.requests[0]
    assert first.url.query == b"cancel_on_disconnect=false&stream_mode=custom"


@pytest.mark.parametrize("mode", MODES)
def test_end_event_finishes_without_a_status_check(mode: Mode) -> None:
    log = [*make_log(3), ("end", None, None)]
    server = FakeRunServer(log)
    assert drive(mode, server, stream_run) == expected_parts(log)
    assert [r.url.path for r in server.requests] == ["/threads/t1/runs/stream"]


@pytest.mark.parametrize("mode", MODES)
def test_stateless_stream_closes_without_a_status_check(mode: Mode) -> None:
    log = make_log(3)
    server = FakeRunServer(log, location="/runs/r1/stream")
    assert drive(mode, server, lambda c: c.runs.stream(None, "agent")) == expected_parts(log)
    assert [r.url.path for r in server.requests] == ["/runs/stream"]


@pytest.mark.parametrize("mode", MODES)
def test_failed_reconnects_are_retried_and_progress_resets_the_count(mode: Mode) -> None:
    log = make_log(9)
    unavailable = Connection(status=503)
    script = [
        Connection(stop=2, ending="cut"),
        *[unavailable] * 4,
        Connection(stop=5, ending="cut"),
        *[unavailable] * 4,  # 4 + 4 failures: fine, because events came in between
        Connection(),
    ]
    server = FakeRunServer(log, script)
    assert drive(mode, server, stream_run) == expected_parts(log)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("failure", ["503", "connect", "cut-without-progress"])
def test_exceeding_reconnect_attempts_raises(mode: Mode, failure: str) -> None:
    log = make_log(5)
    server = FakeRunServer(log, [Connection(stop=2, ending="cut")])
    if failure == "503":
        server.script += [Connection(status=503)] * 10
    elif failure == "cut-without-progress":
        server.script += [Connection(stop=2, ending="cut")] * 10
    else:
        handler = server.handler

        def refusing(request: httpx.Request) -> httpx.Response:
            if server.requests:
                server.requests.append(request)
                raise httpx.ConnectError("connection refused", request=request)
            return handler(request)

        server.handler = refusing  # type: ignore[method-assign]
    parts: list[StreamPart] = []

    def call(client: Any) -> Any:
        return client.runs.stream("t1", "agent")

    with pytest.raises(
        httpx.TransportError, match="Exceeded maximum SSE reconnection attempts"
    ) as err:
        drive(mode, server, lambda c: _collect_into(parts, call(c)))
    assert isinstance(err.value.__cause__, httpx.HTTPError)
    assert parts == expected_parts(log[:2])
    assert len(server.requests) == 1 + ReconnectPolicy().max_attempts  # first, then 5 retries


def _collect_into(parts: list[StreamPart], iterator: Any) -> Any:
    if hasattr(iterator, "__aiter__"):

        async def collect() -> None:
            async for part in iterator:
                parts.append(part)

        return collect()
    parts.extend(iterator)
    return None


@pytest.mark.parametrize("mode", MODES)
def test_cut_without_location_after_events_raises_stream_resume_error(mode: Mode) -> None:
    log = make_log(5)
    server = FakeRunServer(log, [Connection(stop=2, ending="cut", location=False)])
    with pytest.raises(StreamResumeError, match="no Location header") as err:
        drive(mode, server, stream_run)
    assert err.value.last_event_id == log[1][2]
    assert isinstance(err.value.__cause__, httpx.ReadError)


@pytest.mark.parametrize("mode", MODES)
def test_cut_without_location_before_any_event_raises_the_network_error(mode: Mode) -> None:
    server = FakeRunServer(make_log(3), [Connection(stop=0, ending="cut", location=False)])
    with pytest.raises(httpx.ReadError):
        drive(mode, server, stream_run)


@pytest.mark.parametrize("mode", MODES)
def test_cut_of_a_stream_without_event_ids_raises_stream_resume_error(mode: Mode) -> None:
    server = FakeRunServer(make_log(5, ids=False), [Connection(stop=2, ending="cut")])
    with pytest.raises(StreamResumeError, match="stream_resumable=True"):
        drive(mode, server, stream_run)
    assert len(server.requests) == 1  # no reconnect that would silently lose events


@pytest.mark.parametrize("mode", MODES)
def test_cut_after_an_event_without_id_raises_stream_resume_error(mode: Mode) -> None:
    log = [*make_log(3), ("custom", {"late": True}, None), *make_log(2)]
    server = FakeRunServer(log, [Connection(stop=4, ending="cut")])
    with pytest.raises(StreamResumeError, match="had no event id"):
        drive(mode, server, stream_run)


@pytest.mark.parametrize("mode", MODES)
def test_clean_close_while_running_without_ids_raises_stream_resume_error(mode: Mode) -> None:
    server = FakeRunServer(make_log(5, ids=False), [Connection(stop=2, ending="close")])
    with pytest.raises(StreamResumeError):
        drive(mode, server, join_run)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "refusal",
    [
        b'event: error\r\ndata: {"error":"EventLogExpired","message":"log expired"}\r\n\r\n',
        b'event: error\r\ndata: {"error":"HTTPException","message":"404: Run not found"}\r\n\r\n',
    ],
)
def test_server_refusing_to_resume_raises_stream_resume_error(mode: Mode, refusal: bytes) -> None:
    log = make_log(5)
    server = FakeRunServer(
        log, [Connection(stop=2, ending="cut"), Connection(stop=0, extra=refusal)]
    )
    with pytest.raises(StreamResumeError, match="cannot resume the stream after event '998-1'"):
        drive(mode, server, stream_run)


@pytest.mark.parametrize("mode", MODES)
def test_run_error_event_is_yielded_not_raised(mode: Mode) -> None:
    log = [*make_log(3), ("error", {"error": "ValueError", "message": "boom from b"}, "1000-0")]
    server = FakeRunServer(log, [Connection(stop=2, ending="cut")])
    assert drive(mode, server, stream_run) == expected_parts(log)
    assert len(server.stream_requests()) == 2  # no status check after an error event


@pytest.mark.parametrize("mode", MODES)
def test_expired_cursor_given_by_the_caller_raises_stream_resume_error(mode: Mode) -> None:
    # What Tether sends when the run's log is past its retention period.
    expired = (
        b'event: error\r\ndata: {"error":"EventLogExpired","message":"The events of run r1 are'
        b' older than the retention period and were deleted."}\r\n\r\n'
    )
    server = FakeRunServer(make_log(3), [Connection(stop=0, extra=expired)])
    with pytest.raises(StreamResumeError, match="EventLogExpired: The events of run r1"):
        drive(mode, server, lambda c: c.runs.join_stream("t1", "r1", last_event_id="0"))


@pytest.mark.parametrize("mode", MODES)
def test_join_from_a_cursor_skips_events_up_to_it_even_if_replayed(mode: Mode) -> None:
    log = make_log(6)
    server = FakeRunServer(log, [Connection(overlap=6)])  # a server ignoring Last-Event-ID
    call = lambda c: c.runs.join_stream("t1", "r1", last_event_id=log[2][2])  # noqa: E731
    assert drive(mode, server, call) == expected_parts(log)[3:]
    assert server.requests[0].headers["last-event-id"] == "998-2"


@pytest.mark.parametrize("mode", MODES)
def test_cross_origin_location_is_refused(mode: Mode) -> None:
    server = FakeRunServer(make_log(3), location="https://evil.test/threads/t1/runs/r1/stream")
    with pytest.raises(ValueError, match="cross-origin"):
        drive(mode, server, stream_run)


@pytest.mark.parametrize("mode", MODES)
def test_same_origin_absolute_location_is_followed(mode: Mode) -> None:
    log = make_log(4)
    server = FakeRunServer(
        log, [Connection(stop=2, ending="cut")], location=f"{BASE_URL}:80{RUN_PATH}/stream"
    )
    assert drive(mode, server, stream_run) == expected_parts(log)


@pytest.mark.parametrize("mode", MODES)
def test_non_sse_answer_is_an_error_first_and_a_drop_on_reconnect(mode: Mode) -> None:
    server = FakeRunServer(make_log(3), [Connection(content_type="application/json")])
    with pytest.raises(httpx.TransportError, match="text/event-stream"):
        drive(mode, server, stream_run)
    log = make_log(4)
    server = FakeRunServer(
        log, [Connection(stop=2, ending="cut"), Connection(content_type="text/html")]
    )
    assert drive(mode, server, stream_run) == expected_parts(log)


@pytest.mark.parametrize("mode", MODES)
def test_client_error_on_reconnect_is_raised_at_once(mode: Mode) -> None:
    server = FakeRunServer(make_log(4), [Connection(stop=2, ending="cut"), Connection(status=404)])
    with pytest.raises(tether_sdk.NotFoundError, match="status 404"):
        drive(mode, server, stream_run)
    assert len(server.requests) == 2


@pytest.mark.parametrize("mode", MODES)
def test_reconnect_waits_follow_the_policy(mode: Mode, monkeypatch: pytest.MonkeyPatch) -> None:
    waits: list[float] = []

    async def fake_async_sleep(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr(asyncio, "sleep", fake_async_sleep)
    monkeypatch.setattr("time.sleep", waits.append)
    log = make_log(6)
    script = [
        Connection(stop=2, ending="cut"),
        *[Connection(status=502)] * 3,
        Connection(stop=4, ending="cut"),
        Connection(),
    ]
    server = FakeRunServer(log, script)
    policy = ReconnectPolicy(jitter=0.5, random=lambda: 1.0)
    assert drive(mode, server, stream_run, policy) == expected_parts(log)
    assert waits == [1.5, 3.0, 6.0, 7.5, 1.5]


def test_policy_delays_are_exponential_capped_and_jittered() -> None:
    policy = ReconnectPolicy(random=lambda: 0.0)
    assert [policy.delay(n) for n in range(6)] == [1.0, 2.0, 4.0, 5.0, 5.0, 5.0]
    jittered = ReconnectPolicy()
    assert all(1.0 <= jittered.delay(0) <= 1.25 for _ in range(100))
    assert policy.delay(10_000) == 5.0


def test_event_ids_compare_as_integer_pairs() -> None:
    assert event_id_key("1000-0") == (1000, 0)
    assert event_id_key("999-12") < event_id_key("1000-0")  # type: ignore[operator]
    assert event_id_key("42") == (42, 0)
    assert event_id_key("abc") is None and event_id_key("-1") is None
    seen = SeenEventIds()
    seen.add("999-9")
    assert "999-9" in seen and "998-20" in seen and "1000-0" not in seen
    seen.add("opaque-id")
    assert "opaque-id" in seen and "other-id" not in seen


# -- property: whatever the interruptions, the client delivers the run's events once each ----

_connections = st.lists(
    st.tuples(
        st.integers(1, 4),  # new events before the interruption
        st.sampled_from(["cut", "close"]),
        st.integers(0, 4),  # events the server replays again (ignoring the cursor)
        st.integers(0, 2),  # failed reconnects (503) before this connection
    ),
    max_size=6,
)


@settings(max_examples=60, deadline=None)
@given(_connections, st.sampled_from(MODES), st.sampled_from(["stream", "join"]))
def test_any_interruptions_deliver_exactly_the_uninterrupted_stream(
    plan: list[tuple[int, str, int, int]], mode: Mode, method: str
) -> None:
    log = make_log(25)
    script, delivered = [], 0
    for advance, ending, overlap, failures in plan:
        if delivered + advance >= len(log):
            break  # every connection must bring new events, or attempts run out
        script += [Connection(status=503)] * (failures if script else 0)
        delivered += advance
        script.append(Connection(stop=delivered, ending=ending, overlap=overlap if script else 0))
    script.append(Connection(overlap=2))
    server = FakeRunServer(log, script)
    assert drive(mode, server, stream_run if method == "stream" else join_run) == expected_parts(
        log
    )
    cursors = [r.headers.get("last-event-id") for r in server.stream_requests()[1:]]
    keys = [event_id_key(c) for c in cursors if c]
    assert keys == sorted(keys)  # the cursor never moves back


# -- long-polls (runs.wait, runs.join, runs.cancel(wait=True)) -------------------------------


@dataclass
class FakeLongPoll:
    script: list[Any]
    requests: list[httpx.Request] = field(default_factory=list)

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        step = self.script.pop(0)
        if isinstance(step, int):
            return httpx.Response(step, json={"detail": f"status {step}"})
        body, cut, location = step
        headers = {"content-type": "application/json", "content-location": RUN_PATH}
        if location:
            headers["location"] = f"{RUN_PATH}/join"
        error = httpx.RemoteProtocolError("peer closed connection") if cut else None
        return httpx.Response(200, headers=headers, stream=ChunkedBody([b"\n", body], error))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.runs.wait("t1", "agent", input={}),
        lambda c: c.runs.join("t1", "r1"),
        lambda c: c.runs.cancel("t1", "r1", wait=True),
    ],
    ids=["wait", "join", "cancel"],
)
def test_long_poll_cut_off_is_fetched_again_from_location(mode: Mode, call: Any) -> None:
    server = FakeLongPoll([(b'{"count', True, True), 503, (b'{"count": 3}', False, True)])
    assert _drive_poll(mode, server, call) == {"count": 3}
    assert [(r.method, r.url.path) for r in server.requests[1:]] == [
        ("GET", f"{RUN_PATH}/join")
    ] * 2


@pytest.mark.parametrize("mode", MODES)
def test_long_poll_cut_off_without_location_raises_stream_resume_error(mode: Mode) -> None:
    server = FakeLongPoll([(b'{"count', True, False)])
    with pytest.raises(StreamResumeError, match="no Location header"):
        _drive_poll(mode, server, lambda c: c.runs.join("t1", "r1"))


@pytest.mark.parametrize("mode", MODES)
def test_long_poll_client_error_on_reconnect_is_raised_at_once(mode: Mode) -> None:
    server = FakeLongPoll([(b"{", True, True), 404])
    with pytest.raises(tether_sdk.NotFoundError):
        _drive_poll(mode, server, lambda c: c.runs.join("t1", "r1"))
    assert len(server.requests) == 2


@pytest.mark.parametrize("mode", MODES)
def test_long_poll_gives_up_after_the_attempts(mode: Mode) -> None:
    server = FakeLongPoll([(b"{", True, True), *[503] * 5])
    with pytest.raises(tether_sdk.InternalServerError):
        _drive_poll(mode, server, lambda c: c.runs.join("t1", "r1"))
    assert len(server.requests) == 6


@pytest.mark.parametrize("mode", MODES)
def test_long_poll_errors_are_typed(mode: Mode) -> None:
    # langgraph-sdk raises a bare httpx.HTTPStatusError here; the typed error is one too.
    server = FakeLongPoll([409])
    with pytest.raises(tether_sdk.ConflictError) as err:
        _drive_poll(mode, server, lambda c: c.runs.wait("t1", "agent"))
    assert isinstance(err.value, httpx.HTTPStatusError)
    assert str(err.value) == "status 409"


def _drive_poll(mode: Mode, server: FakeLongPoll, call: Callable[[Any], Any]) -> Any:
    run = FakeRunServer([])
    run.handler = server.handler  # type: ignore[method-assign]
    return drive(mode, run, call)
