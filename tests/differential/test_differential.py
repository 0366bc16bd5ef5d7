"""The same scenarios against the official server and against Tether, compared.

Each scenario of `flows.SCENARIOS` runs on both servers at once (each through its own official
SDK client), both transcripts are normalised (`normalizing.py`: ids, timestamps and the keys that
name the server), and every remaining difference must match an entry of `ALLOWED` below.
A difference that matches nothing fails the test, printed path by path.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from langgraph_sdk import get_client

from . import conftest
from .flows import SCENARIOS, STORE_SCENARIOS, Probe, Scenario
from .normalizing import Allowed, differences, normalize

pytestmark = pytest.mark.timeout(180)

SDK_TIMEOUT = httpx.Timeout(30.0, connect=5.0)

#: Differences that are expected. Every entry names the scenario(s) and the path(s) it covers
#: (shell patterns over `flows.py` names and the dotted paths of `normalizing.differences`) and
#: says why. Kinds:
#:   "quirk"      - the official server's bug or accident (shared/reference/official-server-wire.md);
#:                  Tether does the right thing instead.
#:   "choice"     - Tether differs on purpose (docs/compatibility.md).
ALLOWED: list[Allowed] = [
    # -- official quirks ---------------------------------------------------------------------
    Allowed(
        "join_replay_resumable",
        "custom_and_values",
        "quirk",
        "Join stream_mode: the official server honours only the LAST repeated `stream_mode` "
        "query value (the SDK sends one per mode), so ['custom','values'] gives only values.",
    ),
    Allowed(
        "rejoin_in_the_middle",
        "rejoin.duplicates",
        "quirk",
        "Official resumable replay can repeat the event emitted during its replay->live switch "
        "(same id twice); Tether must deliver each event exactly once.",
        tether_is=0,
    ),
    Allowed(
        "rejoin_in_the_middle",
        "rejoin.missing",
        "quirk",
        "Official resumable replay can also skip events around its replay->live switch (seen by "
        "bench/run.py's resume scenario); Tether must miss none.",
        tether_is=[],
    ),
    Allowed(
        "errors_and_status_codes",
        "join_unknown_raw.*",
        "quirk",
        "GET /threads/{tid}/runs/{unknown}/join: official answers 200 with "
        "{'__error__': {'error': 'HTTPException', 'message': '404: Run not found'}} after ~0.5 s; "
        "Tether answers 404 {'detail': 'Run not found'}.",
    ),
    Allowed(
        "join_unknown_and_blocking_join",
        "join_unknown.*",
        "quirk",
        "Same quirk seen through the SDK: official runs.join of an unknown run returns the "
        "__error__ dict; against Tether the SDK raises the 404.",
    ),
    Allowed(
        "state_and_history",
        "history_*_default.body",
        "quirk",
        "History without a limit: the official server's effective default is 1 for GET and POST "
        "(its OpenAPI says 10); Tether uses 10.",
    ),
    Allowed(
        "state_and_history",
        "state_at_checkpoint.checkpoint.checkpoint_ns",
        "quirk",
        "GET state at a checkpoint id: the official `checkpoint` object lacks checkpoint_ns, "
        "unlike every other state object; Tether always includes it.",
    ),
    Allowed(
        "stateless_stream",
        "checkpoints_debug",
        "quirk",
        "A stateless /runs/stream emits no `checkpoints` events and no debug checkpoint entries "
        "on the official server (its temporary thread has no checkpointer); Tether emits them.",
    ),
    Allowed(
        "errors_and_status_codes",
        "stateless_run_get.*",
        "quirk",
        "GET /runs/{run_id} is not a route on the official server (404), although its stateless "
        "responses point Location/Content-Location at it; Tether serves it.",
    ),
    # -- Tether's deliberate choices -----------------------------------------------------------
    Allowed(
        "*",
        "*.ids",
        "choice",
        "Tether sends an `id:` line with every event of every run, so any stream can be resumed; "
        "the official server sends `id:` only for runs created with stream_resumable=true.",
    ),
    Allowed(
        "join_replay_not_resumable",
        "replay",
        "choice",
        "Every Tether run is resumable: a join with Last-Event-ID replays a run created without "
        "stream_resumable; the official server sends nothing.",
    ),
    Allowed(
        "errors_and_status_codes",
        "create_*.body.detail",
        "choice",
        "422 detail texts: the official server returns jsonschema's error dump; Tether returns "
        "its own one-line messages. Status codes are still compared.",
    ),
    Allowed(
        "errors_and_status_codes",
        "*_unknown.body.detail",
        "choice",
        "404 detail texts: the official 'Not Found' (route fallthrough) vs Tether naming what "
        "was not found ('Run not found', 'Assistant <id> not found').",
    ),
    Allowed(
        "cancel_interrupt",
        "after.thread",
        "quirk",
        "The official server marks a cancelled run `interrupted` at once while its thread stays "
        "`busy` until the worker notices; Tether changes the run and the thread together, once "
        "the run has actually stopped.",
        tether_is="interrupted",
    ),
    Allowed(
        "run_and_thread_objects",
        "*.kwargs.config.*",
        "choice",
        "A run's kwargs record what it was created with; the official server also writes its "
        "worker's runtime keys there once it runs (__pregel_node_finished, langgraph_version, "
        "run_attempt).",
        tether_is="<missing>",
    ),
    Allowed(
        "run_and_thread_objects",
        "stateless_created.*metadata.graph_id",
        "choice",
        "Tether's run metadata always names the run's graph; the official stateless run omits "
        "graph_id there (its threaded runs have it).",
    ),
    # -- the second project, store_project/ (semantic store search, http options) ---------
    Allowed(
        "http_options",
        "headers_vs_config.body.seen.x-probe-shadowed",
        "choice",
        "Row 50: a header `http.configurable_headers` lets in and a key of the request's own "
        "config.configurable with the same name: the official server lets the header win, "
        "Tether the request body (what the caller wrote for this run).",
        tether_is="from the body",
    ),
    Allowed(
        "store_semantic_search",
        "*.unscored",
        "choice",
        "Row 51: a search with `query` finds only embedded items on Tether; the official "
        "in-memory store also returns the items put with index=false, after the others and "
        "with score null.",
        tether_is=[],
    ),
    # -- MCP and A2A (docs/compatibility.md, "MCP and A2A" and rows 36-40) ----------------
    Allowed(
        "mcp_wire",
        "tools",
        "quirk",
        "MCP tools/list: the official server drops every assistant whose graph reports no "
        "input schema, which in 0.16.7 is every graph; Tether lists them all.",
        tether_is=["agent", "chat", "context", "firehose", "hitl", "nested", "ticker", "trivial"],
    ),
    Allowed(
        "mcp_wire",
        "call.text",
        "quirk",
        "MCP tools/call: the official text is the Python repr of the output; Tether's is JSON.",
        tether_is="['counter', 'messages']",
    ),
    Allowed(
        "mcp_wire",
        "call.is_error",
        "choice",
        "The mcp SDK always writes isError (false); the official server leaves it out.",
        tether_is=False,
    ),
    Allowed(
        "mcp_wire",
        "bad.*",
        "choice",
        "tools/call with arguments that are not an object: the official server answers an "
        "isError result; Tether (the mcp SDK's request validation) the JSON-RPC error -32602.",
    ),
    Allowed(
        "mcp_wire",
        "delete",
        "choice",
        "DELETE /mcp: official 404; Tether (the mcp SDK, stateless) 405 — there is no session.",
        tether_is=405,
    ),
    Allowed(
        "a2a_wire",
        "card.body.capabilities.extensions",
        "choice",
        "Tether does not implement the historyScope option, so its card does not advertise it.",
        tether_is="<missing>",
    ),
    Allowed(
        "a2a_wire",
        "card_by_name.*",
        "quirk",
        "A2A wants an assistant UUID on the official server (runs and MCP accept graph names); "
        "Tether accepts a graph name here too.",
    ),
    Allowed(
        "a2a_wire",
        "get.body.result.artifacts",
        "quirk",
        "Official tasks/get of a completed task has no artifacts (message/send has them); "
        "Tether answers the same task either way.",
    ),
    Allowed(
        "a2a_wire",
        "get.body.result.status.message",
        "choice",
        "Official tasks/get adds the status message 'Task completed successfully'; Tether "
        "sends a status message only when it says something (an error, an interrupt).",
        tether_is="<missing>",
    ),
    Allowed(
        "a2a_wire",
        "*.history.*.messageId",
        "choice",
        "The id of the chat model's reply: the official runtime's streamed message id carries a "
        "'-0' suffix ('lc_run--<uuid>-0'), langgraph run by Tether gives 'lc_run--<uuid>'.",
    ),
    Allowed(
        "a2a_wire",
        "send_v1.parts.*.kind",
        "quirk",
        "The official v1.0 SendMessage answer still tags parts with the v0.3 `kind`; v1.0 "
        "ProtoJSON parts have no tag.",
        tether_is="<missing>",
    ),
    # -- thread-centric streaming v3 (docs/compatibility.md, rows V1-V20) ----------------
    Allowed(
        "v3_channels_and_depth",
        "unsent_channels",
        "quirk",
        "V1: the official server never delivers `updates` or `custom` events (nor tools, tasks, "
        "checkpoints), even when asked; Tether delivers what the agent graph writes.",
        tether_is=["custom", "updates"],
    ),
    Allowed(
        "v3_channels_and_depth",
        "depth_0.namespaces",
        "quirk",
        "V2: `depth: 0` without `namespaces` does not filter on the official server (the child "
        "graph's events still arrive); Tether sends the root graph's only.",
        tether_is=[""],
    ),
    Allowed(
        "v3_channels_and_depth",
        "node_messages",
        "choice",
        "V18: messages a node returns (not a chat model's tokens) arrive on Tether's `messages` "
        "channel as langgraph's protocol streaming makes them; the official server drops them.",
        tether_is=["msg-a", "msg-b"],
    ),
    Allowed(
        "v3_thread_stream",
        "values.message_keys",
        "choice",
        "V19: messages inside `values` events: the official server sends a compact "
        "{type, content, id} form, Tether the whole message, as every other `values` it sends.",
    ),
    Allowed(
        "v3_thread_stream",
        "tree.body.*",
        "quirk",
        "agent.getTree over HTTP: the official server binds no run to a request, so it always "
        "answers no_such_run; Tether answers the tree of the thread's latest run.",
    ),
    Allowed(
        "v3_thread_stream",
        "subscribe_http.body.*",
        "quirk",
        "V10: subscription.subscribe over HTTP succeeds on the official server with an id "
        "nobody can use; Tether answers not_supported (open the SSE stream instead).",
    ),
    Allowed(
        "v3_thread_stream",
        "reconnect_http.body.*",
        "choice",
        "V11: subscription.reconnect over HTTP: official no_such_run, Tether not_supported "
        "(reconnect by opening the stream with `since`).",
    ),
    Allowed(
        "v3_thread_stream",
        "run_start_unknown_graph.body.*",
        "quirk",
        "V20: run.start with an unknown assistant is `unknown_error` '422: Invalid "
        "assistant...' on the official server; Tether answers invalid_argument, same text.",
    ),
    Allowed(
        "v3_thread_stream",
        "*_bad_channel.body.*",
        "choice",
        "V20: a bad channel: the official subscribe error does not name it, its SSE 400 "
        "lists the accepted channels but `checkpoints`; Tether names it and lists them all.",
    ),
]
conftest.ALLOWANCES[:] = ALLOWED


async def _transcript(url: str, scenario: Scenario) -> dict[str, Any]:
    sdk = get_client(url=url, api_key=None, timeout=SDK_TIMEOUT)
    try:
        probe = Probe(sdk)
        await scenario(probe)
        return probe.record
    finally:
        await sdk.aclose()


async def _compare(name: str, scenario: Scenario, official_url: str, tether_url: str) -> None:
    official, tether = await asyncio.gather(
        _transcript(official_url, scenario), _transcript(tether_url, scenario)
    )
    found = differences(normalize(official), normalize(tether))
    unexpected = []
    for difference in found:
        matched = [entry for entry in ALLOWED if entry.matches(name, difference)]
        for entry in matched:
            conftest.ALLOWANCES_USED[id(entry)] = conftest.ALLOWANCES_USED.get(id(entry), 0) + 1
        if not matched:
            unexpected.append(difference)
    assert not unexpected, (
        f"{len(unexpected)} difference(s) from the official server in {name}:\n"
        + "\n".join(str(d) for d in unexpected)
    )


@pytest.mark.parametrize("name", sorted(SCENARIOS))
async def test_same_behaviour_as_the_official_server(
    name: str, official_url: str, tether_url: str
) -> None:
    await _compare(name, SCENARIOS[name], official_url, tether_url)


@pytest.mark.parametrize("name", sorted(STORE_SCENARIOS))
async def test_same_store_and_http_behaviour_as_the_official_server(
    name: str, official_store_url: str, tether_store_url: str
) -> None:
    """The second project (`store_project/`): semantic store search and `http` options."""
    await _compare(name, STORE_SCENARIOS[name], official_store_url, tether_store_url)
