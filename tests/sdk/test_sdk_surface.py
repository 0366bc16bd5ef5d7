"""The public surface: same names and signatures as langgraph-sdk 0.4.14, sync = async."""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from typing import Any

import httpx
import langgraph_sdk
import langgraph_sdk.client
import langgraph_sdk.errors
import langgraph_sdk.schema
import langgraph_sdk.sse
import pytest
import tether_sdk
import tether_sdk.client
import tether_sdk.errors
import tether_sdk.schema
import tether_sdk.sse
import typing_extensions

CLASS_PAIRS = [
    ("LangGraphClient", "SyncLangGraphClient"),
    ("HttpClient", "SyncHttpClient"),
    ("AssistantsClient", "SyncAssistantsClient"),
    ("ThreadsClient", "SyncThreadsClient"),
    ("RunsClient", "SyncRunsClient"),
    ("CronClient", "SyncCronClient"),
    ("StoreClient", "SyncStoreClient"),
]
CLASSES = [name for pair in CLASS_PAIRS for name in pair]

# Deliberate differences from langgraph-sdk, as (qualified name, what differs). Each is
# also listed in docs/sdk.md. Anything else that differs fails the test.
ALLOWED_DIFFERENCES = {
    # Tether extension: how dropped streams are retried (ReconnectPolicy), keyword-only
    # with a default, so every call valid for langgraph-sdk stays valid.
    ("get_client", "extra parameter reconnect"),
    ("get_sync_client", "extra parameter reconnect"),
    ("LangGraphClient.__init__", "extra parameter reconnect"),
    ("SyncLangGraphClient.__init__", "extra parameter reconnect"),
    ("HttpClient.__init__", "extra parameter reconnect"),
    ("SyncHttpClient.__init__", "extra parameter reconnect"),
    # The sync client is generated from the async one, where these two are
    # positional-or-keyword (as in langgraph-sdk's async StoreClient); that accepts every
    # keyword call langgraph-sdk's sync client accepts.
    ("SyncStoreClient.list_namespaces", "headers kind POSITIONAL_OR_KEYWORD != KEYWORD_ONLY"),
    ("SyncStoreClient.list_namespaces", "params kind POSITIONAL_OR_KEYWORD != KEYWORD_ONLY"),
    (
        "SyncStoreClient.list_namespaces",
        "positional order ['self', 'prefix', 'suffix', 'max_depth', 'limit', 'offset', 'headers',"
        " 'params'] != ['self', 'prefix', 'suffix', 'max_depth', 'limit', 'offset']",
    ),
}


def _sentinel(value: Any) -> Any:
    # Both SDKs mark "not passed" with a private object() sentinel.
    if type(value) is object or type(value).__name__ == "_NotProvided":
        return "<NOT_PROVIDED>"
    return value


def _flavour(function: Callable[..., Any]) -> str:
    if inspect.isasyncgenfunction(function):
        return "async generator"
    if inspect.iscoroutinefunction(function):
        return "coroutine"
    return "function"


def signature_differences(qualname: str, ours: Any, theirs: Any) -> set[tuple[str, str]]:
    """Differences in names, kinds, defaults and positional order of two callables."""
    found: set[tuple[str, str]] = set()
    if _flavour(ours) != _flavour(theirs):
        found.add((qualname, f"{_flavour(ours)} != {_flavour(theirs)}"))
    our_params = inspect.signature(ours).parameters
    their_params = inspect.signature(theirs).parameters
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    our_order = [n for n, p in our_params.items() if p.kind in positional]
    their_order = [n for n, p in their_params.items() if p.kind in positional]
    if our_order != their_order:
        found.add((qualname, f"positional order {our_order} != {their_order}"))
    for name in their_params.keys() - our_params.keys():
        found.add((qualname, f"missing parameter {name}"))
    for name in our_params.keys() - their_params.keys():
        found.add((qualname, f"extra parameter {name}"))
    for name in our_params.keys() & their_params.keys():
        mine, other = our_params[name], their_params[name]
        if mine.kind != other.kind:
            found.add((qualname, f"{name} kind {mine.kind.name} != {other.kind.name}"))
        if _sentinel(mine.default) != _sentinel(other.default):
            found.add((qualname, f"{name} default {mine.default!r} != {other.default!r}"))
    return found


def public_methods(cls: type) -> dict[str, Any]:
    return {
        name: member
        for name, member in vars(cls).items()
        if callable(member) and (not name.startswith("_") or name == "__init__")
    }


