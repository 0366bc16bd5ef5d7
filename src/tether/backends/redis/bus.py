"""One Redis connection pair per process (`wire`): publish notices without waiting for
Redis's replies, and listen on one subscription to the signal channels, and to the news
channel once the process first follows a log. A lost connection is retried with backoff;
on reconnecting, every local waiter is woken, because notices sent meanwhile were lost."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import struct
import time
from collections.abc import Callable

from tether.backends import StorageUnavailable
from tether.backends.local import Batch, News, wait_for
from tether.backends.redis.keys import Keys
from tether.backends.redis.wire import Address, Connection, Frame, RedisFailure, RespError, connect
from tether.ids import EventId
from tether.records import StreamEvent

log = logging.getLogger("tether.redis")

_BACKOFF_MAX = 2.0
_WARN_EVERY = 30.0
_CONNECT_TIMEOUT = 5.0
#: Replies overdue by this long mean a stuck Redis or a dead connection.
_REPLY_TIMEOUT = 5.0
#: How long a process's first log reader waits for Redis to confirm the news subscription
#: (normally well under a millisecond); past it the reader goes on, woken when it comes.
_NEWS_CONFIRM_WAIT = 1.0
#: A silent subscription is asked for a sign of life after this long.
_HEALTH_CHECK = 15.0
#: Notices buffered unsent beyond this mean Redis does not keep up: the connection is dropped.
_MAX_BUFFERED = 16 * 1024 * 1024
#: News carries its events when their data is no bigger than this; else readers read the log.
NEWS_EVENTS_MAX_BYTES = 64 * 1024

_BATCH_HEAD = struct.Struct("<qqI")  # prev ms, prev seq (-1: none), event count
_EVENT_HEAD = struct.Struct("<qqBHHHI")  # ms, seq, scope, then the lengths of 4 fields


def encode_news(keys: tuple[str, ...], batch: Batch | None) -> bytes:
    """`key key ...` alone, or followed by a newline and the batch, packed."""
    head = " ".join(keys).encode()
    if batch is None or not batch.events or batch.size > NEWS_EVENTS_MAX_BYTES:
        return head
    prev = batch.prev or (-1, -1)
    parts = [head, b"\n", _BATCH_HEAD.pack(prev[0], prev[1], len(batch.events))]
    for e in batch.events:
        fields = (e.event.encode(), e.mode.encode(), e.run_id.encode(), e.data)
        parts.append(_EVENT_HEAD.pack(e.id.ms, e.id.seq, e.scope, *(len(f) for f in fields)))
        parts.extend(fields)
    return b"".join(parts)


def decode_news(data: bytes) -> tuple[list[str], Batch | None]:
    """The keys and the batch (None if the news came without it) of `encode_news`.
    Raises ValueError on anything else."""
    head, newline, body = data.partition(b"\n")
    return head.decode().split(), decode_batch(body) if newline else None


def decode_batch(body: bytes) -> Batch:
    """The batch packed after a notice's keys. Raises ValueError if it is not one."""
    try:
        prev_ms, prev_seq, count = _BATCH_HEAD.unpack_from(body)
        at = _BATCH_HEAD.size
        events = []
        for _ in range(count):
            ms, seq, scope, *lengths = _EVENT_HEAD.unpack_from(body, at)
            at += _EVENT_HEAD.size
            fields = []
            for length in lengths:
                fields.append(body[at : at + length])
                at += length
            event, mode, run_id, payload = fields
            events.append(
                StreamEvent(
                    EventId(ms, seq), event.decode(), payload, mode.decode(), run_id.decode(), scope
                )
            )
    except (struct.error, UnicodeDecodeError) as exc:
        raise ValueError(f"malformed news: {exc}") from None
    if at != len(body) or not events:
        raise ValueError("malformed news: its length does not match")
    prev = None if prev_ms < 0 else EventId(prev_ms, prev_seq)
    return Batch(prev, tuple(events))


