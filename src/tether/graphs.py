"""Loading the graphs a project declares in its `langgraph.json`.

A graph entry is `"name": "./file.py:attr"` (or `"package.module:attr"`, or an object with
a `path`), where `attr` is a compiled graph, a `StateGraph`, or a factory taking an
optional config and returning either, possibly async or as a context manager.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import inspect
import os
import re
import sys
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeAlias

import orjson
from dotenv import dotenv_values
from langgraph.graph import StateGraph
from langgraph.pregel import Pregel

from tether import graph_errors
from tether.http_options import HttpOptionError, HttpOptions, read_http_options
from tether.project_files import NotAModule, import_file, names_a_file
from tether.store_options import (
    ProjectOptionError,
    StoreOptions,
    ThreadTTL,
    read_store_options,
    read_thread_ttl,
)

#: A compiled graph of any state, context, input and output types.
Graph: TypeAlias = "Pregel[Any, Any, Any, Any]"


class GraphConfigError(Exception):
    """The project's langgraph.json or one of its graphs cannot be loaded."""


@dataclass
class GraphSpec:
    graph_id: str
    path: str
    description: str | None = None
    #: A ready graph (compiled once) or None for factories, built per run.
    compiled: Graph | None = None
    factory: Any = None


#: `webhooks.headers` values may hold `${{ env.NAME }}`, replaced by that variable.
_ENV_TEMPLATE = re.compile(r"\$\{\{\s*env\.([^}\s]+)\s*\}\}")
#: What a webhook body may be cut down to (`webhooks.allowed_fields`).
WEBHOOK_FIELDS = frozenset(
    [
        "run_id",
        "thread_id",
        "assistant_id",
        "created_at",
        "updated_at",
        "metadata",
        "kwargs",
        "multitask_strategy",
        "status",
        "run_started_at",
        "run_ended_at",
        "webhook_sent_at",
        "values",
        "error",
    ]
)


@dataclass(frozen=True)
class WebhookSettings:
    """The `webhooks` section of langgraph.json: which webhook URLs runs may name, and
    what is sent to them. Defaults refuse loopback and private targets."""

    require_https: bool = False
    #: Hosts (`hooks.example.com`) and subdomain patterns (`*.example.com`); empty: any.
    allowed_domains: tuple[str, ...] = ()
    #: Ports a URL may name (80/443 when it names none); empty: any.
    allowed_ports: tuple[int, ...] = ()
    max_url_length: int = 4096
    #: Refuse relative URLs, `localhost` and addresses that are or resolve to loopback.
    disable_loopback: bool = True
    #: Refuse private (RFC 1918, CGN, IPv6 ULA) addresses.
    disable_private_ips: bool = True
    #: Sent with every delivery; `${{ env.NAME }}` is replaced when the server starts.
    headers: tuple[tuple[str, str], ...] = ()
    #: Only these fields of the body are sent (None: all).
    allowed_fields: frozenset[str] | None = None


def _fail(where: str, expected: str, got: object) -> GraphConfigError:
    return GraphConfigError(f"langgraph.json: {where} must be {expected}, got {got!r}")


def _bool(section: Mapping[str, Any], key: str, where: str, default: bool) -> bool:
    value = section.get(key, default)
    if not isinstance(value, bool):
        raise _fail(f"{where}.{key}", "true or false", value)
    return value


def _strings(section: Mapping[str, Any], key: str, where: str) -> list[str] | None:
    value = section.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise _fail(f"{where}.{key}", "a list of non-empty strings", value)
    return list(value)


