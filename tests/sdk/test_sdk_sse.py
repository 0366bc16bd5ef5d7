"""The sans-I/O SSE decoder, on raw bytes."""

from __future__ import annotations

import doctest

from hypothesis import given
from hypothesis import strategies as st
from tether_sdk import StreamPart, _sse
from tether_sdk.sse import BytesLineDecoder, EventStreamDecoder, ServerSentEvent, SSEDecoder


def decode_all(chunks: list[bytes], **kwargs: str) -> list[ServerSentEvent]:
    decoder = EventStreamDecoder(**kwargs)
    events = [event for chunk in chunks for event in decoder.feed(chunk)]
    return events + decoder.close()


def summary(events: list[ServerSentEvent]) -> list[tuple[str, object, str | None, str | None]]:
    return [(e.event, e.data, e.id, e.last_event_id) for e in events]


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({cut % (len(data) + 1) for cut in cuts})
    return [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]


def test_crlf_lf_and_cr_line_endings_decode_the_same() -> None:
    lf = b'event: values\ndata: {"a": 1}\nid: 1-0\n\nevent: end\ndata: null\n\n'
    expected = [("values", {"a": 1}, "1-0", "1-0"), ("end", None, None, "1-0")]
    assert summary(decode_all([lf])) == expected
    assert summary(decode_all([lf.replace(b"\n", b"\r\n")])) == expected
    assert summary(decode_all([lf.replace(b"\n", b"\r")])) == expected


def test_crlf_split_between_chunks_is_one_line_break() -> None:
    events = decode_all([b"event: a\r", b"\ndata: 1\r", b"\n\r", b"\n"])
    assert summary(events) == [("a", 1, None, None)]


def test_cr_at_chunk_end_followed_by_a_line_is_a_line_break() -> None:
    events = decode_all([b"data: 1\r", b"\r", b"data: 2\r", b"\r"])
    assert [e.data for e in events] == [1, 2]


def test_heartbeat_comments_are_ignored() -> None:
    events = decode_all([b": heartbeat\r\n\r\n", b"data: 1\r\n: mid-event comment\r\n\r\n"])
    assert summary(events) == [("", 1, None, None)]


def test_leading_utf8_bom_is_dropped_even_when_split() -> None:
    body = "\ufeffevent: values\ndata: 1\n\n".encode()
    assert summary(decode_all([body[:1], body[1:2], body[2:]])) == [("values", 1, None, None)]
    # Only at the very start of the stream: a later BOM is part of the field name.
    assert decode_all([b"data: 1\n\n\xef\xbb\xbfevent: x\ndata: 2\n\n"])[1].event == ""


def test_multi_line_data_is_joined_with_newlines() -> None:
    events = decode_all([b'data: {"a":\ndata: [1,\ndata:  2]}\n\ndata: line one\ndata: two\n\n'])
    assert [e.data for e in events] == [{"a": [1, 2]}, "line one\ntwo"]


def test_last_event_id_persists_until_the_next_id() -> None:
    events = decode_all([b"data: 1\nid: 7-0\n\ndata: 2\n\ndata: 3\nid: 7-1\n\n"])
    assert [(e.id, e.last_event_id) for e in events] == [
        ("7-0", "7-0"),
        (None, "7-0"),
        ("7-1", "7-1"),
    ]
    assert [e.to_stream_part() for e in events] == [
        StreamPart("", 1, "7-0"),
        StreamPart("", 2, "7-0"),
        StreamPart("", 3, "7-1"),
    ]


def test_id_after_data_and_id_before_data_are_equivalent() -> None:
    after = decode_all([b"event: a\ndata: 1\nid: 9-0\n\n"])
    before = decode_all([b"id: 9-0\nevent: a\ndata: 1\n\n"])
    assert summary(after) == summary(before) == [("a", 1, "9-0", "9-0")]


def test_empty_id_resets_the_last_event_id_and_nul_ids_are_ignored() -> None:
    events = decode_all([b"data: 1\nid: 1-0\n\ndata: 2\nid\n\ndata: 3\nid: a\x00b\n\n"])
    assert [(e.id, e.last_event_id) for e in events] == [("1-0", "1-0"), ("", ""), (None, "")]
    assert events[1].to_stream_part().id is None


def test_initial_last_event_id_is_carried_by_events_without_ids() -> None:
    assert decode_all([b"data: 1\n\n"], last_event_id="4-2")[0].last_event_id == "4-2"


def test_empty_and_blank_data_decode_to_none_but_count_as_data() -> None:
    events = decode_all([b"event: a\ndata\n\nevent: b\ndata: \n\nevent: c\ndata:   \n\n"])
    assert [(e.event, e.data, e.has_data) for e in events] == [
        ("a", None, True),
        ("b", None, True),
        ("c", None, True),
    ]


