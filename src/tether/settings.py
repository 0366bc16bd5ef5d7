"""Every setting of a Tether process, declared once.

Each field of `Settings` carries its type, default, limits and description. From those come the
`TETHER_*` environment variables, the `tether` command's flags and their `--help` (`Flag` says
which sub-commands take a flag), the one-line message for a bad value, and the table in
docs/configuration.md (`python -m tether.settings --markdown` prints it).

Where a value comes from, first found wins: a flag, the environment (`TETHER_PORT=8080`), a
`.env` file in the current folder, the default.

Example:
    >>> Settings(port=8080).port
    8080
    >>> Settings.from_env(port=8080, workers=None).port  # None: not given
    8080
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import BeforeValidator, Field, ValidationError
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

#: The prefix of every setting's environment variable.
ENV_PREFIX = "TETHER_"
#: The file of `TETHER_*` lines read besides the environment (in the current folder).
ENV_FILE = ".env"

LogLevel = Literal["debug", "info", "warning", "error", "critical"]
LogFormat = Literal["text", "json"]


class SettingsError(ValueError):
    """A setting has a value Tether cannot use; the message names the variable (or flag) and
    what it may be, one line per bad value."""


@dataclass(frozen=True)
class Flag:
    """A setting's command-line flag: the `tether` sub-commands that take it, and its name
    (default: `--` and the setting's name with dashes)."""

    commands: tuple[str, ...]
    name: str = ""


_SERVERS = ("dev", "serve")
_RUNNERS = ("dev", "serve", "worker")
_ALL = ("dev", "serve", "worker", "migrate")


def _lower(value: Any) -> Any:
    return value.lower().strip() if isinstance(value, str) else value


_Choice = BeforeValidator(_lower)  # `TETHER_LOG_LEVEL=INFO` is `info`


class Settings(BaseSettings):
    """Everything configurable about a Tether process; immutable.

    `Settings(...)` holds exactly the values it is given (and the defaults): it never reads the
    environment. `Settings.from_env()` does. Change one with `settings.model_copy(update=...)`.

    Example:
        >>> Settings.from_env(port=8080).port
        8080
        >>> Settings(port=8080).model_copy(update={"port": 9090}).port
        9090
    """

    model_config = SettingsConfigDict(
        frozen=True,
        extra="forbid",
        env_prefix=ENV_PREFIX,
        env_file=ENV_FILE,
        env_file_encoding="utf-8",
        # The `.env` of a LangGraph project also holds its API keys: only settings are read.
        dotenv_filtering="only_existing",
    )

    config: Annotated[Path, Flag(_ALL)] = Field(
        Path("langgraph.json"), description="the project's langgraph.json"
    )
    data_dir: Annotated[Path, Flag(_ALL)] = Field(
        Path(".tether"), description="the folder of the SQLite files"
    )
    database_url: Annotated[str, Flag(_ALL)] = Field(
        "",
        description="sqlite:///PATH (the database file; wins over the data folder), or"
        " postgresql://user@host/db to share storage between processes; empty: SQLite in the"
        " data folder",
    )
    redis_url: Annotated[str, Flag(_ALL)] = Field(
        "",
        description="redis://host:6379/0 (or rediss://, unix://) for notices between processes;"
        " needed with PostgreSQL",
    )
    redis_prefix: Annotated[str, Flag(_ALL)] = Field(
        "tether",
        description="the start of every Redis key and channel, so several deployments can share"
        " one Redis",
    )
    host: Annotated[str, Flag(_SERVERS)] = Field(
        "127.0.0.1",
        description="the interface to listen on; a worker serves its metrics there",
    )
    port: Annotated[int, Flag(_SERVERS)] = Field(
        2024, ge=0, le=65535, description="the port to listen on"
    )
    allowed_hosts: Annotated[str, Flag(_SERVERS)] = Field(
        "",
        description="Host names the server answers besides loopback names, IP addresses and"
        " --host, comma-separated (* answers any); guards against DNS rebinding",
    )
    max_body_bytes: Annotated[int, Flag(_SERVERS)] = Field(
        16 * 1024 * 1024,
        ge=1,
        description="a larger request body is refused with 413 before it is read",
    )
    workers: Annotated[int, Flag(_SERVERS), Flag(("worker",), "--concurrency")] = Field(
        16,
        ge=0,
        description="runs this process executes at once; serve --workers 0 serves the API only",
    )
    reload: Annotated[bool, Flag(("dev",))] = Field(
        True,
        description="restart the server when a Python file of the project (the folder of"
        " langgraph.json and its local dependencies), langgraph.json or its env file changes;"
        " runs in flight resume on the new server",
    )
    migrate: Annotated[bool, Flag(_RUNNERS)] = Field(
        False,
        description="apply PostgreSQL migrations at start (tether migrate applies them and"
        " exits; SQLite always migrates)",
    )
    log_level: Annotated[LogLevel, _Choice, Flag(_RUNNERS)] = Field(
        "info", description="the least severe log records written"
    )
    log_format: Annotated[LogFormat, _Choice, Flag(_RUNNERS)] = Field(
        "text",
        description="log lines as text, or as one JSON object each: see docs/operations.md",
    )
    metrics_port: Annotated[int, Flag(("worker",))] = Field(
        0,
        ge=0,
        le=65535,
        description="a worker serves its Prometheus metrics at http://HOST:PORT/metrics;"
        " 0: not served (API processes serve them at /metrics)",
    )
    database_pool_size: int = Field(
        20, ge=1, description="PostgreSQL connections this process holds at most"
    )
    flush_each_event_batch: bool = Field(
        False,
        description="PostgreSQL: each batch of a run's events waits for the disk before it"
        " is delivered (off: the batch is committed, and reaches the disk with the run's next"
        " checkpoint or end; only a crash of PostgreSQL itself can lose the events of a step"
        " in progress, which the run's next attempt emits again: see docs/deploy.md)",
    )
    heartbeat_seconds: float = Field(
        5.0,
        gt=0,
        allow_inf_nan=False,
        description="seconds between SSE heartbeat comments (and /wait padding newlines)",
    )
    event_retention_seconds: float = Field(
        7 * 24 * 3600.0,
        gt=0,
        allow_inf_nan=False,
        description="how long a finished run's events can be replayed (7 days)",
    )
    run_timeout_seconds: float = Field(
        24 * 3600.0,
        gt=0,
        allow_inf_nan=False,
        description="a run that runs longer ends with status timeout (24 hours)",
    )
    lease_seconds: float = Field(
        30.0,
        gt=0,
        allow_inf_nan=False,
        description="a worker's claim on a run, renewed every third of it while the run runs:"
        " a dead worker's run resumes elsewhere within about this long",
    )
    poll_seconds: float = Field(
        1.0,
        gt=0,
        allow_inf_nan=False,
        description="the queue is polled at least this often, a guarantee behind instant"
        " wake-ups (the latency floor while Redis is down)",
    )
    shutdown_grace_seconds: float = Field(
        10.0,
        ge=0,
        allow_inf_nan=False,
        description="on SIGTERM, how long running runs may finish before they are handed back"
        " to the queue, where another worker resumes them (tether dev: 0)",
    )
    webhook_retries: int = Field(3, ge=0, description="retries of a failed webhook delivery")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Construction takes only what it is given; `from_env` reads the sources itself, so
        # that a bad value's message can say where it came from.
        return (init_settings,)

    @classmethod
    def from_env(cls, **overrides: Any) -> Settings:
        """The settings from `overrides` (a None is "not given"; unknown names are ignored),
        over `TETHER_*` variables, over a `.env` file in the current folder, over defaults.

        Raises:
            SettingsError: a value is not allowed; the message names where it came from.
        """
        dotenv = DotEnvSettingsSource(cls)()
        env = EnvSettingsSource(cls)()
        given = {k: v for k, v in overrides.items() if k in cls.model_fields and v is not None}
        where = {name: f"{variable(name)} (in {ENV_FILE})" for name in dotenv}
        where |= {name: variable(name) for name in env}
        where |= {name: f"the setting {name}" for name in given}
        values = {**dotenv, **env, **given}
        try:
            return cls(**values)
        except ValidationError as exc:
            raise SettingsError(_explain(exc, where, values)) from None

    def to_env(self) -> dict[str, str]:
        """The `TETHER_*` variables under which `from_env()` returns these settings (how a
        process hands its resolved settings to a child process).

        Example:
            >>> Settings(port=8080, migrate=True).to_env()["TETHER_MIGRATE"]
            'true'
        """
        return {variable(name): _env_text(getattr(self, name)) for name in type(self).model_fields}

    @property
    def host_names(self) -> list[str]:
        """`allowed_hosts` as a list of lower-case names."""
        return [h.strip().lower() for h in self.allowed_hosts.split(",") if h.strip()]

    @property
    def sqlite_path(self) -> Path:
        """The SQLite database file: `database_url`'s path, or `tether.sqlite` in `data_dir`."""
        if self.database_url.startswith("sqlite:///"):
            return Path(self.database_url.removeprefix("sqlite:///"))
        return self.data_dir / "tether.sqlite"


def variable(name: str) -> str:
    """The environment variable of setting `name` (`port` -> `TETHER_PORT`)."""
    return f"{ENV_PREFIX}{name.upper()}"


def flags(name: str) -> list[Flag]:
    """The command-line flags of setting `name`, each with its name filled in."""
    default = "--" + name.replace("_", "-")
    return [
        Flag(f.commands, f.name or default)
        for f in Settings.model_fields[name].metadata
        if isinstance(f, Flag)
    ]


def allowed(name: str) -> str:
    """What setting `name` may be, in words ("an integer from 0 to 65535"); "" for any text."""
    field = Settings.model_fields[name]
    kind = field.annotation
    if kind is bool:
        return "true or false (or 1/0, yes/no, on/off)"
    if get_origin(kind) is Literal:
        return "one of " + ", ".join(str(choice) for choice in get_args(kind))
    if kind not in (int, float):
        return ""
    noun = "an integer" if kind is int else "a number"
    low = _limit(field, "ge")
    high = _limit(field, "le")
    above = _limit(field, "gt")
    if low is not None and high is not None:
        return f"{noun} from {low} to {high}"
    if above is not None:
        return f"{noun} greater than {above}"
    if low is not None:
        return f"{noun} of {low} or more"
    return noun


def describe(name: str) -> str:
    """A setting's description, as `--help` and the docs show it."""
    description = Settings.model_fields[name].description
    assert description, f"setting {name} has no description"
    return description


def default_text(name: str) -> str:
    """The default of setting `name` as one would write it ("" for none)."""
    value = Settings.model_fields[name].default
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return _env_text(value)


def markdown_table() -> str:
    """The table of every setting in docs/configuration.md."""
    lines = [
        "| variable | flag | default | allowed | meaning |",
        "|---|---|---|---|---|",
    ]
    for name in Settings.model_fields:
        flag = ", ".join(f"`{f.name}` ({', '.join(f.commands)})" for f in flags(name))
        default = default_text(name)
        cells = [
            f"`{variable(name)}`",
            flag or "—",
            f"`{default}`" if default else "—",
            allowed(name)
            or ("a path" if Settings.model_fields[name].annotation is Path else "text"),
            describe(name).replace("|", "\\|"),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _limit(field: FieldInfo, kind: str) -> Any:
    for item in field.metadata:
        value = getattr(item, kind, None)
        if value is not None and type(item).__name__.lower() == kind:
            return value
    return None


def _env_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _explain(exc: ValidationError, where: dict[str, str], values: dict[str, Any]) -> str:
    lines: list[str] = []
    for error in exc.errors(include_url=False):
        name = str(error["loc"][0]) if error["loc"] else ""
        if name not in Settings.model_fields:
            lines.append(f"{name or 'settings'}: {error['msg']}")
            continue
        source = where.get(name, variable(name))
        what = allowed(name)
        line = (
            f"{source} must be {what}, not {values.get(name, error['input'])!r}"
            if what
            else f"{source}: {error['msg']}"
        )
        if line not in lines:
            lines.append(line)
    return "\n".join(lines)


def _main(argv: list[str]) -> int:
    if argv != ["--markdown"]:
        print("usage: python -m tether.settings --markdown", file=sys.stderr)
        return 2
    sys.stdout.write(markdown_table())
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
