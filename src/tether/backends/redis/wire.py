"""Tether's own Redis connection: RESP2 over one socket, made for the two things the bus
does and no more. Publishing writes a command and moves on (its reply is counted when it
comes, never awaited): a notice costs one write, about 10 us of CPU here, where a general
client's awaited round trip cost about 100. Subscribing hands each frame to a callback
as it is parsed, with no task per message.

Addresses: `redis://[[user]:password@]host[:port][/db]`, `rediss://...` for TLS (with
`?ssl_cert_reqs=none` to skip checking the server's certificate, or `ssl_ca_certs=<file>`
to check it against a CA of your own), `unix:///path/to/socket[?password=...]`. The
database number is accepted and has no effect: Redis channels are shared by all the
databases of a server (the key prefix is what keeps deployments apart)."""

from __future__ import annotations

import asyncio
import socket
import ssl
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import parse_qs, unquote, urlsplit

#: Frames: bytes (simple and bulk strings), int, None (null), `RespError` or a list of frames.
Frame = Any


class RedisFailure(Exception):
    """Redis cannot be reached, refused a command, or stopped answering."""


class RespError(str):
    """An error reply (`-ERR ...`), as a frame."""


@dataclass(frozen=True)
class Address:
    """Where Redis is and how to log in, from a URL."""

    host: str = "localhost"
    port: int = 6379
    path: str | None = None
    username: str | None = None
    password: str | None = None
    tls: ssl.SSLContext | None = None

    @classmethod
    def parse(cls, url: str) -> Address:
        """Raises ValueError, saying what is wrong, for a URL that is not one of the forms
        above."""
        parts = urlsplit(url)
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        password = unquote(parts.password) if parts.password else query.get("password")
        username = unquote(parts.username) if parts.username else None
        if parts.scheme == "unix":
            if not parts.path:
                raise ValueError(f"a unix:// Redis URL needs the socket's path: {url!r}")
            return cls(path=parts.path, username=username, password=password)
        if parts.scheme not in ("redis", "rediss"):
            raise ValueError(f"not a Redis URL (redis://, rediss:// or unix://): {url!r}")
        try:
            port = parts.port or 6379
        except ValueError:
            raise ValueError(f"the port of the Redis URL is not a number: {url!r}") from None
        tls = _tls_context(query) if parts.scheme == "rediss" else None
        return cls(parts.hostname or "localhost", port, None, username, password, tls)

    def __str__(self) -> str:
        return self.path if self.path is not None else f"{self.host}:{self.port}"


def _tls_context(query: dict[str, str]) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=query.get("ssl_ca_certs"))
    checks = query.get("ssl_cert_reqs", "required").lower()
    if checks not in ("none", "optional", "required"):
        raise ValueError(f"ssl_cert_reqs is none, optional or required, not {checks!r}")
    if checks != "required":
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE if checks == "none" else ssl.CERT_OPTIONAL
    return context


def encode(*args: bytes | str) -> bytes:
    """A command as RESP (an array of bulk strings)."""
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = arg.encode() if isinstance(arg, str) else arg
        parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(parts)


