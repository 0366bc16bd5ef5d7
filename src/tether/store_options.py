"""The `store` and `checkpointer` sections of a project's `langgraph.json`.

```json
{
  "store": {
    "index": {"embed": "./embed.py:embed_texts", "dims": 256, "fields": ["text"]},
    "ttl": {"default_ttl": 60, "refresh_on_read": true, "sweep_interval_minutes": 5}
  },
  "checkpointer": {
    "ttl": {"strategy": "delete", "default_ttl": 43200, "sweep_interval_minutes": 60}
  }
}
```

`embed` is a function of the project (`"./file.py:function"`, relative to langgraph.json, or
`"package.module:function"`) taking a list of texts and returning one vector per text (sync or
async), or a LangChain `Embeddings` object, or a provider string such as
`"openai:text-embedding-3-small"` (through `langchain`'s `init_embeddings`, which needs
`langchain` and the provider's package installed).
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

from langchain_core.embeddings import Embeddings
from langgraph.store.base import IndexConfig, TTLConfig
from langgraph.store.base.embed import ensure_embeddings

from tether.project_files import NotAModule, import_file, names_a_file


class ProjectOptionError(ValueError):
    """A `store` or `checkpointer` option of langgraph.json is wrong; the message says how."""


@dataclass(frozen=True)
class StoreOptions:
    """How the long-term store indexes and expires its items (both optional)."""

    #: `dims`, `fields` and `embed` (resolved to an `Embeddings` object), or None: no
    #: semantic search (a search's `query` is ignored).
    index: IndexConfig | None = None
    #: langgraph's TTL settings (`default_ttl` and `sweep_interval_minutes` in minutes).
    ttl: TTLConfig | None = None


@dataclass(frozen=True)
class ThreadTTL:
    """`checkpointer.ttl`: threads created without a `ttl` get `default_ttl` minutes with
    `strategy`; expired threads are looked for every `sweep_interval_minutes`."""

    strategy: Literal["delete", "keep_latest"] = "delete"
    default_ttl: float | None = None
    sweep_interval_minutes: float | None = None

    def thread_ttl(self) -> dict[str, Any] | None:
        """The `ttl` a new thread gets when its request names none."""
        if self.default_ttl is None:
            return None
        return {"strategy": self.strategy, "ttl": self.default_ttl}


def _minutes(section: str, value: Any, *, allow_none: bool = True) -> float | None:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ProjectOptionError(f"{section} must be a positive number of minutes, got {value!r}")
    return float(value)


def read_store_options(raw: dict[str, Any], root: Path) -> StoreOptions:
    """The `store` section of langgraph.json; `embed` is imported or built now, so a
    wrong one stops the server at start, not at the first search."""
    section = raw.get("store")
    if section is None:
        return StoreOptions()
    if not isinstance(section, dict):
        raise ProjectOptionError('"store" in langgraph.json must be an object')
    index = _read_index(section.get("index"), root)
    ttl = _read_store_ttl(section.get("ttl"))
    return StoreOptions(index=index, ttl=ttl)


def _read_index(index: Any, root: Path) -> IndexConfig | None:
    if index is None:
        return None
    if not isinstance(index, dict):
        raise ProjectOptionError('"store.index" in langgraph.json must be an object')
    dims = index.get("dims")
    if isinstance(dims, bool) or not isinstance(dims, int) or dims <= 0:
        raise ProjectOptionError(
            f'"store.index.dims" must be a positive integer (the embedding size), got {dims!r}'
        )
    fields = index.get("fields")
    if fields is not None and (
        not isinstance(fields, list) or not all(isinstance(f, str) and f for f in fields)
    ):
        raise ProjectOptionError(
            '"store.index.fields" must be a list of JSON paths such as ["text", "tags[*]"]'
        )
    embed = index.get("embed")
    if not isinstance(embed, str) or not embed:
        raise ProjectOptionError(
            '"store.index.embed" must name an embedding function ("./embed.py:function")'
            ' or a provider ("openai:text-embedding-3-small")'
        )
    config: IndexConfig = {"dims": dims, "embed": load_embeddings(embed, root)}
    if fields is not None:
        config["fields"] = fields
    return config


def _read_store_ttl(ttl: Any) -> TTLConfig | None:
    if ttl is None:
        return None
    if not isinstance(ttl, dict):
        raise ProjectOptionError('"store.ttl" in langgraph.json must be an object')
    config: TTLConfig = {}
    if "default_ttl" in ttl:
        config["default_ttl"] = _minutes('"store.ttl.default_ttl"', ttl["default_ttl"])
    if "sweep_interval_minutes" in ttl:
        interval = _minutes('"store.ttl.sweep_interval_minutes"', ttl["sweep_interval_minutes"])
        # langgraph types it as int; a fraction of a minute works the same (its sweeper
        # converts to seconds).
        config["sweep_interval_minutes"] = cast(int | None, interval)
    if "refresh_on_read" in ttl:
        refresh = ttl["refresh_on_read"]
        if not isinstance(refresh, bool):
            raise ProjectOptionError('"store.ttl.refresh_on_read" must be true or false')
        config["refresh_on_read"] = refresh
    return config


def read_thread_ttl(raw: dict[str, Any]) -> ThreadTTL | None:
    """The `checkpointer.ttl` section of langgraph.json (other `checkpointer` keys are not
    supported and refused)."""
    section = raw.get("checkpointer")
    if section is None:
        return None
    if not isinstance(section, dict):
        raise ProjectOptionError('"checkpointer" in langgraph.json must be an object')
    unknown = sorted(set(section) - {"ttl"})
    if unknown:
        raise ProjectOptionError(
            f'"checkpointer" options {unknown} are not supported by Tether (only "ttl"):'
            " Tether's checkpointer is its SQLite or PostgreSQL storage"
        )
    ttl = section.get("ttl")
    if ttl is None:
        return None
    if not isinstance(ttl, dict):
        raise ProjectOptionError('"checkpointer.ttl" in langgraph.json must be an object')
    strategy = ttl.get("strategy", "delete")
    if strategy not in ("delete", "keep_latest"):
        raise ProjectOptionError(
            f'"checkpointer.ttl.strategy" must be "delete" or "keep_latest", got {strategy!r}'
        )
    return ThreadTTL(
        strategy=strategy,
        default_ttl=_minutes('"checkpointer.ttl.default_ttl"', ttl.get("default_ttl")),
        sweep_interval_minutes=_minutes(
            '"checkpointer.ttl.sweep_interval_minutes"', ttl.get("sweep_interval_minutes")
        ),
    )


def load_embeddings(embed: str, root: Path) -> Embeddings:
    """`"./file.py:function"`, `"module:function"` or a provider string, as an `Embeddings`."""
    location, _, attr = embed.rpartition(":")
    if names_a_file(location):
        file = (root / location).resolve()
        if not file.is_file():
            raise ProjectOptionError(
                f'"store.index.embed" {embed!r}: {file} does not exist (paths are relative'
                f" to {root})"
            )
        try:
            module = import_file(file, f"tether_embed.{file.stem}")
        except NotAModule:
            raise ProjectOptionError(f'"store.index.embed" {embed!r}: not a Python file') from None
        except Exception as exc:
            raise ProjectOptionError(
                f'"store.index.embed" {embed!r}: importing {file} raised'
                f" {type(exc).__name__}: {exc}"
            ) from exc
        return _embeddings_from(embed, module, attr)
    if location and attr.isidentifier():
        try:
            module = importlib.import_module(location)
        except ModuleNotFoundError as exc:
            if exc.name is None or not location.startswith(exc.name):
                raise ProjectOptionError(
                    f'"store.index.embed" {embed!r}: importing {location} raised {exc}'
                ) from exc
        else:
            if hasattr(module, attr):
                return _embeddings_from(embed, module, attr)
    try:
        return ensure_embeddings(embed)
    except Exception as exc:
        raise ProjectOptionError(
            f'"store.index.embed" {embed!r} is neither a function of the project nor an'
            f" embeddings provider langchain could load: {exc}\nTo use a provider, install"
            " langchain and the provider's package (pip install langchain langchain-openai)."
        ) from exc


def _embeddings_from(embed: str, module: Any, attr: str) -> Embeddings:
    value = getattr(module, attr, None)
    if value is None:
        raise ProjectOptionError(f'"store.index.embed" {embed!r}: the module has no {attr!r}')
    if not (isinstance(value, Embeddings) or callable(value)):
        raise ProjectOptionError(
            f'"store.index.embed" {embed!r} is a {type(value).__name__}, not an embedding'
            " function or an Embeddings object"
        )
    return ensure_embeddings(value)


#: How often expired store items are deleted when langgraph.json does not say (langgraph's
#: own default): items put with a `ttl` expire even without a `store.ttl` section.
DEFAULT_SWEEP_MINUTES = 5.0


def sweep_interval_seconds(options: StoreOptions) -> float:
    """Seconds between two sweeps of expired store items."""
    minutes = (options.ttl or {}).get("sweep_interval_minutes") or DEFAULT_SWEEP_MINUTES
    return float(minutes) * 60