def test_surface_matches_langgraph_sdk_except_allowed_differences() -> None:
    differences: set[tuple[str, str]] = set()
    for name in ("get_client", "get_sync_client"):
        differences |= signature_differences(
            name, getattr(tether_sdk, name), getattr(langgraph_sdk, name)
        )
    for class_name in CLASSES:
        ours = getattr(tether_sdk.client, class_name)
        theirs = getattr(langgraph_sdk.client, class_name)
        our_methods, their_methods = public_methods(ours), public_methods(theirs)
        for method in their_methods.keys() - our_methods.keys():
            differences.add((f"{class_name}.{method}", "missing method"))
        for method in our_methods.keys() - their_methods.keys():
            differences.add((f"{class_name}.{method}", "extra method"))
        for method in our_methods.keys() & their_methods.keys():
            differences |= signature_differences(
                f"{class_name}.{method}", our_methods[method], their_methods[method]
            )
    assert differences == ALLOWED_DIFFERENCES


def test_signature_comparison_notices_a_difference() -> None:
    def reference(a: int, *, b: int = 1) -> None: ...
    async def changed(a: int, *, b: int = 2, c: int = 0) -> None: ...

    assert signature_differences("f", changed, reference) == {
        ("f", "coroutine != function"),
        ("f", "b default 2 != 1"),
        ("f", "extra parameter c"),
    }


@pytest.mark.parametrize(("async_name", "sync_name"), CLASS_PAIRS)
def test_sync_and_async_twins_have_the_same_methods_and_signatures(
    async_name: str, sync_name: str
) -> None:
    async_methods = public_methods(getattr(tether_sdk, async_name))
    sync_methods = {
        name.replace("close", "aclose") if name == "close" else name: member
        for name, member in public_methods(getattr(tether_sdk, sync_name)).items()
    }
    assert list(async_methods) == list(sync_methods)  # same methods, same order
    for name, async_method in async_methods.items():
        sync_method = sync_methods[name]
        assert _flavour(sync_method) == "function"
        assert _shape(async_method) == _shape(sync_method), name


def _shape(function: Callable[..., Any]) -> list[tuple[str, str, Any]]:
    # Annotations differ by design (httpx.AsyncClient vs httpx.Client, AsyncIterator vs
    # Iterator); names, kinds, order and defaults must not.
    return [
        (p.name, p.kind.name, _sentinel(p.default))
        for p in inspect.signature(function).parameters.values()
    ]


def test_async_methods_are_awaitable_or_iterable_like_langgraph_sdk() -> None:
    # Quirk kept for drop-in compatibility: threads.join_stream must be awaited, while
    # runs.stream and runs.join_stream return the iterator directly.
    assert _flavour(tether_sdk.ThreadsClient.join_stream) == "coroutine"
    assert _flavour(tether_sdk.RunsClient.stream) == "function"
    assert _flavour(tether_sdk.RunsClient.join_stream) == "function"
    assert _flavour(tether_sdk.HttpClient.stream) == "async generator"


def test_threads_stream_v3_opens_an_sse_or_websocket_session() -> None:
    client = tether_sdk.get_sync_client(url="http://server.test")
    thread = client.threads.stream(assistant_id="agent")
    assert thread.assistant_id == "agent" and len(thread.thread_id) == 36
    assert thread.transport == "sse"
    assert client.threads.stream("t-1", assistant_id="agent").thread_id == "t-1"
    socket = client.threads.stream(assistant_id="agent", transport="websocket")
    assert socket.transport == "websocket"
    with pytest.raises(ValueError, match="transport must be 'sse' or 'websocket'"):
        client.threads.stream(assistant_id="agent", transport="grpc")  # type: ignore[arg-type]


def test_websocket_urls_and_handshake_headers() -> None:
    from tether_sdk._core.thread_stream import socket_headers, socket_url

    base = httpx.URL("https://h.example/api/")
    assert (
        socket_url(base, "/threads/t/stream/events")
        == "wss://h.example/api/threads/t/stream/events"
    )
    assert socket_url(httpx.URL("http://127.0.0.1:8123"), "/x") == "ws://127.0.0.1:8123/x"
    client = httpx.Client(
        base_url="http://h.example",
        headers={"x-api-key": "k", "X-Team": "a"},
        cookies=httpx.Cookies({"session": "s1"}),
    )
    headers = dict(
        socket_headers(client, "ws://h.example/threads/t/stream/events", {"x-team": "b"})
    )
    assert headers["x-api-key"] == "k" and headers["x-team"] == "b"
    assert headers["cookie"] == "session=s1"
    assert not {"host", "connection", "upgrade", "accept-encoding", "user-agent"} & set(headers)
    client.close()


