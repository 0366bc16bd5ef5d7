"""Which SQLite in this process can load the sqlite-vec extension.

Python's own `sqlite3` can load extensions only when it was built to (many are: Debian's,
python.org's; pyenv's default build is not). Where it cannot, the `pysqlite3` module of the
`pysqlite3-binary` package (a separate SQLite with extension loading, installed with Tether
on x86-64 Linux) can. The store's file is opened only by the store, so it may use either.
"""

from __future__ import annotations

import importlib
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlite_vec

#: Tried in this order: Python's own sqlite3 first.
_MODULES = ("sqlite3", "pysqlite3.dbapi2")


@dataclass(frozen=True)
class VectorSqlite:
    """A DB-API module whose connections load sqlite-vec."""

    #: "sqlite3" or "pysqlite3.dbapi2"
    module: str
    #: its `connect(database, **kwargs)`
    connect: Callable[..., sqlite3.Connection]
    #: the SQLite version it links, e.g. "3.51.1"
    sqlite_version: str
    #: sqlite-vec's own version, e.g. "v0.1.9"
    vec_version: str


def load_sqlite_vec(conn: Any) -> None:
    """Load sqlite-vec into a DB-API connection (extension loading is off again after)."""
    conn.enable_load_extension(True)
    try:
        conn.load_extension(sqlite_vec.loadable_path())
    finally:
        conn.enable_load_extension(False)


def find_vector_sqlite() -> tuple[VectorSqlite | None, str]:
    """The first SQLite module that loads sqlite-vec into a connection, tried for real;
    or None and why none could (one reason per module, for the log)."""
    reasons = []
    for name in _MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError:
            reasons.append(f"{name} is not installed")
            continue
        if not hasattr(module.Connection, "enable_load_extension"):
            reasons.append(f"this Python's {name} was built without extension loading")
            continue
        try:
            conn = module.connect(":memory:")
            try:
                load_sqlite_vec(conn)
                (vec_version,) = conn.execute("SELECT vec_version()").fetchone()
            finally:
                conn.close()
        except Exception as exc:  # an extension that does not load says why in many ways
            reasons.append(f"{name} could not load sqlite-vec: {exc}")
            continue
        return VectorSqlite(name, module.connect, module.sqlite_version, str(vec_version)), ""
    return None, "; ".join(reasons)
