"""The pure rules of the thread-centric protocol (v3): command envelopes, event filters and
the integer `seq` of each event.

`seq` is the event's log id folded into one integer that a JavaScript client reads
exactly (below 2**53): milliseconds since 2026-01-01 shifted left by `SEQ_BITS`, plus the
id's sequence number. It is the same on every connection and every process, and a `since`
read back gives the log id after which to resume, so a reconnect repeats nothing and misses
nothing. (Only if one thread logged more than 2**SEQ_BITS events in one millisecond would
several of them share a `seq`; a resume among them would repeat some, never lose one.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from langchain_protocol import ErrorResponse

from tether.ids import EventId
from tether.serialization import loads

EPOCH_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z
SEQ_BITS = 13
_SEQ_MASK = (1 << SEQ_BITS) - 1

CHANNELS = frozenset(
    {
        "values",
        "updates",
        "messages",
        "tools",
        "custom",
        "lifecycle",
        "input",
        "tasks",
        "checkpoints",
    }
)
#: Methods whose channel has the same name.
_DIRECT = CHANNELS - {"input", "custom"}


class ProtocolError(Exception):
    """A command that fails with a protocol error code (sent as `{"type": "error"}`)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def event_seq(event_id: EventId) -> int:
    """The protocol `seq` of a logged event."""
    return (max(0, event_id.ms - EPOCH_MS) << SEQ_BITS) | min(event_id.seq, _SEQ_MASK)


def cursor_of(since: int | None) -> EventId | None:
    """The log position after which a `since` resumes (None: from the start)."""
    if since is None or since <= 0:
        return None
    return EventId((since >> SEQ_BITS) + EPOCH_MS, since & _SEQ_MASK)


def error_response(command_id: Any, code: str, message: str) -> ErrorResponse:
    return {"type": "error", "id": command_id, "error": code, "message": message}  # type: ignore[typeddict-item]


def parse_command(body: Any) -> tuple[int, str, dict[str, Any]]:
    """`(id, method, params)` of a command envelope; ProtocolError when it is malformed."""
    if (
        not isinstance(body, dict)
        or not isinstance(body.get("id"), int)
        or isinstance(body.get("id"), bool)
        or not isinstance(body.get("method"), str)
    ):
        raise ProtocolError(
            "invalid_argument", "Protocol commands must include an integer id and string method."
        )
    params = body.get("params")
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise ProtocolError("invalid_argument", "Protocol command params must be an object.")
    return body["id"], body["method"], params


def _non_negative_int(value: Any) -> int | None:
    """`value` if it is an integer >= 0 (not a boolean); else None (ignored, as the
    official server ignores such values)."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None


def _valid_channel(channel: Any) -> bool:
    return isinstance(channel, str) and (
        channel in CHANNELS or (channel.startswith("custom:") and len(channel) > len("custom:"))
    )


@dataclass(frozen=True)
class EventFilter:
    """Which events a subscription (or one SSE connection) receives.

    `namespaces` match by prefix, segment by segment; a segment without `:` also matches
    `name:<task id>`. `depth` bounds how far below the prefix an event may be; with no
    `namespaces`, below the root (`depth: 0` is the root graph only)."""

    channels: frozenset[str]
    namespaces: tuple[tuple[str, ...], ...] | None = None
    depth: int | None = None

    @classmethod
    def parse(cls, params: dict[str, Any]) -> tuple[EventFilter, int | None]:
        """The filter and the `since` of a subscribe body. Raises ProtocolError."""
        channels = params.get("channels")
        if not isinstance(channels, list) or not channels:
            raise ProtocolError(
                "invalid_argument", "channels is required and must be a non-empty array"
            )
        bad = [str(c) for c in channels if not _valid_channel(c)]
        if bad:
            raise ProtocolError(
                "invalid_argument",
                f"channels contains unsupported entries: {', '.join(bad)}. Allowed: "
                + ", ".join(sorted(CHANNELS))
                + ", or any `custom:<name>`.",
            )
        raw_namespaces = params.get("namespaces")
        namespaces = None
        if isinstance(raw_namespaces, list):
            namespaces = tuple(
                tuple(ns)
                for ns in raw_namespaces
                if isinstance(ns, list) and all(isinstance(s, str) for s in ns)
            )
        return (
            cls(
                channels=frozenset(channels),
                namespaces=namespaces,
                depth=_non_negative_int(params.get("depth")),
            ),
            _non_negative_int(params.get("since")),
        )

    def matches(self, method: str, namespace: Sequence[str], params_json: bytes) -> bool:
        if not self._channel_matches(method, params_json):
            return False
        prefixes = self.namespaces
        if not prefixes:
            if self.depth is None:
                return True
            prefixes = ((),)
        return any(
            _is_prefix(namespace, prefix)
            and (self.depth is None or len(namespace) - len(prefix) <= self.depth)
            for prefix in prefixes
        )

    def _channel_matches(self, method: str, params_json: bytes) -> bool:
        if method in _DIRECT:
            return method in self.channels
        if method == "input.requested":
            return "input" in self.channels
        if method != "custom":
            return False
        if "custom" in self.channels:
            return True
        named = [c for c in self.channels if c.startswith("custom:")]
        if not named:
            return False
        data = loads(params_json).get("data")
        name = data.get("name") if isinstance(data, dict) else None
        return isinstance(name, str) and f"custom:{name}" in self.channels


def _is_prefix(namespace: Sequence[str], prefix: Sequence[str]) -> bool:
    if len(prefix) > len(namespace):
        return False
    for want, have in zip(prefix, namespace, strict=False):
        if want == have:
            continue
        if ":" in want or have.partition(":")[0] != want:
            return False
    return True


def split_event_name(name: str) -> tuple[str, list[str]]:
    """`(method, namespace)` of a logged protocol event's name (`values|child:<task>`)."""
    method, *namespace = name.split("|")
    return method, namespace


def envelope(event_id: EventId, method: str, params_json: bytes) -> bytes:
    """The wire form of one event (the params are sent as logged)."""
    return b"".join(
        (
            b'{"type":"event","event_id":"',
            str(event_id).encode(),
            b'","seq":',
            str(event_seq(event_id)).encode(),
            b',"method":"',
            method.encode(),
            b'","params":',
            params_json,
            b"}",
        )
    )