def test_exported_names_are_guarded() -> None:
    assert tether_sdk.__all__ == sorted(tether_sdk.__all__)
    assert set(tether_sdk.__all__) == {
        *(name for name in dir(tether_sdk) if not name.startswith("_")),
        "__version__",
    } - {"client", "errors", "schema", "sse"}
    assert tether_sdk.__all__ == [
        "APIConnectionError",
        "APIError",
        "APIResponseValidationError",
        "APIStatusError",
        "APITimeoutError",
        "AssistantsClient",
        "AuthenticationError",
        "BadRequestError",
        "ConflictError",
        "CronClient",
        "HttpClient",
        "InternalServerError",
        "LangGraphClient",
        "LangGraphError",
        "NotFoundError",
        "PermissionDeniedError",
        "ProtocolError",
        "RateLimitError",
        "ReconnectPolicy",
        "RunsClient",
        "StoreClient",
        "StreamPart",
        "StreamResumeError",
        "SyncAssistantsClient",
        "SyncCronClient",
        "SyncHttpClient",
        "SyncLangGraphClient",
        "SyncRunsClient",
        "SyncStoreClient",
        "SyncThreadStream",
        "SyncThreadsClient",
        "ThreadStream",
        "ThreadsClient",
        "UnprocessableEntityError",
        "__version__",
        "get_client",
        "get_sync_client",
    ]
    for module in (tether_sdk.client, tether_sdk.errors, tether_sdk.schema, tether_sdk.sse):
        assert module.__all__ == sorted(module.__all__), module.__name__
        for name in module.__all__:
            assert getattr(module, name) is not None


def _public(module: Any) -> set[str]:
    return {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and not inspect.ismodule(value)
        and getattr(value, "__module__", module.__name__).startswith("langgraph_sdk")
    }


@pytest.mark.parametrize(
    ("ours", "theirs", "left_out"),
    [
        # configure_loopback_transports wires langgraph-sdk's in-process ASGI loopback
        # inside langgraph-api; Tether has no such thing.
        (tether_sdk.client, langgraph_sdk.client, {"configure_loopback_transports"}),
        (tether_sdk.errors, langgraph_sdk.errors, set()),
        (tether_sdk.sse, langgraph_sdk.sse, set()),
        (tether_sdk.schema, langgraph_sdk.schema, set()),
    ],
    ids=["client", "errors", "sse", "schema"],
)
def test_public_modules_offer_every_langgraph_sdk_name(
    ours: Any, theirs: Any, left_out: set[str]
) -> None:
    assert _public(theirs) - set(dir(ours)) == left_out


def _typeddicts(module: Any) -> dict[str, Any]:
    return {
        name: value
        for name, value in vars(module).items()
        if not name.startswith("_") and typing_extensions.is_typeddict(value)
    }


def test_schema_typeddicts_have_the_same_keys() -> None:
    theirs = _typeddicts(langgraph_sdk.schema)
    ours = _typeddicts(tether_sdk.schema)
    assert ours.keys() == theirs.keys()
    for name, their_type in theirs.items():
        our_type = ours[name]
        assert our_type.__required_keys__ == their_type.__required_keys__, name
        assert our_type.__optional_keys__ == their_type.__optional_keys__, name


def _literal_values(alias: Any) -> set[Any]:
    values: set[Any] = set()
    for arg in typing.get_args(alias) or [alias]:
        if typing.get_origin(arg) is typing.Literal:
            values |= set(typing.get_args(arg))
        elif arg is not alias:
            values.add(arg)
    return values


def test_schema_literals_have_the_same_values() -> None:
    names = [
        name
        for name, value in vars(langgraph_sdk.schema).items()
        if not name.startswith("_")
        and (
            typing.get_origin(value) is typing.Literal
            or any(typing.get_origin(arg) is typing.Literal for arg in typing.get_args(value))
        )
    ]
    assert len(names) >= 20
    for name in names:
        theirs = getattr(langgraph_sdk.schema, name)
        ours = getattr(tether_sdk.schema, name)
        assert _literal_values(ours) == _literal_values(theirs), name


def test_stream_part_is_the_same_named_tuple() -> None:
    ours, theirs = tether_sdk.StreamPart, langgraph_sdk.schema.StreamPart
    assert ours._fields == theirs._fields == ("event", "data", "id")
    assert ours("values", {"a": 1}) == theirs("values", {"a": 1}) == ("values", {"a": 1}, None)


def test_error_classes_have_the_same_hierarchy() -> None:
    for name in langgraph_sdk.errors.__dict__:
        theirs = getattr(langgraph_sdk.errors, name)
        if isinstance(theirs, type) and issubclass(theirs, Exception):
            ours = getattr(tether_sdk.errors, name)
            assert [c.__name__ for c in ours.__mro__] == [c.__name__ for c in theirs.__mro__]
            assert issubclass(ours, Exception)
    assert issubclass(tether_sdk.NotFoundError, httpx.HTTPStatusError)
    assert issubclass(tether_sdk.StreamResumeError, httpx.TransportError)
    assert issubclass(tether_sdk.StreamResumeError, tether_sdk.LangGraphError)