def read_webhook_settings(raw: Mapping[str, Any], environ: Mapping[str, str]) -> WebhookSettings:
    """The `webhooks` section, checked; `environ` fills the header templates.

    As the official server reads it: with a `url` object, `require_https` defaults to true
    and `max_url_length` to 2048; without one, http is allowed and URLs may be 4096 long.
    Unlike it, private addresses are refused unless `disable_private_ips` is false.

    Example:
        >>> read_webhook_settings({"webhooks": {"url": {"require_https": False}}}, {}).max_url_length
        2048
    """
    section = raw.get("webhooks") or {}
    if not isinstance(section, dict):
        raise _fail("webhooks", "an object", section)
    url = section.get("url")
    if url is not None and not isinstance(url, dict):
        raise _fail("webhooks.url", "an object", url)
    policy: dict[str, Any] = url or {}
    where = "webhooks.url"
    domains = _strings(policy, "allowed_domains", where) or []
    for domain in domains:
        if "*" in domain and not (domain.startswith("*.") and "*" not in domain[2:]):
            raise _fail(f"{where}.allowed_domains", "hosts or '*.domain' patterns", domain)
    ports = policy.get("allowed_ports") or []
    if not isinstance(ports, list) or not all(
        isinstance(p, int) and not isinstance(p, bool) and 0 < p < 65536 for p in ports
    ):
        raise _fail(f"{where}.allowed_ports", "a list of port numbers", ports)
    length = policy.get("max_url_length", 2048 if url is not None else 4096)
    if not isinstance(length, int) or isinstance(length, bool) or length < 1:
        raise _fail(f"{where}.max_url_length", "a positive integer", length)
    prefix = section.get("env_prefix", "LG_WEBHOOK_")
    if not isinstance(prefix, str):
        raise _fail("webhooks.env_prefix", "a string", prefix)
    headers = section.get("headers") or {}
    if not isinstance(headers, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
    ):
        raise _fail("webhooks.headers", "an object of strings", headers)

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if not name.startswith(prefix):
            raise GraphConfigError(
                f"langgraph.json: webhooks.headers may only read variables starting with"
                f" {prefix!r} (webhooks.env_prefix), not {name!r}"
            )
        if name not in environ:
            raise GraphConfigError(f"langgraph.json: webhooks.headers needs ${name}, not set")
        return environ[name]

    fields = _strings(section, "allowed_fields", "webhooks")
    if fields is not None and not set(fields) <= WEBHOOK_FIELDS:
        raise _fail(
            "webhooks.allowed_fields", f"a list of {', '.join(sorted(WEBHOOK_FIELDS))}", fields
        )
    return WebhookSettings(
        require_https=_bool(policy, "require_https", where, url is not None),
        allowed_domains=tuple(d.lower() for d in domains),
        allowed_ports=tuple(ports),
        max_url_length=length,
        disable_loopback=_bool(policy, "disable_loopback", where, True),
        disable_private_ips=_bool(policy, "disable_private_ips", where, True),
        headers=tuple((k, _ENV_TEMPLATE.sub(fill, v)) for k, v in headers.items()),
        allowed_fields=frozenset(fields) if fields is not None else None,
    )


@dataclass(frozen=True)
class ProjectConfig:
    """A project's `langgraph.json`, read and checked without importing any of its code."""

    #: The langgraph.json file itself.
    path: Path
    raw: dict[str, Any]

    @property
    def root(self) -> Path:
        """The project's folder: the one that holds its langgraph.json."""
        return self.path.resolve().parent

    @property
    def env_file(self) -> Path | None:
        """The `.env` file that `env` names, if it names one."""
        env = self.raw.get("env")
        return (self.root / env).resolve() if isinstance(env, str) else None

    @property
    def source_folders(self) -> list[Path]:
        """Where the project's own Python code lives: its folder and its local `dependencies`
        (`"./src"`, `"/abs/path"`; package names are installed code, not the project's)."""
        folders: list[Path] = []
        for dep in [".", *self.raw.get("dependencies", [])]:
            if isinstance(dep, str) and (dep.startswith(".") or dep.startswith("/")):
                folder = (self.root / dep).resolve()
                if folder not in folders:
                    folders.append(folder)
        return folders

    @property
    def http(self) -> HttpOptions:
        """The `http` section, checked, its `app` not imported."""
        try:
            return read_http_options(self.raw, self.root, import_app=False)
        except HttpOptionError as exc:
            raise GraphConfigError(f"{self.path}: {exc}") from exc


@dataclass
class Project:
    root: Path
    graphs: dict[str, GraphSpec] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)
    #: `store.index` and `store.ttl` of langgraph.json.
    store: StoreOptions = field(default_factory=StoreOptions)
    #: `checkpointer.ttl` of langgraph.json.
    thread_ttl: ThreadTTL | None = None
    #: `http` of langgraph.json (with the project's app, if any, loaded).
    http: HttpOptions = field(default_factory=HttpOptions)
    #: The `langgraph_sdk.Auth` object `auth.path` names (None: every request is allowed).
    auth: Any = None

    @property
    def webhooks(self) -> WebhookSettings:
        return read_webhook_settings(self.raw, {**self.env, **os.environ})


