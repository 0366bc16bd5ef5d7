"""Generate ``tether_sdk/_sync`` from ``tether_sdk/_async`` (the httpcore approach).

The async modules are the source of truth; the sync twins are a token-level rewrite of
them (``async def`` -> ``def``, ``await x`` -> ``x``, ``AsyncClient`` -> ``Client``,
``RunsClient`` -> ``SyncRunsClient``…), formatted with ruff. ``test_sdk_unasync.py``
fails when a sync module differs from what this script would write, so the two surfaces
cannot drift apart.

Regenerate after editing an async module::

    uv run python tests/sdk/unasync.py
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "sdk" / "src" / "tether_sdk"
ASYNC_DIR = PACKAGE / "_async"
SYNC_DIR = PACKAGE / "_sync"
MODULES = ("http", "thread_stream", "assistants", "threads", "runs", "crons", "store", "client")

_CLIENT_CLASSES = (
    "HttpClient",
    "AssistantsClient",
    "ThreadsClient",
    "RunsClient",
    "CronClient",
    "StoreClient",
    "LangGraphClient",
    "ThreadStream",
)

# (pattern, replacement), applied in order. Word boundaries keep identifiers intact.
SUBSTITUTIONS: list[tuple[str, str]] = [
    # prose that only makes sense for one of the twins
    (r"an async context manager", "a context manager"),
    (r"The top-level async client", "The top-level sync client"),
    (r"The HTTP layer of the async client", "The HTTP layer of the sync client"),
    (r"The call returns the iterator \(``await`` it, then iterate\)\. ", ""),
    # modules and names
    (r"\btether_sdk\._async\b", "tether_sdk._sync"),
    (r"\bwebsockets\.asyncio\.client\b", "websockets.sync.client"),
    (r"\bAsyncIterator\b", "Iterator"),
    (r"\bAsyncGenerator\[(.+?), None\]", r"Generator[\1, None, None]"),
    (r"\bAsyncGenerator\b", "Generator"),
    (r"\bAsyncClient\b", "Client"),
    (r"\bAsyncHTTPTransport\b", "HTTPTransport"),
    (r"\b__aenter__\b", "__enter__"),
    (r"\b__aexit__\b", "__exit__"),
    (r"\baclose\b", "close"),
    (r"\baclosing\b", "closing"),
    (r"\baread\b", "read"),
    (r"\baiter_bytes\b", "iter_bytes"),
    (r"\baiter_lines_raw\b", "iter_lines_raw"),
    (r"\basyncio\.sleep\b", "time.sleep"),
    (r"^import asyncio$", "import time"),
    (r"\bget_client\b", "get_sync_client"),
    (r"\b(" + "|".join(_CLIENT_CLASSES) + r")\b", r"Sync\1"),
    # syntax
    (r"\basync def\b", "def"),
    (r"\basync with\b", "with"),
    (r"\basync for\b", "for"),
    (r"\bawait ", ""),
]


def header(module: str) -> str:
    return (
        f"# Generated from tether_sdk/_async/{module}.py by tests/sdk/unasync.py; do not edit.\n"
        "# Edit the async module, then run: uv run python tests/sdk/unasync.py\n"
    )


def unasync_source(source: str) -> str:
    """The sync twin of an async module's source (before formatting)."""
    for pattern, replacement in SUBSTITUTIONS:
        source = re.sub(pattern, replacement, source, flags=re.MULTILINE)
    return source


def _ruff(args: list[str], source: str, filename: Path) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", *args, "--stdin-filename", str(filename), "-"],
        input=source,
        capture_output=True,
        text=True,
        cwd=PACKAGE.parents[2],
        check=False,
    )
    if result.returncode not in (0, 1) or not result.stdout:
        raise RuntimeError(f"ruff {' '.join(args)} failed on {filename}: {result.stderr}")
    return result.stdout


def generate(module: str) -> str:
    """The expected content of ``_sync/<module>.py``."""
    target = SYNC_DIR / f"{module}.py"
    source = header(module) + unasync_source((ASYNC_DIR / f"{module}.py").read_text())
    source = _ruff(
        ["check", "--fix", "--select", "I,F401", "--exit-zero", "--quiet"], source, target
    )
    return _ruff(["format", "--quiet"], source, target)


def main() -> None:
    for module in MODULES:
        target = SYNC_DIR / f"{module}.py"
        content = generate(module)
        if not target.exists() or target.read_text() != content:
            target.write_text(content)
            print(f"wrote {target.relative_to(PACKAGE.parents[2])}")


if __name__ == "__main__":
    main()