class RedisBus:
    """Signals between processes (the `Signals` port) plus news of committed events."""

    def __init__(self, url: str, keys: Keys) -> None:
        """Raises StorageUnavailable for a URL that is not a Redis one."""
        self.keys = keys
        self.news = News()
        try:
            self._address = Address.parse(url)
        except ValueError as exc:
            raise StorageUnavailable(str(exc)) from None
        #: Publishes, without waiting for replies; replaced in the background when lost.
        self._publisher: Connection | None = None
        self._reconnecting: asyncio.Task[None] | None = None
        self._work = asyncio.Event()
        self._crons = asyncio.Event()
        self._cancel_callbacks: list[Callable[[str], None]] = []
        self._listener: asyncio.Task[None] | None = None
        self._subscriber: Connection | None = None
        #: Channels of the current subscription that Redis confirmed.
        self._confirmed: set[str] = set()
        self._subscribed = asyncio.Event()
        #: Set once a log is followed here: from then on news is subscribed to as well.
        self._news_wanted = False
        #: Set while the news subscription is confirmed.
        self._hearing_news = asyncio.Event()
        self._last_warning = 0.0
        self._closed = False

    async def start(self) -> None:
        """Connect and subscribe; raises StorageUnavailable, saying why, if Redis cannot be
        reached (or refuses the login) at start."""
        try:
            self._publisher = await self._connect_publisher()
            await self._publisher.call("PING", timeout=_CONNECT_TIMEOUT)
        except RedisFailure as exc:
            message = str(exc)
            if str(self._address) not in message:
                message = f"Redis at {self._address}: {message}"
            if "NOAUTH" in message:
                message += " (give the password in the URL: redis://:password@host:6379/0)"
            raise StorageUnavailable(message) from None
        self._listener = asyncio.create_task(self._listen(), name="tether-redis")
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(5):
                await self._subscribed.wait()

    async def close(self) -> None:
        self._closed = True
        for task in (self._listener, self._reconnecting):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._cancel_callbacks.clear()
        for connection in (self._publisher, self._subscriber):
            if connection is not None:
                connection.close()

    def _warn(self, message: str, *args: object) -> None:
        now = time.monotonic()
        if now - self._last_warning > _WARN_EVERY:
            self._last_warning = now
            log.warning(message, *args)

    # -- publishing (best effort) ------------------------------------------------------

    async def _connect_publisher(self) -> Connection:
        return await connect(
            self._address,
            timeout=_CONNECT_TIMEOUT,
            on_error=lambda error: self._warn("redis refused a notice: %s", error),
        )

    def _publish(self, channel: str, message: str | bytes) -> None:
        """Write the notice and go on: its reply is counted, never awaited. While Redis is
        away notices are dropped (readers look at the log every poll interval) and a
        connection is sought in the background."""
        if self._closed:
            return
        publisher = self._publisher
        if publisher is not None and (
            publisher.overdue(_REPLY_TIMEOUT) or publisher.buffered() > _MAX_BUFFERED
        ):
            publisher.abort()  # stuck, or dead without having been told
            self._warn("redis stopped answering: notices fall back to polling")
        if publisher is None or publisher.closed:
            self._publisher = None
            if self._reconnecting is None or self._reconnecting.done():
                self._reconnecting = asyncio.create_task(self._reconnect_publisher())
            return
        publisher.send("PUBLISH", channel, message)

    async def _reconnect_publisher(self) -> None:
        backoff = 0.05
        while True:
            try:
                self._publisher = await self._connect_publisher()
                return
            except RedisFailure as exc:
                self._warn("redis unavailable (%s): notices fall back to polling", exc)
            await asyncio.sleep(backoff)
            backoff = min(_BACKOFF_MAX, backoff * 2)

    async def publish_news(self, *keys: str, batch: Batch | None = None) -> None:
        """ "The logs under `keys` have new events" (committed before this is called):
        `batch`, carried along unless it is big, so readers need not read the log."""
        for key in keys:
            self.news.notify(key, batch)  # this process's readers need no round trip
        self._publish(self.keys.news, encode_news(keys, batch))

    # -- the Signals port --------------------------------------------------------------

    async def notify_work(self) -> None:
        self._work.set()
        self._publish(self.keys.work, "")

    async def wait_for_work(self, timeout: float) -> None:
        await wait_for(self._work, timeout)
        self._work.clear()

    async def notify_cancel(self, run_id: str) -> None:
        self._publish(self.keys.cancel, run_id)

    def on_cancel(self, callback: Callable[[str], None]) -> None:
        self._cancel_callbacks.append(callback)

    async def notify_crons(self) -> None:
        self._crons.set()
        self._publish(self.keys.crons, "")

    async def wait_for_crons(self, timeout: float) -> None:
        await wait_for(self._crons, timeout)
        self._crons.clear()

    # -- listening ---------------------------------------------------------------------

    async def follow_news(self) -> None:
        """Subscribe to the news channel, if this process does not yet, before its first
        log is followed: news published from then on is heard. Waits for Redis to confirm
        while the subscription's connection is up (one round trip, once per process; past
        `_NEWS_CONFIRM_WAIT` readers go on, and the confirmation wakes them to look at their
        logs); while it is down, returns at once (readers poll; the subscription made on
        reconnecting includes news and wakes every reader)."""
        if self._hearing_news.is_set():
            return
        subscriber = self._subscriber
        if not self._news_wanted:
            self._news_wanted = True
            if subscriber is not None and not subscriber.closed:
                subscriber.write("SUBSCRIBE", self.keys.news)
        if subscriber is None or subscriber.closed:
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(_NEWS_CONFIRM_WAIT):
                await self._hearing_news.wait()

    def _dispatch(self, channel: str, data: bytes) -> None:
        if channel == self.keys.news:
            # Every reading process hears all news: unpack the events only for keys followed here.
            head, newline, body = data.partition(b"\n")
            wanted = [key for key in head.decode().split() if self.news.wants(key)]
            if wanted:
                batch = decode_batch(body) if newline else None
                for key in wanted:
                    self.news.notify(key, batch)
        elif channel == self.keys.work:
            self._work.set()
        elif channel == self.keys.cancel:
            for callback in self._cancel_callbacks:
                callback(data.decode())
        elif channel == self.keys.crons:
            self._crons.set()

    def _wake_everyone(self) -> None:
        self._work.set()
        self._crons.set()
        self.news.notify_all()

    def _on_push(self, frame: Frame) -> None:
        """A frame of the subscription: a message, a subscription confirmed, a pong."""
        if not isinstance(frame, list) or not frame:
            if isinstance(frame, RespError) and self._subscriber is not None:
                self._warn("redis refused the subscription: %s", frame)
                self._subscriber.close()
            return
        kind = frame[0]
        if kind == b"message" and len(frame) == 3:
            channel, data = frame[1], frame[2]
            try:
                self._dispatch(channel.decode(), data if isinstance(data, bytes) else b"")
            except ValueError:  # not ours, or cut short: a lost notice
                log.warning("ignored a malformed notice on %s", channel)
                self.news.notify_all()
        elif kind == b"subscribe" and len(frame) >= 2 and isinstance(frame[1], bytes):
            channel = frame[1].decode()
            self._confirmed.add(channel)
            if channel == self.keys.news:
                self._hearing_news.set()
                # Readers that stopped waiting for this confirmation look at their logs.
                self.news.notify_all()
            elif self._confirmed.issuperset(self.keys.signal_channels()):
                if self._subscribed.is_set():
                    self._wake_everyone()  # back after a loss: notices may have been missed
                self._subscribed.set()

    async def _listen(self) -> None:
        backoff = 0.05
        while True:
            try:
                self._confirmed = set()
                self._hearing_news.clear()
                subscriber = self._subscriber = await connect(
                    self._address, timeout=_CONNECT_TIMEOUT, on_push=self._on_push
                )
                news = (self.keys.news,) if self._news_wanted else ()
                subscriber.write("SUBSCRIBE", *self.keys.signal_channels(), *news)
                backoff = 0.05
                while not subscriber.lost.done():
                    # A silent connection is asked for a sign of life: a dead one is closed.
                    quiet = time.monotonic() - subscriber.last_heard
                    if quiet >= _HEALTH_CHECK + _REPLY_TIMEOUT:
                        subscriber.abort()
                        break
                    if quiet >= _HEALTH_CHECK:
                        subscriber.write("PING")
                        wait = _REPLY_TIMEOUT
                    else:
                        wait = _HEALTH_CHECK - quiet
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(wait):
                            await asyncio.shield(subscriber.lost)
                raise RedisFailure("the subscription's connection was lost")
            except RedisFailure as exc:
                self._warn("redis subscription lost (%s): reconnecting", exc)
                if self._subscriber is not None:
                    self._subscriber.close()
                self._wake_everyone()
                await asyncio.sleep(backoff)
                backoff = min(_BACKOFF_MAX, backoff * 2)
