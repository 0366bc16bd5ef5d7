"""Normalisation and comparison of transcripts (pure, no I/O).

A transcript is what one scenario observed on one server: a dict of named observations (event
lists, statuses, status codes, bodies). Before two transcripts are compared, only what must
differ between two correct servers is rewritten, and nothing else:

- ids the servers generate, in values and in keys (uuids of threads, runs, checkpoints, tasks, messages; 32-hex
  interrupt ids; `<ms>-<seq>` event ids) become placeholders. Ids under the keys in `NAMED_IDS`
  get a numbered name per kind in order of first appearance (`<run:1>`), so that "this event
  names the run that was created" is still compared; any other uuid becomes `<uuid>`;
- timestamps: ISO-8601 strings become `<ts>`, the `t` of the example graphs' custom events
  (`time.time()` at emit) becomes `<t>`;
- the keys in `SERVER_IDENTITY_KEYS`, which name the server, its version, plan, URL, request or
  auth context, are removed wherever they appear.

`differences()` then walks both transcripts and returns every path where they disagree.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
HEX32 = re.compile(r"(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])")
EVENT_ID = re.compile(r"^\d{10,}-\d+$")
ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$")

#: Keys whose uuid value gets a numbered placeholder of its own kind.
NAMED_IDS = {
    "thread_id": "thread",
    "run_id": "run",
    "checkpoint_id": "checkpoint",
    "parent_checkpoint_id": "checkpoint",
    "assistant_id": "assistant",
    "cron_id": "cron",
}

#: Keys that say which server answered, never what it did: removed everywhere.
SERVER_IDENTITY_KEYS = frozenset(
    {
        "langgraph_api_version",  # the server's own version
        "langgraph_plan",  # the official server's licence plan ("enterprise")
        "langgraph_host",  # "self-hosted" deployment kind
        "langgraph_api_url",  # the URL the server believes it has (its port differs)
        "langgraph_request_id",  # a per-request uuid of the official server's middleware
        "__request_start_time_ms__",  # a timestamp
        "langgraph_auth_user",  # the official server's auth context (no auth configured in either)
        "langgraph_auth_user_id",
        "langgraph_auth_permissions",
        "tether_version",  # Tether's own version, its counterpart of langgraph_api_version
    }
)

#: Keys holding the example graphs' emit timestamps.
TIME_KEYS = frozenset({"t"})


class Normalizer:
    """Rewrites one transcript; keep one instance per transcript so numbering is per server."""

    def __init__(self) -> None:
        self._names: dict[str, str] = {}
        self._counts: Counter[str] = Counter()

    def _name(self, value: str, kind: str) -> str:
        if value not in self._names:
            self._counts[kind] += 1
            self._names[value] = f"<{kind}:{self._counts[kind]}>"
        return self._names[value]

    def _string(self, value: str) -> str:
        if EVENT_ID.match(value):
            return "<event-id>"
        if ISO_TIME.match(value):
            return "<ts>"
        value = UUID.sub(lambda m: self._names.get(m.group(0).lower(), "<uuid>"), value)
        return HEX32.sub("<hex32>", value)

    def __call__(self, value: Any, key: str | None = None) -> Any:
        if isinstance(value, dict):
            # Name the ids of this level first, so a sibling string can refer to them.
            for k, v in value.items():
                if k in NAMED_IDS and isinstance(v, str) and UUID.fullmatch(v):
                    self._name(v.lower(), NAMED_IDS[k])
            return {
                self._string(k): self(v, k)
                for k, v in value.items()
                if k not in SERVER_IDENTITY_KEYS
            }
        if isinstance(value, list | tuple):
            return [self(v) for v in value]
        if isinstance(value, str):
            return self._string(value)
        if key in TIME_KEYS and isinstance(value, int | float) and not isinstance(value, bool):
            return "<t>"
        return value


def normalize(transcript: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = Normalizer()(transcript)
    return result


MISSING = "<missing>"


@dataclass(frozen=True)
class Difference:
    path: str
    official: Any
    tether: Any

    def __str__(self) -> str:
        return f"{self.path}:\n    official: {_short(self.official)}\n    tether:   {_short(self.tether)}"


def _short(value: Any, limit: int = 600) -> str:
    text = value if value == MISSING else json.dumps(value, default=str, sort_keys=True)
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} chars)"


def differences(official: Any, tether: Any, path: str = "") -> list[Difference]:
    """Every place where the two (normalised) values disagree. Paths join keys and list
    indices with dots (`stream.3.data.counter`). Lists of different lengths are one difference
    at the list's path, carrying both lists."""
    if isinstance(official, dict) and isinstance(tether, dict):
        found = []
        for key in sorted(set(official) | set(tether), key=str):
            sub = f"{path}.{key}" if path else str(key)
            found += differences(official.get(key, MISSING), tether.get(key, MISSING), sub)
        return found
    if isinstance(official, list) and isinstance(tether, list):
        if len(official) != len(tether):
            return [Difference(path, official, tether)]
        found = []
        for index, (a, b) in enumerate(zip(official, tether, strict=True)):
            found += differences(a, b, f"{path}.{index}" if path else str(index))
        return found
    if official != tether or type(official) is not type(tether):
        return [Difference(path, official, tether)]
    return []


ANY: Any = object()


@dataclass(frozen=True)
class Allowed:
    """A difference that is expected: `scenario` and `path` are shell-style patterns.

    With `tether_is`, the difference is allowed only when Tether's side has exactly that value
    (for quirks that only the official server may show, such as events lost on resume)."""

    scenario: str
    path: str
    kind: str  # "quirk" | "choice" (see test_differential.ALLOWED)
    why: str
    tether_is: Any = ANY

    def matches(self, scenario: str, difference: Difference) -> bool:
        return (
            fnmatch.fnmatchcase(scenario, self.scenario)
            and fnmatch.fnmatchcase(difference.path, self.path)
            and (self.tether_is is ANY or difference.tether == self.tether_is)
        )
