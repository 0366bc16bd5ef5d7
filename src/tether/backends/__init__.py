"""Storage backends, chosen by URL scheme. Drivers are imported only when used."""

from __future__ import annotations

from tether.ports import Backend
from tether.settings import Settings
from tether.store_options import StoreOptions


class StorageUnavailable(RuntimeError):
    """The storage cannot be opened as configured; the message says what to do."""


class UnsupportedBackend(StorageUnavailable):
    """The database URL names no backend Tether has, or lacks what it needs."""


class SchemaOutOfDate(StorageUnavailable):
    """The database's schema is older (or newer) than this version of Tether expects."""


class DataFolderInUse(StorageUnavailable):
    """Another process has the SQLite data folder open."""


async def open_backend(settings: Settings, store: StoreOptions | None = None) -> Backend:
    """Open the storage `settings.database_url` names: `sqlite:///path` (or nothing: SQLite
    files in the data folder), or `postgresql://...` with `settings.redis_url`; its
    long-term store indexes and expires items as `store` says (langgraph.json's `store`)."""
    store = store or StoreOptions()
    url = settings.database_url
    if not url or url.startswith("sqlite:///"):
        from tether.backends.sqlite import open_sqlite_backend

        return await open_sqlite_backend(settings.sqlite_path, store)
    scheme = url.split(":", 1)[0]
    if scheme in ("postgresql", "postgres"):
        if not settings.redis_url.startswith(("redis://", "rediss://", "unix://")):
            raise UnsupportedBackend(
                "A PostgreSQL database needs Redis for notices between processes:"
                " set TETHER_REDIS_URL=redis://host:6379/0 (or --redis-url)"
            )
        from tether.backends.postgres import open_postgres_backend

        return await open_postgres_backend(settings, store)
    raise UnsupportedBackend(
        f"Unsupported database URL scheme {scheme!r}: use sqlite:///path or postgresql://..."
    )
