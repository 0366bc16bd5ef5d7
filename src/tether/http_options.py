"""The `http` section of a project's `langgraph.json`.

```json
"http": {
  "app": "./webapp.py:app",
  "mount_prefix": "/api",
  "disable_store": true,
  "configurable_headers": {"includes": ["x-user-id", "x-tenant-*"], "excludes": ["x-secret"]},
  "cors": {"allow_origins": ["https://app.example"]}
}
```

- `app`: a Starlette or FastAPI app of the project (`"./file.py:app"` or `"module:app"`), served
  beside Tether's routes; where both have a route for a request, the project's wins.
- `disable_assistants` / `disable_threads` / `disable_runs` (with crons) / `disable_store`:
  those routes are not served (404). `disable_meta`: no `/docs`, `/redoc`, `/openapi.json`,
  `/info`, `/metrics`; `/ok` answers without checking anything.
- `configurable_headers`: request headers copied into a run's `config["configurable"]` (names
  or `*` patterns; `excludes` win; `authorization`, `x-api-key`, `x-service-key` and
  `x-tenant-id` never). Without it, none are.
- `mount_prefix`: every route (Tether's and the project's) is served under this path.
- `cors`: Starlette's CORSMiddleware settings (`allow_origins`, `allow_origin_regex`, ...), each
  one it leaves out taken from Tether's default (`tether.api.guards.cors_options`).

This module is the one reader of the section: `read_config` checks it without importing the
project's app (`import_app=False`), `read_project` loads the app too.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tether.project_files import NotAModule, import_file, names_a_file

#: Route groups `disable_*` can remove.
GROUPS = ("assistants", "threads", "runs", "store", "meta", "ui", "mcp", "a2a")
#: Headers that never reach a run's config, whatever the patterns say.
NEVER_COPIED = frozenset({"authorization", "x-api-key", "x-service-key", "x-tenant-id"})
_KNOWN = {
    "app",
    "mount_prefix",
    "configurable_headers",
    "cors",
    *(f"disable_{g}" for g in GROUPS),
}
#: Keys of the official schema Tether accepts but does not act on.
_IGNORED = {"logging_headers", "middleware_order", "enable_custom_route_auth"}
_IGNORED |= {"disable_webhooks"}


class HttpOptionError(ValueError):
    """An `http` option of langgraph.json is wrong; the message says how."""


def _pattern(text: str) -> re.Pattern[str]:
    """A header name pattern: literal characters and `*` (any run of characters)."""
    return re.compile(".*".join(re.escape(part) for part in text.lower().split("*")) + r"\Z")


@dataclass(frozen=True)
class HeaderFilter:
    """Which request headers a run's `configurable` gets (`http.configurable_headers`).

    Example:
        >>> f = HeaderFilter.from_config({"includes": ["x-user-*"], "excludes": ["x-user-secret"]})
        >>> f.select({"x-user-id": "u1", "x-user-secret": "s", "accept": "*/*"})
        {'x-user-id': 'u1'}
    """

    includes: tuple[re.Pattern[str], ...] = ()
    excludes: tuple[re.Pattern[str], ...] = ()

    @classmethod
    def from_config(cls, config: Any) -> HeaderFilter:
        if not isinstance(config, dict):
            raise HttpOptionError('"http.configurable_headers" must be an object')
        lists = []
        for name in ("includes", "excludes"):
            # The official schema says `includes`/`excludes`; its docs also show the singular.
            value = config.get(name, config.get(name.removesuffix("s"), []))
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise HttpOptionError(
                    f'"http.configurable_headers.{name}" must be a list of header names'
                )
            lists.append(tuple(_pattern(v) for v in value))
        return cls(includes=lists[0], excludes=lists[1])

    def allows(self, name: str) -> bool:
        name = name.lower()
        if name in NEVER_COPIED or any(p.match(name) for p in self.excludes):
            return False
        return any(p.match(name) for p in self.includes)

    def select(self, headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> dict[str, str]:
        """The allowed headers, names lower-cased (the last of repeated ones)."""
        pairs = headers.items() if isinstance(headers, Mapping) else headers
        return {name.lower(): value for name, value in pairs if self.allows(name)}

    def into_config(
        self, config: Mapping[str, Any] | None, headers: Iterable[tuple[str, str]]
    ) -> dict[str, Any] | None:
        """A run's `config` with the allowed headers in its `configurable` (a key the
        request's own `configurable` sets wins); `config` itself when none is allowed."""
        selected = self.select(headers) if self.includes else {}
        if not selected:
            return None if config is None else dict(config)
        merged = dict(config or {})
        merged["configurable"] = {**selected, **(merged.get("configurable") or {})}
        return merged


