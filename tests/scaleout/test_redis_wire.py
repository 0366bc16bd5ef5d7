"""Tether's own Redis connection (`tether.backends.redis.wire`) and the bus on it, against
real redis-server processes: every URL form, logins, TLS, a unix socket, a Redis that
restarts or stops answering."""

from __future__ import annotations

import asyncio
import os
import signal
import ssl
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from conftest import REDIS_URL, free_port
from hypothesis import given
from hypothesis import strategies as st

from tether.backends import StorageUnavailable
from tether.backends.local import Batch
from tether.backends.redis import bus as bus_module
from tether.backends.redis.bus import NEWS_EVENTS_MAX_BYTES, RedisBus
from tether.backends.redis.keys import Keys
from tether.backends.redis.wire import Address, Parser, RedisFailure, RespError, encode
from tether.ids import EventId, uuid7
from tether.records import StreamEvent

from .conftest import RedisServer

# -- addresses ----------------------------------------------------------------------------


def test_addresses_are_read_from_every_url_form() -> None:
    plain = Address.parse("redis://cache")
    assert (plain.host, plain.port, plain.password, plain.tls) == ("cache", 6379, None, None)
    login = Address.parse("redis://ops:p%40ss@cache:6380/2")
    assert (login.host, login.port, login.username, login.password) == (
        "cache",
        6380,
        "ops",
        "p@ss",
    )
    assert Address.parse("redis://:secret@cache").password == "secret"
    assert Address.parse("redis://:secret@cache").username is None
    tls = Address.parse("rediss://cache:6390?ssl_cert_reqs=none").tls
    assert tls is not None and tls.verify_mode == ssl.CERT_NONE and not tls.check_hostname
    checked = Address.parse("rediss://cache").tls
    assert checked is not None and checked.verify_mode == ssl.CERT_REQUIRED
    local = Address.parse("unix:///run/redis.sock?password=x")
    assert (local.path, local.password, str(local)) == ("/run/redis.sock", "x", "/run/redis.sock")
    assert str(login) == "cache:6380"  # messages never show the password


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("http://cache:6379", "not a Redis URL"),
        ("redis://cache:port", "port"),
        ("unix://", "socket's path"),
        ("rediss://cache?ssl_cert_reqs=sometimes", "ssl_cert_reqs"),
    ],
)
def test_a_url_that_is_not_a_redis_one_is_refused_saying_why(url: str, said: str) -> None:
    with pytest.raises(ValueError, match=said):
        Address.parse(url)
    with pytest.raises(StorageUnavailable, match=said):
        RedisBus(url, Keys("x"))


# -- the wire format ----------------------------------------------------------------------

_FRAMES = [
    [b"message", b"tether:news", b"run:1 thread:2\n\x00\r\n\xff binary"],
    [b"subscribe", b"tether:work", 2],
    12,
    RespError("ERR unknown command"),
    None,
    b"OK",
    [[b"nested", None], []],
]
_WIRE = (
    b"*3\r\n$7\r\nmessage\r\n$11\r\ntether:news\r\n$26\r\nrun:1 thread:2\n\x00\r\n\xff binary\r\n"
    b"*3\r\n$9\r\nsubscribe\r\n$11\r\ntether:work\r\n:2\r\n"
    b":12\r\n"
    b"-ERR unknown command\r\n"
    b"$-1\r\n"
    b"+OK\r\n"
    b"*2\r\n*2\r\n$6\r\nnested\r\n$-1\r\n*0\r\n"
)


@given(st.lists(st.integers(min_value=0, max_value=len(_WIRE)), max_size=12))
def test_frames_come_out_the_same_however_the_bytes_are_cut(cuts: list[int]) -> None:
    parser = Parser()
    frames = []
    edges = [0, *sorted(cuts), len(_WIRE)]
    for start, end in zip(edges, edges[1:], strict=False):
        frames += parser.feed(_WIRE[start:end])
    assert frames == _FRAMES


