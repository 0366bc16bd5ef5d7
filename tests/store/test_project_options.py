"""Reading `store` and `checkpointer` from langgraph.json: what is accepted, and the
message a wrong value gets at start (no server needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from langchain_core.embeddings import Embeddings

from tether.graphs import GraphConfigError, read_project
from tether.store_options import ThreadTTL, load_embeddings

from .conftest import EMBED, GRAPHS, PROJECT


def _read(tmp_path: Path, **sections: Any) -> Any:
    config = tmp_path / "langgraph.json"
    config.write_bytes(orjson.dumps({"graphs": GRAPHS, **sections}))
    return read_project(config)


def test_index_and_ttls_are_read(tmp_path: Path) -> None:
    project = _read(
        tmp_path,
        store={
            "index": {"embed": EMBED, "dims": 256, "fields": ["text"]},
            "ttl": {"default_ttl": 10, "refresh_on_read": False, "sweep_interval_minutes": 2},
        },
        checkpointer={"ttl": {"strategy": "keep_latest", "default_ttl": 60}},
    )
    index = project.store.index
    assert index["dims"] == 256 and index["fields"] == ["text"]
    assert isinstance(index["embed"], Embeddings)
    assert len(index["embed"].embed_query("hello")) == 256
    assert project.store.ttl == {
        "default_ttl": 10.0,
        "refresh_on_read": False,
        "sweep_interval_minutes": 2.0,
    }
    assert project.thread_ttl == ThreadTTL("keep_latest", 60.0, None)
    assert project.thread_ttl.thread_ttl() == {"strategy": "keep_latest", "ttl": 60.0}


def test_embed_as_a_path_relative_to_langgraph_json(tmp_path: Path) -> None:
    (tmp_path / "mine.py").write_text("def embed(texts):\n    return [[1.0, 2.0] for _ in texts]\n")
    embeddings = load_embeddings("./mine.py:embed", tmp_path)
    assert embeddings.embed_documents(["a", "b"]) == [[1.0, 2.0], [1.0, 2.0]]


async def test_embed_as_an_async_module_function(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "my_embedder.py").write_text(
        "async def embed(texts):\n    return [[0.5] for _ in texts]\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    embeddings = load_embeddings("my_embedder:embed", PROJECT)
    assert await embeddings.aembed_documents(["a"]) == [[0.5]]


def test_provider_string_without_langchain_says_what_to_install(tmp_path: Path) -> None:
    with pytest.raises(GraphConfigError) as caught:
        _read(tmp_path, store={"index": {"embed": "openai:text-embedding-3-small", "dims": 8}})
    message = str(caught.value)
    assert "openai:text-embedding-3-small" in message
    assert "install langchain" in message


@pytest.mark.parametrize(
    ("sections", "message"),
    [
        ({"store": {"index": {"embed": EMBED}}}, '"store.index.dims" must be a positive integer'),
        ({"store": {"index": {"embed": EMBED, "dims": 4, "fields": "text"}}}, "list of JSON paths"),
        ({"store": {"index": {"dims": 4}}}, '"store.index.embed" must name'),
        ({"store": {"index": {"embed": "./missing.py:f", "dims": 4}}}, "does not exist"),
        (
            {"store": {"index": {"embed": f"{PROJECT / 'embed.py'}:nothing", "dims": 4}}},
            "has no 'nothing'",
        ),
        ({"store": {"ttl": {"default_ttl": -1}}}, "positive number of minutes"),
        ({"store": {"ttl": {"refresh_on_read": "yes"}}}, "must be true or false"),
        ({"checkpointer": {"ttl": {"strategy": "archive"}}}, '"delete" or "keep_latest"'),
        ({"checkpointer": {"path": "./saver.py:saver"}}, "not supported by Tether"),
    ],
)
def test_wrong_options_stop_the_start_with_a_clear_message(
    tmp_path: Path, sections: dict[str, Any], message: str
) -> None:
    with pytest.raises(GraphConfigError, match="langgraph.json") as caught:
        _read(tmp_path, **sections)
    assert message in str(caught.value)
