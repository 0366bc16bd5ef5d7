"""Settings: `TETHER_*` variables, and handing resolved settings to a child process."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest
from conftest import EXAMPLES

from tether.settings import Settings


def test_to_env_hands_every_setting_to_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
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
        workers=3,
        heartbeat_seconds=0.25,
        event_retention_seconds=12.5,
        run_timeout_seconds=99.0,
        lease_seconds=4.0,
        poll_seconds=0.1,
        shutdown_grace_seconds=0.0,
        webhook_retries=9,
        log_level="debug",
        reload=False,
        allowed_hosts="tether.example,api.example",
        max_body_bytes=1234,
        metrics_port=9464,
    )
    defaults = Settings()
    # Every field differs from its default, so a field `from_env` forgets cannot pass.
    assert [
        f.name for f in fields(Settings) if getattr(settings, f.name) == getattr(defaults, f.name)
    ] == []
    for name, value in settings.to_env().items():
        monkeypatch.setenv(name, value)

    assert Settings.from_env() == settings


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0", False), ("false", False), ("Off", False), ("1", True), ("yes", True)],
)
def test_tether_reload_turns_the_reloader_on_or_off(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: bool
) -> None:
    monkeypatch.setenv("TETHER_RELOAD", value)
    assert Settings.from_env().reload is expected
    assert Settings.from_env(reload=not expected).reload is not expected  # the flag wins


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("TETHER_PORT", "abc", "TETHER_PORT must be an integer, not 'abc'"),
        ("TETHER_LEASE_SECONDS", "soon", "TETHER_LEASE_SECONDS must be a number, not 'soon'"),
    ],
)
def test_a_bad_setting_is_a_one_line_error_not_a_traceback(
    variable: str, value: str, says: str
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tether", "serve", "--config", str(EXAMPLES)],
        env={**os.environ, variable: value},
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stderr.decode().strip() == f"tether: {says}"
