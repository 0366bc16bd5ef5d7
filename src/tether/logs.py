"""Log lines as text or as JSON (`--log-format`), Tether's and uvicorn's alike, on stderr.

A record about a run carries the run's ids as attributes (`log.warning(..., extra=run_fields(run))`):
a JSON line has them as fields, a text line ends with them (`[run_id=... thread_id=...]`).

Example:
    >>> import logging
    >>> record = logging.LogRecord("tether.worker", logging.WARNING, "", 0, "run failed", (), None)
    >>> record.run_id = "r1"
    >>> JsonFormatter().format(record).startswith('{"time": "')
    True
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tether.records import RunRecord

#: Attributes of a record that say which run it is about, in the order they are shown.
CONTEXT_FIELDS = ("run_id", "thread_id", "assistant_id", "graph_id", "attempt")
#: uvicorn's loggers: they propagate to the root logger, so they are formatted as Tether's.
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")
#: psycopg's pool warns at every failed reconnection: several lines a second per process
#: while PostgreSQL is away. One goes through per this many seconds.
RECONNECT_WARNING_EVERY = 30.0


def run_fields(run: RunRecord) -> dict[str, Any]:
    """The `extra=` of a record about `run`."""
    return {
        "run_id": run.run_id,
        "thread_id": run.thread_id,
        "assistant_id": run.assistant_id,
        "graph_id": run.graph_id,
        "attempt": run.attempt,
    }


def _context(record: logging.LogRecord) -> dict[str, Any]:
    return {
        key: value for key in CONTEXT_FIELDS if (value := getattr(record, key, None)) is not None
    }


class TextFormatter(logging.Formatter):
    """`2025-01-02 03:04:05,678 WARNING tether.worker: run failed [run_id=...]`, then the
    traceback, if any, on the lines below."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:
        line = super().formatMessage(record)
        context = " ".join(f"{key}={value}" for key, value in _context(record).items())
        return f"{line} [{context}]" if context else line


class JsonFormatter(logging.Formatter):
    """One JSON object per line: `time` (ISO 8601, UTC), `level`, `logger`, `message`; the
    run's ids when the record is about a run; `exc_info`, the whole traceback as text, when it
    carries an exception; `client`, `method`, `path`, `status` on uvicorn's access lines."""

    def format(self, record: logging.LogRecord) -> str:
        moment = datetime.fromtimestamp(record.created, tz=UTC)
        entry: dict[str, Any] = {
            "time": moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            **_context(record),
        }
        access = record.args if record.name == "uvicorn.access" else None
        if isinstance(access, tuple) and len(access) == 5:
            client, method, path, _, status = access
            entry.update(client=client, method=method, path=path, status=status)
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exc_info"] = record.exc_text
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class Repeated(logging.Filter):
    """Lets the records whose message starts with `prefix` through once per `every`
    seconds; the next one that goes through says how many were held back meanwhile.

    >>> now = [0.0]
    >>> only = Repeated("error connecting", 30, clock=lambda: now[0])
    >>> def record(msg: str) -> logging.LogRecord:
    ...     return logging.LogRecord("psycopg.pool", logging.WARNING, "", 0, msg, (), None)
    >>> [only.filter(record("error connecting: refused")) for _ in range(3)]
    [True, False, False]
    >>> only.filter(record("connection ok"))  # other messages pass
    True
    >>> now[0] = 31.0
    >>> later = record("error connecting: refused")
    >>> only.filter(later), later.getMessage()
    (True, 'error connecting: refused (2 more like it held back in the last 30 s)')
    """

    def __init__(
        self, prefix: str, every: float, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__()
        self.prefix = prefix
        self.every = every
        self._clock = clock
        self._last: float | None = None
        self._held = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if not str(record.msg).startswith(self.prefix):
            return True
        now = self._clock()
        if self._last is not None and now - self._last < self.every:
            self._held += 1
            return False
        if self._held:
            held = f" ({self._held} more like it held back in the last {self.every:.0f} s)"
            record.msg = f"{record.msg}{held}"  # no % in it: safe with the record's args
        self._last, self._held = now, 0
        return True


def configure(level: str, format: str) -> None:
    """Write records of `level` and above to stderr, as `text` or `json` lines, uvicorn's
    included (its server must be started with `log_config=None`). Calling it again replaces
    what an earlier call set up, and leaves other handlers (a test's) alone."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if format == "json" else TextFormatter())
    handler.set_name("tether")
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == "tether"]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in UVICORN_LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    pool = logging.getLogger("psycopg.pool")
    for old_filter in [f for f in pool.filters if isinstance(f, Repeated)]:
        pool.removeFilter(old_filter)
    pool.addFilter(Repeated("error connecting", RECONNECT_WARNING_EVERY))


def startup_failure(exc: BaseException, format: str) -> SystemExit:
    """How a process that cannot start ends (status 1): `tether: <reason>` on stderr or, with
    JSON logs, one `critical` record with the reason and the whole traceback of its cause."""
    if format != "json":
        return SystemExit(f"tether: {exc}")
    cause = exc.__cause__ or exc
    logging.getLogger("tether").critical(
        "%s", exc, exc_info=(type(cause), cause, cause.__traceback__)
    )
    return SystemExit(1)
