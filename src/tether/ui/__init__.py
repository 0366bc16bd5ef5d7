"""Tether's built-in web UI: plain HTML, CSS and ES modules in `static/`, shipped in the wheel.

Nothing is built at install time and nothing is loaded from another host; the pages talk to
the server's own public HTTP API (same origin). `tether.api.ui` serves them under `/ui`.
"""

from __future__ import annotations

from pathlib import Path

#: The folder of the UI's files (`index.html` and the assets it loads).
STATIC_DIR = Path(__file__).resolve().parent / "static"

__all__ = ["STATIC_DIR"]