def test_bytes_that_are_not_resp_are_refused() -> None:
    with pytest.raises(RedisFailure, match="not RESP"):
        Parser().feed(b"HTTP/1.1 400 Bad Request\r\n")


def test_a_command_is_an_array_of_bulk_strings() -> None:
    assert (
        encode("PUBLISH", "ch", b"a\r\nb") == b"*3\r\n$7\r\nPUBLISH\r\n$2\r\nch\r\n$4\r\na\r\nb\r\n"
    )


# -- the bus on real servers --------------------------------------------------------------


@asynccontextmanager
async def _bus(url: str, prefix: str) -> AsyncIterator[RedisBus]:
    bus = RedisBus(url, Keys(prefix))
    await bus.start()
    try:
        yield bus
    finally:
        await bus.close()


async def _cancels_heard(url: str, sent: list[str], prefix: str | None = None) -> list[str]:
    """What a second bus hears of `sent`, published as cancel notices without a pause."""
    prefix = prefix or f"wire-{uuid7()}"
    heard: list[str] = []
    all_heard = asyncio.Event()

    def hear(run_id: str) -> None:
        heard.append(run_id)
        if len(heard) == len(sent):
            all_heard.set()

    async with _bus(url, prefix) as sender, _bus(url, prefix) as listener:
        listener.on_cancel(hear)
        for run_id in sent:
            await sender.notify_cancel(run_id)
        await asyncio.wait_for(all_heard.wait(), 10)
    return heard


async def test_notices_arrive_whole_and_in_order() -> None:
    sent = [f"run-{i}-{'x' * (i % 50)}" for i in range(2000)]
    assert await _cancels_heard(REDIS_URL, sent) == sent


async def test_news_reaches_another_process_s_readers_with_its_events_unless_big() -> None:
    prefix = f"wire-{uuid7()}"
    async with _bus(REDIS_URL, prefix) as sender, _bus(REDIS_URL, prefix) as listener:
        await listener.follow_news()  # as a log reader does before its first read
        start = EventId(5, 0)
        for size, carried in ((10, True), (NEWS_EVENTS_MAX_BYTES + 1, False)):
            event = StreamEvent(EventId(6, 0), "custom", b"x" * size, "custom", "r", 0)
            with listener.news.listen("run:r") as heard:
                await sender.publish_news("run:r", "thread:t", batch=Batch(start, (event,)))
                assert await heard.wait_past(0, 10)
                assert heard.following(start) == (Batch(start, (event,)) if carried else None)
                assert heard.lost == (0 if carried else 1)  # without: readers read the log


@pytest.fixture
def server_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "redis"
    folder.mkdir()
    return folder


@pytest.fixture
def protected(server_folder: Path) -> Iterator[RedisServer]:
    server = RedisServer(server_folder, options=["--requirepass", "s3cret"])
    server.start()
    yield server
    server.kill()


async def test_a_password_protected_redis_is_logged_into(protected: RedisServer) -> None:
    url = f"redis://:s3cret@127.0.0.1:{protected.port}/0"
    assert await _cancels_heard(url, ["a", "b"]) == ["a", "b"]
    as_default_user = f"redis://default:s3cret@127.0.0.1:{protected.port}"
    assert await _cancels_heard(as_default_user, ["c"]) == ["c"]


async def test_a_wrong_or_missing_password_is_a_clear_error_at_start(
    protected: RedisServer,
) -> None:
    for url in (
        f"redis://:wrong@127.0.0.1:{protected.port}",
        f"redis://127.0.0.1:{protected.port}",
    ):
        bus = RedisBus(url, Keys("x"))
        with pytest.raises(StorageUnavailable) as refused:
            await bus.start()
        message = str(refused.value)
        assert f"127.0.0.1:{protected.port}" in message and "wrong" not in message
        assert "WRONGPASS" in message or "NOAUTH" in message
        await bus.close()


async def test_an_unreachable_redis_is_a_clear_error_at_start() -> None:
    port = free_port()
    bus = RedisBus(f"redis://127.0.0.1:{port}", Keys("x"))
    with pytest.raises(StorageUnavailable, match=f"cannot connect to Redis at 127.0.0.1:{port}"):
        await bus.start()
    await bus.close()


