"""The pure rules of the v3 protocol: `seq` and `since`, and event filters."""

from __future__ import annotations

import pytest

from tether.ids import EventId
from tether.serialization import dumps
from tether.services.thread_protocol import (
    EventFilter,
    ProtocolError,
    cursor_of,
    event_seq,
    parse_command,
)

MS = 1_796_000_000_000


def test_seq_follows_log_order_and_since_resumes_right_after_it() -> None:
    ids = [EventId(MS, 0), EventId(MS, 1), EventId(MS, 2), EventId(MS + 1, 0), EventId(MS + 90, 7)]
    seqs = [event_seq(i) for i in ids]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    assert all(s < 2**53 for s in seqs)  # exact in JavaScript
    for event_id, seq in zip(ids, seqs, strict=True):
        assert cursor_of(seq) == event_id
    assert cursor_of(None) is None and cursor_of(0) is None


def test_a_filter_needs_known_channels() -> None:
    with pytest.raises(ProtocolError, match="non-empty"):
        EventFilter.parse({"channels": []})
    with pytest.raises(ProtocolError, match="unsupported entries: debug"):
        EventFilter.parse({"channels": ["values", "debug"]})
    parsed, since = EventFilter.parse(
        {
            "channels": ["values", "custom:progress"],
            "depth": True,
            "since": "3",
            "namespaces": [["a"], "b", [1]],
        }
    )
    assert parsed.depth is None and since is None  # ignored, as the official server does
    assert parsed.namespaces == (("a",),)


def _params(data: object = None) -> bytes:
    return dumps({"namespace": [], "timestamp": 0, "data": data})


def test_depth_zero_is_the_root_graph_only() -> None:
    root_only, _ = EventFilter.parse({"channels": ["values"], "depth": 0})
    assert root_only.matches("values", [], _params())
    assert not root_only.matches("values", ["child:1"], _params())
    one_level, _ = EventFilter.parse({"channels": ["values"], "depth": 1})
    assert one_level.matches("values", ["child:1"], _params())
    assert not one_level.matches("values", ["child:1", "inner:2"], _params())


def test_namespaces_match_by_prefix_with_or_without_the_task_id() -> None:
    child, _ = EventFilter.parse({"channels": ["values", "lifecycle"], "namespaces": [["child"]]})
    assert child.matches("values", ["child:abc"], _params())
    assert child.matches("lifecycle", ["child:abc", "inner:def"], _params())
    assert not child.matches("values", [], _params())
    assert not child.matches("values", ["children:abc"], _params())
    exact, _ = EventFilter.parse(
        {"channels": ["values"], "namespaces": [["child:abc"]], "depth": 0}
    )
    assert exact.matches("values", ["child:abc"], _params())
    assert not exact.matches("values", ["child:xyz"], _params())
    assert not exact.matches("values", ["child:abc", "inner:def"], _params())


def test_channels_of_methods() -> None:
    inputs, _ = EventFilter.parse({"channels": ["input"]})
    assert inputs.matches("input.requested", [], _params())
    assert not inputs.matches("values", [], _params())
    named, _ = EventFilter.parse({"channels": ["custom:progress"]})
    assert named.matches("custom", [], _params({"name": "progress", "payload": 1}))
    assert not named.matches("custom", [], _params({"name": "other"}))
    assert not named.matches("custom", [], _params([1, 2]))
    every_custom, _ = EventFilter.parse({"channels": ["custom"]})
    assert every_custom.matches("custom", [], _params({"name": "other"}))


def test_a_command_has_an_integer_id_and_a_method() -> None:
    assert parse_command({"id": 3, "method": "state.get"}) == (3, "state.get", {})
    for bad in ({"id": "1", "method": "run.start"}, {"id": True, "method": "x"}, {"id": 1}, [1]):
        with pytest.raises(ProtocolError, match="integer id and string method"):
            parse_command(bad)
