"""A sans-I/O decoder for server-sent events.

Feed it bytes as they arrive, in chunks of any size; it returns the events completed so far.
It follows the WHATWG event-stream rules: lines end in CRLF, LF or CR (a CRLF split across
two chunks counts once), a leading UTF-8 BOM is dropped, ``:`` lines are comments
(heartbeats), ``data`` lines accumulate, and the last event id persists from one event to
the next until the server sends another ``id`` line.

The same decoder serves the async and the sync clients; nothing here touches the network.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import orjson

from tether_sdk._schema import StreamPart

_LINE_BREAK = re.compile(rb"\r\n|\r|\n")
_BOM = b"\xef\xbb\xbf"


class BytesLineDecoder:
    """Split a byte stream into lines, whatever the chunking.

    Example:
        >>> lines = BytesLineDecoder()
        >>> lines.decode(b"event: a\\r")
        [b'event: a']
        >>> lines.decode(b"\\ndata: 1")
        []
        >>> lines.flush()
        [b'data: 1']
    """

    def __init__(self) -> None:
        self._partial = bytearray()
        # A chunk that ends in CR may be the first half of a CRLF.
        self._skip_leading_lf = False

    def decode(self, chunk: bytes | bytearray | memoryview) -> list[bytes]:
        """Return the lines completed by ``chunk``, without their line terminators."""
        data = bytes(chunk)
        if not data:
            return []
        if self._skip_leading_lf:
            self._skip_leading_lf = False
            if data.startswith(b"\n"):
                data = data[1:]
                if not data:
                    return []
        lines: list[bytes] = []
        start = 0
        for match in _LINE_BREAK.finditer(data):
            if self._partial:
                self._partial += data[start : match.start()]
                lines.append(bytes(self._partial))
                self._partial.clear()
            else:
                lines.append(data[start : match.start()])
            start = match.end()
        self._partial += data[start:]
        self._skip_leading_lf = data.endswith(b"\r")
        return lines

    def flush(self) -> list[bytes]:
        """Return the unterminated last line, if any (call at end of stream)."""
        line, self._partial = bytes(self._partial), bytearray()
        self._skip_leading_lf = False
        return [line] if line else []


@dataclass(frozen=True, slots=True)
class ServerSentEvent:
    """One dispatched event block.

    Attributes:
        event: The ``event`` field, ``""`` when absent.
        data: The ``data`` lines joined with ``\\n`` and decoded as JSON; the raw text
            when it is not JSON; ``None`` when empty.
        id: This block's own ``id`` field, ``None`` when the block had none.
        last_event_id: The stream's last event id after this block (persists across
            blocks), ``None`` before any id.
        has_data: Whether the block had at least one ``data`` line.
        retry: The ``retry`` field in milliseconds, if any.
    """

    event: str
    data: Any
    id: str | None
    last_event_id: str | None
    has_data: bool
    retry: int | None = None

    def to_stream_part(self) -> StreamPart:
        """The ``StreamPart(event, data, id)`` the clients yield for this block."""
        return StreamPart(event=self.event, data=self.data, id=self.last_event_id or None)


class SSEDecoder:
    """Turn lines into server-sent events.

    ``decode_event`` returns a :class:`ServerSentEvent` on each blank line that ends a
    non-empty block. ``decode`` is the langgraph-sdk compatible form returning a
    ``StreamPart``.

    Example:
        >>> decoder = SSEDecoder()
        >>> [decoder.decode_event(line) for line in (b"event: values", b'data: {"a": 1}')]
        [None, None]
        >>> decoder.decode_event(b"").data
        {'a': 1}
    """

    _event: str
    _data: bytearray
    _block_has_data: bool
    _id: str | None
    _retry: int | None

    def __init__(self, *, last_event_id: str | None = None) -> None:
        self._last_event_id = last_event_id
        self._at_stream_start = True
        self._reset_block()
        self._has_data = False

    @property
    def last_event_id(self) -> str | None:
        """The last event id seen (``""`` after an empty ``id`` line, which resets it)."""
        return self._last_event_id

    @property
    def has_data(self) -> bool:
        """Whether the block dispatched last had a ``data`` field."""
        return self._has_data

    def decode(self, line: bytes) -> StreamPart | None:
        """Feed one line; return a ``StreamPart`` when the line completes an event."""
        event = self.decode_event(line)
        return None if event is None else event.to_stream_part()

    def decode_event(self, line: bytes) -> ServerSentEvent | None:
        """Feed one line (without its terminator); return the event it completes, if any."""
        if self._at_stream_start:
            self._at_stream_start = False
            line = line.removeprefix(_BOM)
        if not line:
            return self._dispatch()
        if line.startswith(b":"):
            return None
        name, _, value = line.partition(b":")
        if value.startswith(b" "):
            value = value[1:]
        if name == b"event":
            self._event = value.decode("utf-8", "replace")
        elif name == b"data":
            self._data += value
            self._data += b"\n"
            self._block_has_data = True
        elif name == b"id":
            if b"\0" not in value:
                self._id = self._last_event_id = value.decode("utf-8", "replace")
        elif name == b"retry" and value.isdigit():
            self._retry = int(value)
        return None

    def _dispatch(self) -> ServerSentEvent | None:
        if (
            not (self._event or self._block_has_data or self._id is not None)
            and self._retry is None
        ):
            return None
        self._has_data = self._block_has_data
        event = ServerSentEvent(
            event=self._event,
            data=_parse_data(bytes(self._data[:-1])),
            id=self._id,
            last_event_id=self._last_event_id,
            has_data=self._block_has_data,
            retry=self._retry,
        )
        self._reset_block()
        return event

    def _reset_block(self) -> None:
        self._event = ""
        self._data = bytearray()
        self._block_has_data = False
        self._id = None
        self._retry = None


class EventStreamDecoder:
    """Bytes in, events out: :class:`BytesLineDecoder` and :class:`SSEDecoder` together.

    Example:
        >>> decoder = EventStreamDecoder()
        >>> decoder.feed(b"event: custom\\r\\ndata: 1\\r\\nid: 7-0\\r")
        []
        >>> [(e.event, e.data, e.id) for e in decoder.feed(b"\\n\\r\\n: heartbeat\\r\\n\\r\\n")]
        [('custom', 1, '7-0')]
    """

    def __init__(self, *, last_event_id: str | None = None) -> None:
        self._lines = BytesLineDecoder()
        self._events = SSEDecoder(last_event_id=last_event_id)

    @property
    def last_event_id(self) -> str | None:
        """The stream's last event id so far."""
        return self._events.last_event_id

    def feed(self, chunk: bytes | bytearray | memoryview) -> list[ServerSentEvent]:
        """Return the events completed by ``chunk``."""
        return self._decode_lines(self._lines.decode(chunk))

    def close(self) -> list[ServerSentEvent]:
        """End of stream: return the event left without a closing blank line, if any."""
        return self._decode_lines([*self._lines.flush(), b""])

    def _decode_lines(self, lines: list[bytes]) -> list[ServerSentEvent]:
        events = []
        for line in lines:
            if (event := self._events.decode_event(line)) is not None:
                events.append(event)
        return events


def _parse_data(body: bytes) -> Any:
    if not body or body.isspace():
        return None
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        text = body.decode("utf-8", "replace")
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            return text
