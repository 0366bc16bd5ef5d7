"""Storage backends, chosen by URL scheme. Drivers are imported only when used."""

from __future__ import annotations

from tether.ports import Backend
from tether.settings import Settings


class UnsupportedBackend(ValueError):
    pass


async def open_backend(settings: Settings) -> Backend:
    url = settings.database_url
    if not url or url.startswith("sqlite:///"):
        from tether.backends.sqlite import open_sqlite_backend

        return await open_sqlite_backend(settings.sqlite_path)
    scheme = url.split(":", 1)[0]
    raise UnsupportedBackend(f"Unsupported database URL scheme {scheme!r}: use sqlite:///path")