#: `http.cors` settings and the JSON type each takes (as the official server reads them).
_CORS_KEYS: dict[str, type] = {
    "allow_origins": list,
    "allow_methods": list,
    "allow_headers": list,
    "expose_headers": list,
    "allow_credentials": bool,
    "allow_origin_regex": str,
    "max_age": int,
}


@dataclass(frozen=True)
class HttpOptions:
    """The `http` section of langgraph.json, checked."""

    #: The project's ASGI app (`http.app`), loaded; None when there is none (or when it
    #: was read with `import_app=False`).
    app: Any = None
    mount_prefix: str = ""
    #: Route groups of `GROUPS` not served (`disable_*`).
    disabled: frozenset[str] = field(default_factory=frozenset)
    headers: HeaderFilter = field(default_factory=HeaderFilter)
    #: Keyword arguments of Starlette's CORSMiddleware (`http.cors`), or None for Tether's
    #: default.
    cors: dict[str, Any] | None = None


def _cors(cors: Any) -> dict[str, Any] | None:
    if cors is None:
        return None
    if not isinstance(cors, dict):
        raise HttpOptionError(f"http.cors must be an object, got {cors!r}")
    for key, value in cors.items():
        kind = _CORS_KEYS.get(key)
        if kind is None:
            raise HttpOptionError(
                f"http.cors has no setting {key!r} (known: {', '.join(_CORS_KEYS)})"
            )
        if kind is list:
            if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
                raise HttpOptionError(
                    f"http.cors.{key} must be a list of non-empty strings, got {value!r}"
                )
        elif not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise HttpOptionError(f"http.cors.{key} must be {kind.__name__}, got {value!r}")
    return dict(cors)


def read_http_options(
    raw: Mapping[str, Any], root: Path, *, import_app: bool = True
) -> HttpOptions:
    """The `http` section of langgraph.json (`root`: the folder that holds it). `app` is
    imported now unless `import_app` is false (then only its form is checked): a wrong
    option stops the start with an `HttpOptionError` naming it."""
    section = raw.get("http")
    if section is None:
        return HttpOptions()
    if not isinstance(section, dict):
        raise HttpOptionError('"http" in langgraph.json must be an object')
    unknown = sorted(set(section) - _KNOWN - _IGNORED)
    if unknown:
        raise HttpOptionError(f'unknown "http" options in langgraph.json: {unknown}')
    disabled = set()
    for group in GROUPS:
        value = section.get(f"disable_{group}", False)
        if not isinstance(value, bool):
            raise HttpOptionError(f'"http.disable_{group}" must be true or false')
        if value:
            disabled.add(group)
    prefix = section.get("mount_prefix") or ""
    if not isinstance(prefix, str) or (prefix and not prefix.startswith("/")):
        raise HttpOptionError('"http.mount_prefix" must be a path such as "/api"')
    headers = section.get("configurable_headers")
    app = section.get("app")
    if app is not None and (not isinstance(app, str) or ":" not in app):
        raise HttpOptionError('"http.app" must name an app such as "./webapp.py:app"')
    return HttpOptions(
        app=load_app(app, root) if app and import_app else None,
        mount_prefix=prefix.rstrip("/"),
        disabled=frozenset(disabled),
        headers=HeaderFilter() if headers is None else HeaderFilter.from_config(headers),
        cors=_cors(section.get("cors")),
    )


def load_app(location: str, root: Path) -> Any:
    """Import `"./file.py:app"` (relative to langgraph.json) or `"module:app"`."""
    path, _, attr = location.rpartition(":")
    try:
        if names_a_file(path):
            file = (root / path).resolve()
            if not file.is_file():
                raise HttpOptionError(f'"http.app" {location!r}: {file} does not exist')
            try:
                module = import_file(file, f"tether_http_app.{file.stem}")
            except NotAModule:
                raise HttpOptionError(f'"http.app" {location!r}: not a Python file') from None
        else:
            module = importlib.import_module(path)
    except HttpOptionError:
        raise
    except Exception as exc:
        raise HttpOptionError(
            f'"http.app" {location!r}: importing it raised {type(exc).__name__}: {exc}'
        ) from exc
    app = getattr(module, attr, None)
    if app is None or not callable(app) or not hasattr(app, "routes"):
        raise HttpOptionError(
            f'"http.app" {location!r} must be a Starlette or FastAPI app, got {type(app).__name__}'
        )
    return app
