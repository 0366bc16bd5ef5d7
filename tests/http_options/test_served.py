"""The `store` and `http` sections through a real `tether serve` process (uvicorn, the
official SDK over the network), on both backends."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import orjson
from conftest import ServerProcess
from langgraph_sdk import get_client

ROOT = Path(__file__).resolve().parent.parent
STORE_PROJECT = ROOT / "store" / "project"
WEBAPP = Path(__file__).resolve().parent / "project" / "webapp.py"


async def test_a_served_project_has_semantic_search_and_its_own_routes(
    fresh_server: ServerProcess, tmp_path: Path
) -> None:
    config = tmp_path / "langgraph.json"
    config.write_bytes(
        orjson.dumps(
            {
                "graphs": {"memory": f"{STORE_PROJECT / 'graphs.py'}:memory"},
                "store": {
                    "index": {
                        "embed": f"{STORE_PROJECT / 'embed.py'}:embed_texts",
                        "dims": 256,
                        "fields": ["text"],
                    }
                },
                "http": {"app": f"{WEBAPP}:app"},
            }
        )
    )
    fresh_server.config = config
    fresh_server.command = "serve"
    fresh_server.start(timeout=90)
    client = get_client(url=fresh_server.url, api_key=None)
    namespace = ["served", uuid.uuid4().hex]
    texts = {"fruit": "bananas are a yellow fruit", "car": "the car engine needs oil"}
    for key, text in texts.items():
        await client.store.put_item(namespace, key, {"text": text})

    found = await client.store.search_items(namespace, query="engine oil")
    result = await client.runs.wait(
        None, "memory", input={"namespace": namespace, "query": "engine oil"}
    )

    assert [i["key"] for i in found["items"]] == ["car", "fruit"]
    assert found["items"][0]["score"] > found["items"][1]["score"]
    assert [f["key"] for f in result["found"]] == ["car", "fruit"]  # type: ignore[index]
    async with httpx.AsyncClient(base_url=fresh_server.url) as http:
        assert (await http.get("/hello")).json() == {"hello": "world"}
    await client.aclose()