def read_config(config_path: Path) -> ProjectConfig:
    """Parse and check `langgraph.json` (no import, no change to the environment)."""
    try:
        raw = orjson.loads(config_path.read_bytes())
    except FileNotFoundError as exc:
        raise GraphConfigError(f"Config file not found: {config_path}") from exc
    except orjson.JSONDecodeError as exc:
        raise GraphConfigError(f"{config_path} is not valid JSON: {exc}") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("graphs"), dict) or not raw["graphs"]:
        raise GraphConfigError(f'{config_path} must have a non-empty "graphs" object')
    for graph_id, entry in raw["graphs"].items():
        location: Any = entry.get("path") if isinstance(entry, dict) else entry
        if not isinstance(location, str) or ":" not in location:
            raise GraphConfigError(
                f'Graph "{graph_id}": expected "./file.py:attribute", got {location!r}'
            )
    config = ProjectConfig(path=config_path, raw=raw)
    config.http  # noqa: B018 (checked now: a bad section stops the start)
    return config


def read_project(config_path: Path) -> Project:
    """Parse `langgraph.json`, set its `env`, put the project on `sys.path`, import graphs."""
    config = read_config(config_path)
    root, raw = config.root, config.raw
    project = Project(root=root, raw=raw)

    env = raw.get("env")
    if config.env_file is not None:
        project.env = {k: v for k, v in dotenv_values(config.env_file).items() if v is not None}
    elif isinstance(env, dict):
        project.env = {str(k): str(v) for k, v in env.items()}
    for key, value in project.env.items():
        os.environ.setdefault(key, value)

    project.webhooks  # noqa: B018 (checked now: a bad section stops the start)
    for folder in config.source_folders:
        if str(folder) not in sys.path:
            sys.path.insert(0, str(folder))

    try:
        project.thread_ttl = read_thread_ttl(raw)
        project.store = read_store_options(raw, root)
        project.http = read_http_options(raw, root)
    except (ProjectOptionError, HttpOptionError) as exc:
        raise GraphConfigError(f"{config_path}: {exc}") from exc

    for graph_id, entry in raw["graphs"].items():
        location = str(entry["path"] if isinstance(entry, dict) else entry)  # checked above
        description = entry.get("description") if isinstance(entry, dict) else None
        spec = GraphSpec(graph_id=graph_id, path=location, description=description)
        _load(spec, config)
        project.graphs[graph_id] = spec
    project.auth = load_auth(config)
    return project


def load_auth(config: ProjectConfig) -> Any:
    """The `langgraph_sdk.Auth` object `"auth": {"path": "./auth.py:auth"}` names, or None."""
    section = config.raw.get("auth")
    if section is None or (isinstance(section, dict) and section.get("path") is None):
        return None
    location = section.get("path") if isinstance(section, dict) else None
    if not isinstance(location, str) or ":" not in location:
        raise GraphConfigError(f'auth: expected "path": "./auth.py:attribute", got {location!r}')
    file_part, _, attr = location.rpartition(":")
    what = f"auth ({location})"
    try:
        if names_a_file(file_part):
            file = (config.root / file_part).resolve()
            try:
                module = import_file(file, "tether_auth")
            except NotAModule:
                raise GraphConfigError(f"{what} failed to load: {file} does not exist") from None
        else:
            module = importlib.import_module(file_part)
    except GraphConfigError:
        raise
    except Exception as exc:
        raise GraphConfigError(
            graph_errors.import_failed(what, file_part, exc, config.root, config.source_folders)
        ) from exc
    value = getattr(module, attr, None)
    from langgraph_sdk import Auth

    if not isinstance(value, Auth):
        raise GraphConfigError(
            f"{what} failed to load: {attr} is a {type(value).__name__}, not a langgraph_sdk.Auth"
        )
    from tether.services.auth import AuthConfigError, authenticate_params

    handler = value._authenticate_handler
    if handler is None:
        raise GraphConfigError(
            f"{what}: {attr} has no @auth.authenticate handler, so no request would be"
            " authenticated"
        )
    try:
        authenticate_params(handler)
    except AuthConfigError as exc:
        raise GraphConfigError(f"{what}: {exc}") from exc
    return value