def test_blocks_without_fields_dispatch_nothing_and_id_only_blocks_do() -> None:
    events = decode_all([b"\n\n\n: c\n\nid: 5-0\n\nretry: 100\n\n"])
    assert [(e.event, e.has_data, e.id, e.retry) for e in events] == [
        ("", False, "5-0", None),
        ("", False, None, 100),
    ]


def test_unknown_fields_and_lines_without_colon() -> None:
    events = decode_all([b"foo: bar\ndata\nevent\nevent: x\n\n"])
    assert summary(events) == [("x", None, None, None)]


def test_one_leading_space_is_stripped_from_values() -> None:
    events = decode_all([b'event:  spaced\ndata:  "two"\n\n'])
    assert summary(events) == [(" spaced", "two", None, None)]


def test_non_json_data_is_returned_as_text() -> None:
    assert decode_all([b"data: hello world\n\n"])[0].data == "hello world"


def test_invalid_utf8_is_replaced_not_fatal() -> None:
    event = decode_all([b'event: a\xff\ndata: "x\xff"\n\n'])[0]
    assert event.event == "a\ufffd"
    assert event.data == "x\ufffd"


def test_event_left_open_at_end_of_stream_is_dispatched_on_close() -> None:
    decoder = EventStreamDecoder()
    assert decoder.feed(b"event: end\ndata: null") == []
    assert summary(decoder.close()) == [("end", None, None, None)]


def test_line_decoder_flushes_the_unterminated_last_line() -> None:
    lines = BytesLineDecoder()
    assert lines.decode(b"a\r\nb") == [b"a"]
    assert lines.decode(memoryview(b"c\r")) == [b"bc"]
    assert lines.decode(b"\n") == []
    assert lines.decode(b"") == []
    assert lines.decode(b"tail") == []
    assert lines.flush() == [b"tail"]
    assert lines.flush() == []


def test_langgraph_sdk_compatible_decode_returns_stream_parts() -> None:
    decoder = SSEDecoder()
    assert decoder.decode(b"event: values") is None
    assert decoder.decode(b'data: {"a": 1}') is None
    assert decoder.decode(b"id: 3-0") is None
    assert decoder.decode(b"") == StreamPart("values", {"a": 1}, "3-0")
    assert decoder.has_data and decoder.last_event_id == "3-0"


def test_docstring_examples() -> None:
    assert doctest.testmod(_sse).failed == 0


# -- property: chunking never changes the result ---------------------------------------------

_fields = st.sampled_from([b"event", b"data", b"id", b"retry", b"", b"x", b":"])
_values = st.sampled_from(
    [b"", b" ", b" values", b' {"a": [1, 2]}', b" 12-3", b"\xef\xbb\xbf", b" caf\xc3\xa9", b" \xff"]
)
_newlines = st.sampled_from([b"\n", b"\r", b"\r\n"])
_lines = st.tuples(_fields, st.sampled_from([b":", b""]), _values, _newlines).map(b"".join)
_streams = st.tuples(st.sampled_from([b"", b"\xef\xbb\xbf"]), st.lists(_lines, max_size=40)).map(
    lambda parts: parts[0] + b"".join(parts[1])
)


@given(_streams, st.lists(st.integers(min_value=0), max_size=30))
def test_any_chunking_decodes_like_one_chunk(stream: bytes, cuts: list[int]) -> None:
    assert summary(decode_all(split(stream, cuts))) == summary(decode_all([stream]))


@given(_streams)
def test_byte_by_byte_decodes_like_one_chunk(stream: bytes) -> None:
    one_by_one = [stream[i : i + 1] for i in range(len(stream))]
    assert summary(decode_all(one_by_one)) == summary(decode_all([stream]))


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["values", "custom", "updates|child:1", ""]),
            st.recursive(
                st.none() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=5),
                st.lists,
                max_leaves=5,
            ),
            st.one_of(st.none(), st.integers(0, 99).map(lambda n: f"{n}-0")),
        ),
        max_size=15,
    ),
    _newlines,
    st.lists(st.integers(min_value=0), max_size=20),
)
def test_encoded_events_round_trip(
    events: list[tuple[str, object, str | None]], newline: bytes, cuts: list[int]
) -> None:
    import orjson

    body = b""
    for name, data, event_id in events:
        body += b"event: " + name.encode() + newline if name else b""
        body += b"data: " + orjson.dumps(data) + newline
        body += b"id: " + event_id.encode() + newline if event_id else b""
        body += b": heartbeat" + newline + newline
        body += newline
    decoded = decode_all(split(body, cuts))
    assert [(e.event, e.data, e.id) for e in decoded] == events
