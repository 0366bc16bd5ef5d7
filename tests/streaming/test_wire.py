"""The SSE wire format, byte for byte, and what a slow reader costs the run (nothing)."""

from __future__ import annotations

import socket
import time

import httpx
from langgraph_sdk import get_sync_client


def test_frames_are_crlf_with_id_after_data_and_metadata_first(tether_url: str) -> None:
    thread = httpx.post(f"{tether_url}/threads", json={}).json()
    with httpx.stream(
        "POST",
        f"{tether_url}/threads/{thread['thread_id']}/runs/stream",
        json={"assistant_id": "trivial", "input": {"counter": 0}, "stream_mode": ["values"]},
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
        assert response.headers["cache-control"] == "no-store"
        run_path = response.headers["content-location"]
        assert response.headers["location"] == f"{run_path}/stream"
        body = response.read()
    frames = body.split(b"\r\n\r\n")
    assert frames[-1] == b""
    first = frames[0].split(b"\r\n")
    assert first[0] == b"event: metadata"
    assert first[1].startswith(b'data: {"run_id":"') and b'"attempt":1}' in first[1]
    assert first[2].startswith(b"id: ")
    for frame in frames[1:-1]:
        lines = frame.split(b"\r\n")
        assert [line.split(b":", 1)[0] for line in lines] == [b"event", b"data", b"id"]
        assert b"\n" not in frame.replace(b"\r\n", b"")


def test_heartbeats_keep_an_idle_stream_alive(fresh_server) -> None:  # type: ignore[no-untyped-def]
    fresh_server.env["TETHER_HEARTBEAT_SECONDS"] = "0.2"
    fresh_server.start()
    thread = httpx.post(f"{fresh_server.url}/threads", json={}).json()
    chunks = []
    with httpx.stream(
        "POST",
        f"{fresh_server.url}/threads/{thread['thread_id']}/runs/stream",
        json={
            "assistant_id": "ticker",
            "input": {"n_events": 2, "delay": 1.0},
            "stream_mode": ["custom"],
        },
    ) as response:
        for chunk in response.iter_raw():
            chunks.append(chunk)
    body = b"".join(chunks)
    assert body.count(b": heartbeat\r\n\r\n") >= 3
    assert body.count(b"event: custom\r\n") == 2


def test_wait_pads_with_newlines_until_the_result(fresh_server) -> None:  # type: ignore[no-untyped-def]
    fresh_server.env["TETHER_HEARTBEAT_SECONDS"] = "0.2"
    fresh_server.start()
    thread = httpx.post(f"{fresh_server.url}/threads", json={}).json()
    response = httpx.post(
        f"{fresh_server.url}/threads/{thread['thread_id']}/runs/wait",
        json={"assistant_id": "ticker", "input": {"n_events": 2, "delay": 0.8}},
        timeout=10,
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["location"].endswith("/join")
    assert response.content.startswith(b"\n\n")
    assert response.json()["counter"] == 2


def test_a_quick_wait_is_one_plain_json_response(tether_url: str) -> None:
    thread = httpx.post(f"{tether_url}/threads", json={}).json()
    response = httpx.post(
        f"{tether_url}/threads/{thread['thread_id']}/runs/wait",
        json={"assistant_id": "trivial", "input": {"counter": 0}},
    )
    assert response.status_code == 200
    assert response.headers["content-length"] == str(len(response.content))
    assert response.headers["location"].endswith("/join")
    assert response.json() == {"messages": [], "counter": 1}


def test_a_slow_reader_never_slows_the_run(tether_url: str) -> None:
    client = get_sync_client(url=tether_url)
    thread = client.threads.create()
    run = client.runs.create(
        thread["thread_id"], "firehose", input={"n_events": 5000}, stream_mode=["custom"]
    )
    # A reader that takes one event, then stalls with a tiny receive buffer.
    sock = socket.create_connection(("127.0.0.1", httpx.URL(tether_url).port))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    request = (
        f"GET /threads/{thread['thread_id']}/runs/{run['run_id']}/stream HTTP/1.1\r\n"
        f"Host: 127.0.0.1\r\nLast-Event-ID: 0\r\nAccept: text/event-stream\r\n\r\n"
    )
    sock.sendall(request.encode())
    sock.recv(1024)
    started = time.monotonic()
    deadline = started + 30
    while client.runs.get(thread["thread_id"], run["run_id"])["status"] != "success":
        assert time.monotonic() < deadline, "the run waited for its reader"
        time.sleep(0.05)
    sock.close()
    # Everything is still there for a reader that comes back.
    parts = list(client.runs.join_stream(thread["thread_id"], run["run_id"], last_event_id="0"))
    assert [p.data["i"] for p in parts if p.event == "custom"] == list(range(5000))


def _finished_run(url: str) -> tuple[str, str, list[str]]:
    client = get_sync_client(url=url)
    thread_id = client.threads.create()["thread_id"]
    run = client.runs.create(thread_id, "trivial", input={}, stream_mode=["values"])
    client.runs.join(thread_id, run["run_id"])
    ids = [
        p.id for p in client.runs.join_stream(thread_id, run["run_id"], last_event_id="0") if p.id
    ]
    return thread_id, run["run_id"], ids


def test_a_join_from_the_last_id_of_a_finished_run_ends_at_once(tether_url: str) -> None:
    thread_id, run_id, ids = _finished_run(tether_url)
    started = time.monotonic()
    with httpx.stream(
        "GET",
        f"{tether_url}/threads/{thread_id}/runs/{run_id}/stream",
        headers={"Last-Event-ID": ids[-1]},
        timeout=30,
    ) as response:
        body = response.read()
    assert response.status_code == 200
    assert b"event:" not in body
    # It ends as soon as the server has checked the run, not after heartbeats forever.
    assert time.monotonic() - started < 10


def test_join_with_an_unknown_stream_mode_is_refused_like_create(tether_url: str) -> None:
    thread_id, run_id, _ = _finished_run(tether_url)
    response = httpx.get(
        f"{tether_url}/threads/{thread_id}/runs/{run_id}/stream",
        params={"stream_mode": ["values", "nonsense"]},
    )
    assert response.status_code == 422
    assert "nonsense" in response.json()["detail"]


def test_a_last_event_id_beyond_64_bits_is_refused_before_the_stream_starts(
    tether_url: str,
) -> None:
    thread_id, run_id, _ = _finished_run(tether_url)
    for raw in (f"{2**64}-0", f"1-{2**63}"):
        response = httpx.get(
            f"{tether_url}/threads/{thread_id}/runs/{run_id}/stream",
            headers={"Last-Event-ID": raw},
        )
        assert response.status_code == 422, raw
        assert "Last-Event-ID" in response.json()["detail"]