def _certificate(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
        + ["-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost"]
        + ["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True,
        capture_output=True,
    )
    return cert, key


async def test_tls_checks_the_server_s_certificate_unless_told_not_to(
    server_folder: Path,
) -> None:
    cert, key = _certificate(server_folder)
    port = free_port()
    options = ["--port", "0", "--tls-port", str(port), "--tls-auth-clients", "no"]
    options += ["--tls-cert-file", str(cert), "--tls-key-file", str(key)]
    server = RedisServer(server_folder, port=port, options=options)
    server.start()
    try:
        trusted = f"rediss://127.0.0.1:{port}?ssl_ca_certs={cert}"
        assert await _cancels_heard(trusted, ["over tls"]) == ["over tls"]
        unchecked = f"rediss://127.0.0.1:{port}?ssl_cert_reqs=none"
        assert await _cancels_heard(unchecked, ["unchecked"]) == ["unchecked"]
        bus = RedisBus(f"rediss://127.0.0.1:{port}", Keys("x"))  # a CA nobody trusts
        with pytest.raises(StorageUnavailable, match="CERTIFICATE_VERIFY_FAILED"):
            await bus.start()
        await bus.close()
    finally:
        server.kill()


def _wait_for_file(path: Path) -> None:
    deadline = time.monotonic() + 10
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.01)


async def test_a_unix_socket(server_folder: Path) -> None:
    path = server_folder / "redis.sock"
    server = RedisServer(server_folder, options=["--unixsocket", str(path)])
    server.start()
    try:
        _wait_for_file(path)
        assert await _cancels_heard(f"unix://{path}", ["local"]) == ["local"]
    finally:
        server.kill()


async def _until_heard(sender: RedisBus, heard: list[str], note: str) -> None:
    """Publish `note` until it is heard: while a connection comes back, notices drop."""
    async with asyncio.timeout(20):
        while note not in heard:
            await sender.notify_cancel(note)
            await asyncio.sleep(0.05)


async def test_the_bus_comes_back_after_redis_restarts(server_folder: Path) -> None:
    server = RedisServer(server_folder)
    server.start()
    prefix = f"wire-{uuid7()}"
    try:
        async with _bus(server.url, prefix) as sender, _bus(server.url, prefix) as listener:
            heard: list[str] = []
            listener.on_cancel(heard.append)
            await _until_heard(sender, heard, "before")
            waiting = asyncio.create_task(listener.wait_for_work(30))
            await asyncio.sleep(0.05)
            server.kill()
            await asyncio.wait_for(waiting, 10)  # woken: notices may have been missed
            await sender.notify_cancel("while away")  # dropped, without an error
            server.start()
            await _until_heard(sender, heard, "after")
            assert heard[0] == "before" and "while away" not in heard
    finally:
        server.kill()


async def test_a_redis_that_stops_answering_is_left_and_found_again(
    server_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bus_module, "_REPLY_TIMEOUT", 0.3)
    monkeypatch.setattr(bus_module, "_HEALTH_CHECK", 0.3)
    server = RedisServer(server_folder)
    server.start()
    assert server.process is not None
    prefix = f"wire-{uuid7()}"
    try:
        async with _bus(server.url, prefix) as sender, _bus(server.url, prefix) as listener:
            heard: list[str] = []
            listener.on_cancel(heard.append)
            await _until_heard(sender, heard, "before")
            before = sender._publisher
            os.kill(server.process.pid, signal.SIGSTOP)  # alive, silent: no error ever comes
            try:
                waiting = asyncio.create_task(listener.wait_for_work(30))
                await asyncio.wait_for(waiting, 10)  # the silent subscription was given up
                async with asyncio.timeout(10):
                    while sender._publisher is before:
                        await sender.notify_cancel("unanswered")
                        await asyncio.sleep(0.05)
            finally:
                os.kill(server.process.pid, signal.SIGCONT)
            await _until_heard(sender, heard, "after")
    finally:
        server.kill()
