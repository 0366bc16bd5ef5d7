"""Settings: declared once, read from flags, `TETHER_*` variables and `.env`; a bad value is a
short message naming it; `--help` and docs/configuration.md come from the same fields."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import EXAMPLES, ROOT
from pydantic import ValidationError

from tether.cli import _settings, build_parser
from tether.settings import Settings, SettingsError, describe, flags, markdown_table, variable

CONFIGURATION_DOCS = ROOT / "docs" / "configuration.md"


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No `TETHER_*` setting in the environment, and a current folder of the test's own (no
    `.env` but the test's)."""
    for name in Settings.model_fields:
        monkeypatch.delenv(variable(name), raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_to_env_hands_every_setting_to_from_env(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(
        config=Path("/project/langgraph.json"),
        host="0.0.0.0",
        port=8123,
        data_dir=Path("data"),
        database_url="sqlite:///elsewhere/tether.sqlite",
        redis_url="redis://cache:6379/1",
        redis_prefix="mine",
        migrate=True,
        database_pool_size=7,
        flush_each_event_batch=True,
        workers=3,
        heartbeat_seconds=0.25,
        event_retention_seconds=12.5,
        run_timeout_seconds=99.0,
        lease_seconds=4.0,
        poll_seconds=0.1,
        shutdown_grace_seconds=0.0,
        webhook_retries=9,
        log_level="debug",
        log_format="json",
        reload=False,
        allowed_hosts="tether.example,api.example",
        max_body_bytes=1234,
        metrics_port=9464,
    )
    defaults = Settings()
    # Every field differs from its default, so a field `from_env` forgets cannot pass.
    assert [n for n in Settings.model_fields if getattr(settings, n) == getattr(defaults, n)] == []
    for name, value in settings.to_env().items():
        monkeypatch.setenv(name, value)

    assert Settings.from_env() == settings


def test_settings_are_immutable_and_built_only_from_what_they_are_given(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TETHER_PORT", "9999")
    settings = Settings(workers=2)
    assert settings.port == 2024  # `Settings(...)` never reads the environment
    with pytest.raises(ValidationError):
        settings.port = 1  # type: ignore[misc]
    changed = settings.model_copy(update={"port": 1})
    assert (changed.port, changed.workers, settings.port) == (1, 2, 2024)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0", False), ("false", False), ("Off", False), ("1", True), ("yes", True)],
)
def test_tether_reload_turns_the_reloader_on_or_off(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, value: str, expected: bool
) -> None:
    monkeypatch.setenv("TETHER_RELOAD", value)
    assert Settings.from_env().reload is expected
    assert Settings.from_env(reload=not expected).reload is not expected  # the flag wins


def test_a_bad_setting_is_a_one_line_error_not_a_traceback() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tether", "serve", "--config", str(EXAMPLES)],
        env={**os.environ, "TETHER_PORT": "abc"},
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stderr.decode().strip() == (
        "tether: TETHER_PORT must be an integer from 0 to 65535, not 'abc'"
    )


@pytest.mark.parametrize(
    ("variable_name", "value", "says"),
    [
        ("TETHER_PORT", "70000", "TETHER_PORT must be an integer from 0 to 65535, not '70000'"),
        ("TETHER_PORT", "", "TETHER_PORT must be an integer from 0 to 65535, not ''"),
        (
            "TETHER_LOG_LEVEL",
            "loud",
            "TETHER_LOG_LEVEL must be one of debug, info, warning, error, critical, not 'loud'",
        ),
        ("TETHER_LOG_FORMAT", "xml", "TETHER_LOG_FORMAT must be one of text, json, not 'xml'"),
        (
            "TETHER_LEASE_SECONDS",
            "soon",
            "TETHER_LEASE_SECONDS must be a number greater than 0, not 'soon'",
        ),
        (
            "TETHER_POLL_SECONDS",
            "0",
            "TETHER_POLL_SECONDS must be a number greater than 0, not '0'",
        ),
        (
            "TETHER_HEARTBEAT_SECONDS",
            "nan",
            "TETHER_HEARTBEAT_SECONDS must be a number greater than 0, not 'nan'",
        ),
        ("TETHER_WORKERS", "-1", "TETHER_WORKERS must be an integer of 0 or more, not '-1'"),
        ("TETHER_WORKERS", "2.5", "TETHER_WORKERS must be an integer of 0 or more, not '2.5'"),
        (
            "TETHER_DATABASE_POOL_SIZE",
            "0",
            "TETHER_DATABASE_POOL_SIZE must be an integer of 1 or more, not '0'",
        ),
        (
            "TETHER_MIGRATE",
            "maybe",
            "TETHER_MIGRATE must be true or false (or 1/0, yes/no, on/off), not 'maybe'",
        ),
    ],
)
def test_each_kind_of_bad_value_names_the_variable_and_what_it_may_be(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, variable_name: str, value: str, says: str
) -> None:
    monkeypatch.setenv(variable_name, value)
    with pytest.raises(SettingsError) as caught:
        Settings.from_env()
    assert str(caught.value) == says


def test_every_bad_value_is_named_one_per_line(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TETHER_PORT", "abc")
    monkeypatch.setenv("TETHER_LOG_LEVEL", "LOUD")
    with pytest.raises(SettingsError) as caught:
        Settings.from_env()
    assert str(caught.value).splitlines() == [
        "TETHER_PORT must be an integer from 0 to 65535, not 'abc'",
        "TETHER_LOG_LEVEL must be one of debug, info, warning, error, critical, not 'LOUD'",
    ]


def test_choices_are_read_in_any_case(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TETHER_LOG_LEVEL", "WARNING")
    monkeypatch.setenv("TETHER_LOG_FORMAT", "Json")
    settings = Settings.from_env()
    assert (settings.log_level, settings.log_format) == ("warning", "json")


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (
            ["serve", "--workers", "-1"],
            "tether serve: error: argument --workers: must be an integer of 0 or more, not '-1'",
        ),
        (
            ["worker", "--concurrency", "-1"],
            "tether worker: error: argument --concurrency: must be an integer of 0 or more,"
            " not '-1'",
        ),
        (
            ["dev", "--port", "70000"],
            "tether dev: error: argument --port: must be an integer from 0 to 65535, not '70000'",
        ),
        (
            ["serve", "--log-level", "loud"],
            "tether serve: error: argument --log-level: must be one of debug, info, warning,"
            " error, critical, not 'loud'",
        ),
        (
            ["worker", "--log-format", "xml"],
            "tether worker: error: argument --log-format: must be one of text, json, not 'xml'",
        ),
    ],
)
def test_a_bad_flag_is_a_short_usage_error_naming_the_flag(
    capsys: pytest.CaptureFixture[str], argv: list[str], says: str
) -> None:
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args(argv)
    assert exited.value.code == 2
    command = argv[0]
    assert capsys.readouterr().err.splitlines() == [
        says,
        f"(`tether {command} --help` lists the flags)",
    ]


def test_an_env_file_in_the_current_folder_is_read(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A LangGraph project's .env holds its API keys too: those are not settings.
    (clean_env / ".env").write_text(
        "OPENAI_API_KEY=sk-not-a-setting\nTETHER_PORT=8123\ntether_log_level=debug\n"
        "export TETHER_WORKERS=3\nTETHER_UNKNOWN=1\n"
    )
    settings = Settings.from_env()
    assert (settings.port, settings.log_level, settings.workers) == (8123, "debug", 3)


def test_a_bad_value_in_the_env_file_says_it_is_there(clean_env: Path) -> None:
    (clean_env / ".env").write_text("TETHER_PORT=abc\n")
    with pytest.raises(SettingsError) as caught:
        Settings.from_env()
    assert str(caught.value) == (
        "TETHER_PORT (in .env) must be an integer from 0 to 65535, not 'abc'"
    )


def test_flags_win_over_the_environment_over_env_file_over_defaults(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (clean_env / ".env").write_text("TETHER_PORT=1111\nTETHER_WORKERS=1\nTETHER_HOST=from-dotenv\n")
    monkeypatch.setenv("TETHER_PORT", "2222")
    monkeypatch.setenv("TETHER_WORKERS", "2")
    args = build_parser().parse_args(["serve", "--port", "3333"])

    settings = _settings(args)

    assert (settings.port, settings.workers, settings.host) == (3333, 2, "from-dotenv")
    assert settings.log_level == "info"  # nobody set it: the default


def test_worker_concurrency_is_the_workers_setting(clean_env: Path) -> None:
    settings = _settings(build_parser().parse_args(["worker", "--concurrency", "5"]))
    assert settings.workers == 5
    assert _settings(build_parser().parse_args(["migrate"])).migrate is True


def _help(command: str, capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit):
        build_parser().parse_args([command, "--help"])
    return " ".join(capsys.readouterr().out.split())  # argparse wraps lines


@pytest.mark.parametrize("command", ["dev", "serve", "worker", "migrate"])
def test_help_is_generated_from_the_settings(
    capsys: pytest.CaptureFixture[str], command: str
) -> None:
    text = _help(command, capsys)
    expected = {
        (f.name, name)
        for name in Settings.model_fields
        for f in flags(name)
        if command in f.commands
    }
    assert expected
    for flag, name in expected:
        assert f"{flag} " in text
        description = " ".join(describe(name).split())
        assert f"{description} (" in text, f"{flag}'s help is not its setting's description"
        assert variable(name) in text


def test_each_command_has_the_flags_it_always_had(capsys: pytest.CaptureFixture[str]) -> None:
    def flags_of(command: str) -> set[str]:
        return set(re.findall(r"\[(--[a-z-]+)", _help(command, capsys).split(" options: ")[0]))

    common = {"--config", "--data-dir", "--database-url", "--redis-url", "--redis-prefix"}
    runs = {"--migrate", "--log-level", "--log-format"}
    serving = {"--host", "--port", "--allowed-hosts", "--max-body-bytes", "--workers"}
    assert flags_of("dev") == common | serving | runs | {"--reload"}
    assert flags_of("serve") == common | serving | runs
    assert flags_of("worker") == common | runs | {"--concurrency", "--metrics-port"}
    assert flags_of("migrate") == common


def test_the_docs_table_is_the_settings() -> None:
    table = markdown_table()
    for name in Settings.model_fields:
        assert f"`{variable(name)}`" in table
    assert table in CONFIGURATION_DOCS.read_text(), (
        "docs/configuration.md is out of date: paste the output of"
        " `uv run python -m tether.settings --markdown` into it"
    )


def test_the_docs_table_is_printed_by_the_module() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tether.settings", "--markdown"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == markdown_table()