class Parser:
    """Frames out of a byte stream that arrives in pieces of any size."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[Frame]:
        """The frames completed by `data`, in order; raises RedisFailure on bytes that are
        not RESP (the connection is then of no further use)."""
        buffer = self._buffer
        buffer += data
        frames: list[Frame] = []
        at = 0
        while at < len(buffer):
            parsed = self._frame(buffer, at)
            if parsed is None:
                break
            frame, at = parsed
            frames.append(frame)
        del buffer[:at]
        return frames

    def _frame(self, buffer: bytearray, at: int) -> tuple[Frame, int] | None:
        end = buffer.find(b"\r\n", at)
        if end < 0:
            return None
        kind, line, after = buffer[at], bytes(buffer[at + 1 : end]), end + 2
        if kind == 0x2B:  # +
            return line, after
        if kind == 0x2D:  # -
            return RespError(line.decode(errors="replace")), after
        try:
            number = int(line)
        except ValueError:
            raise RedisFailure(f"Redis sent something that is not RESP: {line[:40]!r}") from None
        if kind == 0x3A:  # :
            return number, after
        if kind == 0x24:  # $
            if number < 0:
                return None, after
            if len(buffer) < after + number + 2:
                return None
            return bytes(buffer[after : after + number]), after + number + 2
        if kind == 0x2A:  # *
            if number < 0:
                return None, after
            items: list[Frame] = []
            for _ in range(number):
                parsed = self._frame(buffer, after)
                if parsed is None:
                    return None
                item, after = parsed
                items.append(item)
            return items, after
        raise RedisFailure(
            f"Redis sent something that is not RESP2: {bytes(buffer[at:end])[:40]!r}"
        )


class Connection(asyncio.Protocol):
    """One connection. Replies answer commands in the order they were sent (`call` awaits
    one, `send` only counts it); a frame that answers no command (a subscription's) goes
    to `on_push`. `lost` is done once the connection is gone."""

    def __init__(
        self,
        on_push: Callable[[Frame], None] | None = None,
        on_error: Callable[[RespError], None] | None = None,
    ) -> None:
        self._on_push = on_push
        self._on_error = on_error
        self._parser = Parser()
        #: For each command awaiting its reply: when it was sent, and who waits for it.
        self._waiting: deque[tuple[float, asyncio.Future[Frame] | None]] = deque()
        self._transport: asyncio.Transport | None = None
        self.lost: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        #: When the last bytes came (monotonic).
        self.last_heard = time.monotonic()

    # -- asyncio.Protocol ---------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's are not subclasses

    def data_received(self, data: bytes) -> None:
        self.last_heard = time.monotonic()
        try:
            frames = self._parser.feed(data)
        except RedisFailure as exc:
            self._fail(exc)
            return
        for frame in frames:
            if self._waiting:
                _, waiter = self._waiting.popleft()
                if waiter is not None:
                    if not waiter.done():
                        waiter.set_result(frame)
                elif isinstance(frame, RespError) and self._on_error is not None:
                    self._on_error(frame)
            elif self._on_push is not None:
                self._on_push(frame)

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None
        failure = RedisFailure(f"the connection to Redis was lost: {exc or 'closed'}")
        while self._waiting:
            _, waiter = self._waiting.popleft()
            if waiter is not None and not waiter.done():
                waiter.set_exception(failure)
        if not self.lost.done():
            self.lost.set_result(None)

    # -- commands -----------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self._transport is None or self._transport.is_closing()

    def send(self, *args: bytes | str) -> None:
        """Write a command; its reply is only counted (an error reply goes to `on_error`)."""
        self._write(encode(*args), None)

    def write(self, *args: bytes | str) -> None:
        """Write a command whose replies come as pushes (SUBSCRIBE, PING while subscribed)."""
        if self._transport is not None:
            self._transport.write(encode(*args))

    async def call(self, *args: bytes | str, timeout: float) -> Frame:
        """A command's reply; raises RedisFailure on an error reply, a lost connection or
        no reply within `timeout` seconds."""
        waiter: asyncio.Future[Frame] = asyncio.get_running_loop().create_future()
        self._write(encode(*args), waiter)
        try:
            async with asyncio.timeout(timeout):
                reply = await waiter
        except TimeoutError:
            self.close()
            raise RedisFailure(f"Redis did not answer {args[0]!s} within {timeout:g} s") from None
        if isinstance(reply, RespError):
            raise RedisFailure(f"Redis refused {args[0]!s}: {reply}")
        return reply

    def _write(self, data: bytes, waiter: asyncio.Future[Frame] | None) -> None:
        if self._transport is None or self._transport.is_closing():
            raise RedisFailure("the connection to Redis is closed")
        self._transport.write(data)
        self._waiting.append((time.monotonic(), waiter))

    def overdue(self, seconds: float) -> bool:
        """Whether a reply has been awaited for over `seconds`: Redis is stuck, or the
        connection is dead without having been told."""
        return bool(self._waiting) and time.monotonic() - self._waiting[0][0] > seconds

    def buffered(self) -> int:
        """Bytes written but not yet sent."""
        return 0 if self._transport is None else self._transport.get_write_buffer_size()

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()  # what is buffered is sent first

    def abort(self) -> None:
        """Close at once, dropping what is buffered (a peer that stopped reading)."""
        if self._transport is not None:
            self._transport.abort()

    def _fail(self, exc: Exception) -> None:
        self.abort()
        self.connection_lost(exc)


async def connect(
    address: Address,
    *,
    timeout: float,
    on_push: Callable[[Frame], None] | None = None,
    on_error: Callable[[RespError], None] | None = None,
) -> Connection:
    """A logged-in connection; raises RedisFailure, saying why, if there is none."""
    loop = asyncio.get_running_loop()

    def made() -> Connection:
        return Connection(on_push, on_error)

    try:
        async with asyncio.timeout(timeout):
            if address.path is not None:
                transport, connection = await loop.create_unix_connection(made, address.path)
            else:
                transport, connection = await loop.create_connection(
                    made,
                    address.host,
                    address.port,
                    ssl=address.tls,
                    server_hostname=address.host if address.tls is not None else None,
                )
                sock = transport.get_extra_info("socket")
                if sock is not None:
                    # A peer that vanished (no FIN) is found by keepalive probes.
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except TimeoutError:
        raise RedisFailure(f"cannot connect to Redis at {address}: timed out") from None
    except (OSError, ssl.SSLError) as exc:
        reason = exc.strerror or str(exc) if isinstance(exc, OSError) else str(exc)
        raise RedisFailure(f"cannot connect to Redis at {address}: {reason}") from None
    if address.password is not None:
        login = (address.username, address.password) if address.username else (address.password,)
        try:
            await connection.call("AUTH", *login, timeout=timeout)
        except RedisFailure as exc:
            connection.close()
            raise RedisFailure(f"Redis at {address} refused the login: {exc}") from None
    return connection
