"""Settings from `TETHER_*` environment variables, mirrored by CLI flags."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any


def _env(name: str, default: str) -> str:
    return os.environ.get(f"TETHER_{name}", default)


class SettingsError(ValueError):
    """A setting has a value Tether cannot use; the message names the variable."""


def _number(kind: type[int] | type[float], name: str, default: str) -> Any:
    """A numeric `TETHER_<name>`; a value that is not one is a clear error, not a traceback."""
    text = _env(name, default)
    try:
        return kind(text)
    except ValueError:
        what = "an integer" if kind is int else "a number"
        raise SettingsError(f"TETHER_{name} must be {what}, not {text!r}") from None


def _env_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass(frozen=True)
class Settings:
    """Everything configurable about a Tether process.

    Example:
        >>> Settings.from_env(port=8080).port
        8080
    """

    config: Path = Path("langgraph.json")
    host: str = "127.0.0.1"
    port: int = 2024
    data_dir: Path = Path(".tether")
    database_url: str = ""  # default: sqlite in data_dir
    #: Redis for notices between processes (with a `postgresql://` database).
    redis_url: str = ""
    #: Every Redis key and channel starts with this (several deployments, one Redis).
    redis_prefix: str = "tether"
    #: Apply database migrations at start (PostgreSQL; SQLite always migrates).
    migrate: bool = False
    #: Connections in this process's PostgreSQL pool at most.
    database_pool_size: int = 20
    #: How many runs execute at once in this process.
    workers: int = 16
    #: Seconds between SSE heartbeat comments (and `/wait` padding newlines).
    heartbeat_seconds: float = 5.0
    #: How long a finished run's event log is kept for replay.
    event_retention_seconds: float = 7 * 24 * 3600.0
    #: A run that runs longer than this ends with status `timeout`.
    run_timeout_seconds: float = 24 * 3600.0
    #: A worker's claim on a run lasts this long unless renewed by its heartbeat.
    lease_seconds: float = 30.0
    #: The queue is polled at least this often, as a guarantee behind wake-up signals.
    poll_seconds: float = 1.0
    #: On SIGTERM, running runs get this long to finish before they are handed back to the
    #: queue (another worker resumes them from their last checkpoint).
    shutdown_grace_seconds: float = 10.0
    webhook_retries: int = 3
    #: `tether worker` serves its Prometheus metrics on this port (0: not served; API
    #: processes serve them at `/metrics`).
    metrics_port: int = 0
    log_level: str = "info"
    #: `tether dev` restarts its server when the project's code changes (`dev` only).
    reload: bool = True
    #: `Host` names the server answers besides loopback names, IP addresses and the address
    #: it listens on (comma-separated; `*` answers any). Guards against DNS rebinding.
    allowed_hosts: str = ""
    #: A request body larger than this is refused with 413 before it is read.
    max_body_bytes: int = 16 * 1024 * 1024

    @classmethod
    def from_env(cls, **overrides: Any) -> Settings:
        base = cls(
            config=Path(_env("CONFIG", "langgraph.json")),
            host=_env("HOST", "127.0.0.1"),
            port=_number(int, "PORT", "2024"),
            data_dir=Path(_env("DATA_DIR", ".tether")),
            database_url=_env("DATABASE_URL", ""),
            redis_url=_env("REDIS_URL", ""),
            redis_prefix=_env("REDIS_PREFIX", "tether"),
            migrate=_env("MIGRATE", "false").strip().lower() in ("1", "true", "yes", "on"),
            database_pool_size=_number(int, "DATABASE_POOL_SIZE", "20"),
            workers=_number(int, "WORKERS", "16"),
            heartbeat_seconds=_number(float, "HEARTBEAT_SECONDS", "5"),
            event_retention_seconds=_number(float, "EVENT_RETENTION_SECONDS", str(7 * 24 * 3600)),
            run_timeout_seconds=_number(float, "RUN_TIMEOUT_SECONDS", str(24 * 3600)),
            lease_seconds=_number(float, "LEASE_SECONDS", "30"),
            poll_seconds=_number(float, "POLL_SECONDS", "1"),
            webhook_retries=_number(int, "WEBHOOK_RETRIES", "3"),
            shutdown_grace_seconds=_number(float, "SHUTDOWN_GRACE_SECONDS", "10"),
            log_level=_env("LOG_LEVEL", "info"),
            reload=_env("RELOAD", "true").strip().lower() not in ("0", "false", "no", "off"),
            allowed_hosts=_env("ALLOWED_HOSTS", ""),
            max_body_bytes=_number(int, "MAX_BODY_BYTES", str(16 * 1024 * 1024)),
            metrics_port=_number(int, "METRICS_PORT", "0"),
        )
        known = {f.name for f in fields(cls)}
        return replace(base, **{k: v for k, v in overrides.items() if k in known and v is not None})

    def to_env(self) -> dict[str, str]:
        """The `TETHER_*` variables under which `from_env()` returns these settings (how a
        process hands its resolved settings to a child process).

        Example:
            >>> Settings(port=8080, migrate=True).to_env()["TETHER_MIGRATE"]
            'true'
        """
        return {f"TETHER_{f.name.upper()}": _env_text(getattr(self, f.name)) for f in fields(self)}

    @property
    def host_names(self) -> list[str]:
        """`allowed_hosts` as a list of lower-case names."""
        return [h.strip().lower() for h in self.allowed_hosts.split(",") if h.strip()]

    @property
    def sqlite_path(self) -> Path:
        if self.database_url.startswith("sqlite:///"):
            return Path(self.database_url.removeprefix("sqlite:///"))
        return self.data_dir / "tether.sqlite"
