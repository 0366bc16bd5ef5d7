"""Identifiers: UUIDv7 for threads and runs, uuid5 for graph assistants, and event ids.

Event ids follow the official `<unix-ms>-<seq>` shape and are compared as a pair of
integers, never as strings (`"9-0" > "10-0"` as strings).
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from typing import NamedTuple

ASSISTANT_NAMESPACE = uuid.UUID("6ba7b821-9dad-11d1-80b4-00c04fd430c8")


def assistant_id_for_graph(graph_id: str) -> str:
    """The official, deterministic id of a graph's default assistant."""
    return str(uuid.uuid5(ASSISTANT_NAMESPACE, graph_id))


_uuid7_lock = threading.Lock()
_uuid7_last = 0


def uuid7() -> str:
    """A time-ordered UUIDv7 (monotonic within this process)."""
    global _uuid7_last
    with _uuid7_lock:
        ms = time.time_ns() // 1_000_000
        # 12 bits of sub-millisecond counter keep ids ordered within one millisecond.
        stamp = max(ms << 12, _uuid7_last + 1)
        _uuid7_last = stamp
    ms, counter = stamp >> 12, stamp & 0xFFF
    rand = int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
    value = (ms << 80) | (0x7 << 76) | (counter << 64) | (0b10 << 62) | rand
    return str(uuid.UUID(int=value))


def canonical_uuid(value: str) -> str:
    """The canonical form (lower case, dashed) of a UUID written any way `uuid.UUID` reads
    (`{...}`, `urn:uuid:...`, no dashes, upper case), as the official server stores it;
    anything else unchanged.

    Example:
        >>> canonical_uuid("{6C5C4A1E6B8E4C559D1C1B8A2F7E0C11}")
        '6c5c4a1e-6b8e-4c55-9d1c-1b8a2f7e0c11'
        >>> canonical_uuid("agent")
        'agent'
    """
    if len(value) < 32 or len(value) > 45:
        return value
    try:
        return str(uuid.UUID(value))
    except (ValueError, AttributeError, TypeError):
        return value


def is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        return False
    return True


#: Event id parts are stored as signed 64-bit integers.
_MAX_ID_PART = 2**63 - 1


class EventId(NamedTuple):
    """An event id: `(milliseconds, sequence)`, ordered as integers."""

    ms: int
    seq: int

    def __str__(self) -> str:
        return f"{self.ms}-{self.seq}"

    @classmethod
    def parse(cls, raw: str) -> EventId | None:
        """Parse a `Last-Event-ID`. `0`, `-1`, `-` and `""` mean "from the start" (None).

        Raises ValueError for anything else that is not `<int>` or `<int>-<int>`.
        """
        text = raw.strip()
        if text in ("", "-", "0", "-1", "0-0"):
            return None
        ms, sep, seq = text.partition("-")
        if not ms.isascii() or not ms.isdigit() or (sep and not (seq.isascii() and seq.isdigit())):
            raise ValueError(f"Invalid Last-Event-ID: {raw!r}")
        parsed = cls(int(ms), int(seq) if sep else 0)
        if parsed.ms > _MAX_ID_PART or parsed.seq > _MAX_ID_PART:
            raise ValueError(f"Invalid Last-Event-ID: {raw!r} (each part must fit in 64 bits)")
        return parsed


def next_event_id(last: EventId | None) -> EventId:
    """The id after `last`: the current millisecond, or `last`'s with the next sequence
    number when the clock has not moved past it (or went backwards)."""
    ms = time.time_ns() // 1_000_000
    if last is None or ms > last.ms:
        return EventId(ms, 0)
    return EventId(last.ms, last.seq + 1)
