"""One Redis connection pair per process: publish notices, and listen to every channel
on one subscription. A lost connection is retried with backoff; on reconnecting, every
local waiter is woken, because notices sent meanwhile were lost."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import struct
import time
from collections.abc import Callable

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from tether.backends.local import Batch, News, wait_for
from tether.backends.redis.keys import Keys
from tether.ids import EventId
from tether.records import StreamEvent

log = logging.getLogger("tether.redis")

_BACKOFF_MAX = 2.0
_WARN_EVERY = 30.0
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
        self.keys = keys
        self.news = News()
        #: Publishes: a stuck Redis must not stall a run, so every command has a timeout.
        self._client = aioredis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        #: Listens: blocking reads, so no read timeout; health checks (a PING after 15 s of
        #: silence) and TCP keepalive find a dead connection instead.
        self._listening = aioredis.Redis.from_url(
            url, socket_connect_timeout=5, socket_keepalive=True, health_check_interval=15
        )
        self._work = asyncio.Event()
        self._crons = asyncio.Event()
        self._cancel_callbacks: list[Callable[[str], None]] = []
        self._listener: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()
        self._last_warning = 0.0

    async def start(self) -> None:
        """Connect and subscribe; raises if Redis cannot be reached at start."""
        await self._client.ping()
        self._listener = asyncio.create_task(self._listen(), name="tether-redis")
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(5):
                await self._subscribed.wait()

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
        self._cancel_callbacks.clear()
        await self._client.aclose()
        await self._listening.aclose()

    # -- publishing (best effort) ------------------------------------------------------

    async def _publish(self, channel: str, message: str | bytes) -> None:
        try:
            await self._client.publish(channel, message)
        except (RedisError, OSError) as exc:
            now = time.monotonic()
            if now - self._last_warning > _WARN_EVERY:
                self._last_warning = now
                log.warning("redis unavailable (%s): notices fall back to polling", exc)

    async def publish_news(self, *keys: str, batch: Batch | None = None) -> None:
        """ "The logs under `keys` have new events" (committed before this is called):
        `batch`, carried along unless it is big, so readers need not read the log."""
        for key in keys:
            self.news.notify(key, batch)  # this process's readers need no round trip
        await self._publish(self.keys.news, encode_news(keys, batch))

    # -- the Signals port --------------------------------------------------------------

    async def notify_work(self) -> None:
        self._work.set()
        await self._publish(self.keys.work, "")

    async def wait_for_work(self, timeout: float) -> None:
        await wait_for(self._work, timeout)
        self._work.clear()

    async def notify_cancel(self, run_id: str) -> None:
        await self._publish(self.keys.cancel, run_id)

    def on_cancel(self, callback: Callable[[str], None]) -> None:
        self._cancel_callbacks.append(callback)

    async def notify_crons(self) -> None:
        self._crons.set()
        await self._publish(self.keys.crons, "")

    async def wait_for_crons(self, timeout: float) -> None:
        await wait_for(self._crons, timeout)
        self._crons.clear()

    # -- listening ---------------------------------------------------------------------

    def _dispatch(self, channel: str, data: bytes) -> None:
        if channel == self.keys.news:
            # Every process hears all news: unpack the events only for keys followed here.
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

    async def _listen(self) -> None:
        backoff = 0.05
        while True:
            pubsub = self._listening.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(*self.keys.channels())
                if self._subscribed.is_set():
                    self._wake_everyone()  # back after a loss: notices may have been missed
                self._subscribed.set()
                backoff = 0.05
                async for message in pubsub.listen():
                    if message.get("type") != "message":
                        continue
                    channel = message["channel"].decode()
                    data = message["data"]
                    try:
                        self._dispatch(channel, data if isinstance(data, bytes) else b"")
                    except ValueError:  # not ours, or cut short: a lost notice
                        log.warning("ignored a malformed notice on %s", channel)
                        self.news.notify_all()
            except asyncio.CancelledError:
                # Not `pubsub.aclose()`: a read cut short by the cancel leaves it waiting on
                # the connection; closing the client's pool (in `close`) drops it.
                raise
            except (RedisError, OSError) as exc:
                now = time.monotonic()
                if now - self._last_warning > _WARN_EVERY:
                    self._last_warning = now
                    log.warning("redis subscription lost (%s): reconnecting", exc)
                self._wake_everyone()
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]
                await asyncio.sleep(backoff)
                backoff = min(_BACKOFF_MAX, backoff * 2)