def _load(spec: GraphSpec, config: ProjectConfig) -> None:
    location, _, attr = spec.path.rpartition(":")
    graph = f'graph "{spec.graph_id}" ({spec.path})'
    root = config.root
    if names_a_file(location):
        file = (root / location).resolve()
        what = str(file)
        if not file.is_file():
            raise GraphConfigError(
                f"{graph} failed to load: {file} does not exist\n"
                f"Likely fix: correct the path in langgraph.json (relative to {root})"
            )
        try:
            module = import_file(file, f"tether_graphs.{spec.graph_id}")
        except NotAModule:
            raise GraphConfigError(
                f"{graph} failed to load: {file} is not a Python module"
            ) from None
        except Exception as exc:
            raise GraphConfigError(
                graph_errors.import_failed(graph, what, exc, root, config.source_folders)
            ) from exc
    else:
        what = f"module {location}"
        try:
            module = importlib.import_module(location)
        except Exception as exc:
            raise GraphConfigError(
                graph_errors.import_failed(graph, what, exc, root, config.source_folders)
            ) from exc
    try:
        value = getattr(module, attr)
    except AttributeError as exc:
        names = [name for name in vars(module) if not name.startswith("_")]
        graphs = [n for n in names if isinstance(getattr(module, n), Pregel | StateGraph)]
        raise GraphConfigError(
            graph_errors.missing_attribute(graph, what, attr, names, graphs)
        ) from exc
    if isinstance(value, StateGraph):
        try:
            value = value.compile()
        except Exception as exc:
            raise GraphConfigError(
                f"{graph} failed to load: compiling the StateGraph {attr} raised"
                f" {type(exc).__name__}\n{graph_errors.project_traceback(exc).rstrip()}"
            ) from exc
    if isinstance(value, Pregel):
        spec.compiled = value
    elif callable(value):
        spec.factory = value
    else:
        raise GraphConfigError(
            f"{graph} failed to load: {attr} is a {type(value).__name__}, not a graph or a"
            " function that returns one"
        )


def _as_pregel(graph_id: str, value: Any) -> Graph:
    if isinstance(value, StateGraph):
        value = value.compile()
    if not isinstance(value, Pregel):
        raise GraphConfigError(
            f'Graph "{graph_id}": the factory returned {type(value).__name__}, not a graph'
        )
    return value


class GraphRegistry:
    """The project's graphs, bound to the server's checkpointer and store."""

    def __init__(self, project: Project, checkpointer: Any, store: Any) -> None:
        self.project = project
        self._checkpointer = checkpointer
        self._store = store
        self._bound: dict[str, Graph] = {}

    def __contains__(self, graph_id: str) -> bool:
        return graph_id in self.project.graphs

    @property
    def graph_ids(self) -> list[str]:
        return list(self.project.graphs)

    def _bind(self, graph: Graph) -> Graph:
        return graph.copy(update={"checkpointer": self._checkpointer, "store": self._store})

    @contextlib.asynccontextmanager
    async def graph(
        self, graph_id: str, config: Mapping[str, Any] | None = None
    ) -> AsyncIterator[Graph]:
        """The graph for one run (factories are called with the run's config)."""
        spec = self.project.graphs[graph_id]
        if spec.compiled is not None:
            bound = self._bound.get(graph_id)
            if bound is None:
                bound = self._bound[graph_id] = self._bind(spec.compiled)
            yield bound
            return
        factory = spec.factory
        args = [dict(config or {})] if _accepts_argument(factory) else []
        made = factory(*args)
        if inspect.isawaitable(made):
            made = await made
        if isinstance(made, contextlib.AbstractAsyncContextManager):
            async with made as value:
                yield self._bind(_as_pregel(graph_id, value))
        elif isinstance(made, contextlib.AbstractContextManager):
            with made as value:
                yield self._bind(_as_pregel(graph_id, value))
        else:
            yield self._bind(_as_pregel(graph_id, made))


def _accepts_argument(factory: Any) -> bool:
    try:
        params = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(
        p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL) for p in params
    )
