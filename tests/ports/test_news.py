"""The news of committed events between processes: what a notice carries."""

from __future__ import annotations

import pytest

from tether.backends.local import BATCH_BYTES_KEPT, BATCHES_KEPT, Batch, Heard
from tether.backends.redis.bus import NEWS_EVENTS_MAX_BYTES, decode_news, encode_news
from tether.ids import EventId
from tether.records import SCOPE_CONTROL, StreamEvent


def _event(ms: int, seq: int, data: bytes = b'{"a":1}', scope: int = 0) -> StreamEvent:
    return StreamEvent(EventId(ms, seq), "custom", data, "custom", "run-é", scope)


def test_a_notice_carries_its_events_whole() -> None:
    batch = Batch(EventId(5, 2), (_event(5, 3), _event(6, 0, b"", SCOPE_CONTROL)))
    keys, decoded = decode_news(encode_news(("run:r", "thread:t"), batch))
    assert keys == ["run:r", "thread:t"]
    assert decoded == batch
    first = Batch(None, (_event(1, 0),))
    assert decode_news(encode_news(("thread:t",), first))[1] == first


def test_big_batches_travel_as_bare_notices() -> None:
    big = Batch(EventId(1, 0), (_event(2, 0, b"x" * (NEWS_EVENTS_MAX_BYTES + 1)),))
    assert decode_news(encode_news(("run:r",), big)) == (["run:r"], None)
    assert decode_news(b"run:r thread:t") == (["run:r", "thread:t"], None)


@pytest.mark.parametrize("cut", [1, 9, 30])
def test_a_notice_cut_short_is_refused(cut: int) -> None:
    whole = encode_news(("run:r",), Batch(None, (_event(1, 0), _event(1, 1))))
    with pytest.raises(ValueError):
        decode_news(whole[: len(b"run:r\n") + cut])


def test_a_reader_takes_only_batches_that_follow_on() -> None:
    heard = Heard()
    one = Batch(EventId(1, 0), (_event(1, 1), _event(1, 2)))
    two = Batch(EventId(1, 2), (_event(2, 0),))
    heard.hear(two)
    heard.hear(one)
    assert heard.following(EventId(1, 0)) == one
    assert heard.following(EventId(1, 1)) == one  # a read stopped inside it
    assert heard.following(EventId(1, 2)) == two
    assert heard.following(EventId(0, 9)) is None
    assert heard.beyond(EventId(0, 9))  # newer events came, but not from there: read
    assert not heard.beyond(EventId(2, 0))
    heard.hear()  # news without its events
    assert heard.lost == 1


def test_news_kept_for_readers_is_bounded() -> None:
    heard = Heard()
    prev = None
    for i in range(200):
        batch = Batch(prev, (_event(i, 0, b"x" * 4096),))
        heard.hear(batch)
        prev = batch.last
    kept = [b for b in (heard.following(EventId(i, 0)) for i in range(200)) if b is not None]
    assert len(kept) <= BATCHES_KEPT
    assert sum(b.size for b in kept) <= BATCH_BYTES_KEPT
    assert heard.following(EventId(198, 0)) is not None  # the newest are there
    assert heard.following(EventId(0, 0)) is None  # a reader that far behind reads the log
