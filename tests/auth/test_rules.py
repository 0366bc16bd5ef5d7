"""The auth rules in process, on real `langgraph_sdk.Auth` objects: what `authenticate` may
return and raise, which handler runs, what its result means, how filters match."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from langgraph_sdk import Auth
from starlette.datastructures import QueryParams

from tether.errors import BadRequest, TetherError
from tether.services.auth import (
    AuthConfigError,
    AuthError,
    AuthService,
    AuthUser,
    Caller,
    authenticate_params,
    check_filters,
    matches,
    merge_equalities,
    split_filters,
)


def service(auth: Auth) -> AuthService:
    # The stores are only read by the single-resource checks, not used here.
    return AuthService(auth, threads=None, assistants=None, crons=None, runs=None)  # type: ignore[arg-type]


ALICE = Caller(AuthUser({"identity": "alice", "permissions": ["p"]}))


class Identity:
    identity = "obj"
    display_name = "Object User"
    permissions = ("x",)
    team = "blue"


@pytest.mark.parametrize(
    ("returned", "identity", "display_name", "permissions"),
    [
        ("alice", "alice", "alice", []),
        ({"identity": "bob", "permissions": ["r"], "org": "acme"}, "bob", "bob", ["r"]),
        ({"identity": "carol", "display_name": "Carol"}, "carol", "Carol", []),
        ((["a", "b"], "dave"), "dave", "dave", ["a", "b"]),
        (Identity(), "obj", "Object User", ["x"]),
    ],
)
async def test_what_authenticate_returns_becomes_the_user(
    returned: Any, identity: str, display_name: str, permissions: list[str]
) -> None:
    auth = Auth()

    @auth.authenticate
    async def authenticate() -> Any:
        return returned

    caller = await service(auth).authenticate({})
    assert caller.user.identity == identity
    assert caller.user.display_name == display_name
    assert caller.user.is_authenticated is True
    assert caller.permissions == permissions


async def test_extra_user_fields_are_attributes_and_keys_and_survive_json() -> None:
    auth = Auth()

    @auth.authenticate
    async def authenticate() -> Any:
        return {"identity": "bob", "org": "acme", "client": object()}

    user = (await service(auth).authenticate({})).user
    assert user.org == "acme" and user["org"] == "acme" and user.get("org") == "acme"
    assert user.dict()["org"] == "acme"
    assert "client" not in user.to_json() and user.to_json()["org"] == "acme"
    assert AuthUser(user.to_json()).org == "acme"
    assert Identity().team == AuthUser({"identity": "obj"}, Identity()).team


async def test_authenticate_gets_the_parameters_it_names_sync_or_async() -> None:
    auth = Auth()
    seen: dict[str, Any] = {}

    @auth.authenticate
    def authenticate(
        authorization: str | None,
        path: str,
        method: str,
        query_params: QueryParams,
        path_params: dict[str, Any],
        scopes: list[str],
    ) -> str:
        seen.update(locals())
        return "alice"

    available = {
        "authorization": "Bearer t",
        "path": "/threads",
        "method": "POST",
        "query_params": QueryParams("a=1"),
    }
    await service(auth).authenticate(available)
    assert seen["authorization"] == "Bearer t" and seen["path"] == "/threads"
    assert seen["query_params"]["a"] == "1"
    assert seen["path_params"] == {} and seen["scopes"] == []


def test_a_parameter_that_cannot_be_supplied_is_refused_at_start() -> None:
    async def needs_body(body: dict[str, Any]) -> str:
        return "x"

    async def optional_body(authorization: str, body: Any = None) -> str:
        return "x"

    with pytest.raises(AuthConfigError, match="'body'"):
        authenticate_params(needs_body)
    assert authenticate_params(optional_body) == ["authorization"]


@pytest.mark.parametrize(
    ("raised", "status", "detail", "headers"),
    [
        (
            Auth.exceptions.HTTPException(401, "no", {"WWW-Authenticate": "Bearer"}),
            401,
            "no",
            {"WWW-Authenticate": "Bearer"},
        ),
        (Auth.exceptions.HTTPException(403, "nope"), 403, "nope", None),
        (Auth.exceptions.HTTPException(), 401, "Unauthorized", None),
        (Auth.exceptions.HTTPException(418, "teapot"), 418, "teapot", None),
        (RuntimeError("boom"), 500, "Auth handler failed", None),
    ],
)
async def test_authenticate_failures(
    raised: Exception, status: int, detail: str, headers: dict[str, str] | None
) -> None:
    auth = Auth()

    @auth.authenticate
    async def authenticate() -> str:
        raise raised

    with pytest.raises(AuthError) as caught:
        await service(auth).authenticate({})
    assert (caught.value.status_code, caught.value.detail, caught.value.headers) == (
        status,
        detail,
        headers,
    )


async def test_a_value_error_in_authenticate_is_a_400() -> None:
    auth = Auth()

    @auth.authenticate
    async def authenticate() -> str:
        raise ValueError("bad token format")

    with pytest.raises(BadRequest, match="bad token format"):
        await service(auth).authenticate({})


@pytest.mark.parametrize(("returned", "status"), [(None, 401), (42, 500), ({"id": "x"}, 500)])
async def test_authenticate_returning_no_user(returned: Any, status: int) -> None:
    auth = Auth()

    @auth.authenticate
    async def authenticate() -> Any:
        return returned

    with pytest.raises(AuthError) as caught:
        await service(auth).authenticate({})
    assert caught.value.status_code == status


def test_the_most_specific_handler_is_the_only_one_that_runs() -> None:
    auth = Auth()

    @auth.on
    async def everything(ctx: Any, value: Any) -> None: ...

    @auth.on.threads
    async def threads(ctx: Any, value: Any) -> None: ...

    @auth.on.threads.create
    async def thread_create(ctx: Any, value: Any) -> None: ...

    @auth.on(actions="search")
    async def searches(ctx: Any, value: Any) -> None: ...

    @auth.on.store()
    async def store(ctx: Any, value: Any) -> None: ...

    rules = service(auth)
    assert rules.handler_for("threads", "create") is thread_create
    assert rules.handler_for("threads", "search") is threads  # resource beats action wildcard
    assert rules.handler_for("threads", "read") is threads
    assert rules.handler_for("assistants", "search") is searches
    assert rules.handler_for("crons", "search") is searches
    assert rules.handler_for("assistants", "read") is everything
    assert rules.handler_for("store", "put") is store


async def test_a_global_handler_also_gets_store_events_and_no_handler_allows_all() -> None:
    auth = Auth()
    assert await service(auth).authorize(ALICE, "threads", "read", {}) is None

    @auth.on
    async def everything(ctx: Any, value: Any) -> Any:
        return {"owner": ctx.user.identity, "resource": ctx.resource, "action": ctx.action}

    assert await service(auth).authorize(ALICE, "store", "put", {}) == {
        "owner": "alice",
        "resource": "store",
        "action": "put",
    }


def handler_returning(result: Any) -> AuthService:
    auth = Auth()

    @auth.on
    async def handler(ctx: Any, value: Any) -> Any:
        if isinstance(result, Exception):
            raise result
        return result

    return service(auth)


@pytest.mark.parametrize("result", [None, True])
async def test_none_or_true_allows_without_a_filter(result: Any) -> None:
    assert await handler_returning(result).authorize(ALICE, "threads", "read", {}) is None


@pytest.mark.parametrize(
    ("result", "status", "detail", "headers"),
    [
        (False, 403, "Forbidden", None),
        ("yes", 500, None, None),
        (Auth.exceptions.HTTPException(404, "gone", {"X-Why": "1"}), 404, "gone", {"X-Why": "1"}),
        (Auth.exceptions.HTTPException(), 401, "Unauthorized", None),
        (AssertionError("not yours"), 403, "not yours", None),
        ({"owner": {"$ne": "x"}}, 500, None, None),
        ({"$not": {"owner": "x"}}, 500, None, None),
    ],
)
async def test_refusals(
    result: Any, status: int, detail: str | None, headers: dict[str, str] | None
) -> None:
    with pytest.raises(TetherError) as caught:
        await handler_returning(result).authorize(ALICE, "threads", "read", {})
    assert caught.value.status_code == status
    if detail is not None:
        assert caught.value.detail == detail
    assert getattr(caught.value, "headers", None) == headers


async def test_a_value_error_in_a_handler_is_a_400() -> None:
    with pytest.raises(BadRequest, match="bad"):
        await handler_returning(ValueError("bad")).authorize(ALICE, "threads", "read", {})


async def test_a_handler_sees_the_user_and_may_edit_the_value() -> None:
    auth = Auth()

    @auth.on.threads.create
    async def stamp(ctx: Auth.types.AuthContext, value: Any) -> None:
        assert ctx.permissions == ["p"] and ctx.user.identity == "alice"
        assert (ctx.resource, ctx.action) == ("threads", "create")
        value["metadata"]["owner"] = ctx.user.identity

    value: dict[str, Any] = {"thread_id": uuid.uuid4(), "metadata": {"owner": "mallory"}}
    assert await service(auth).authorize(ALICE, "threads", "create", value) is None
    assert value["metadata"] == {"owner": "alice"}


async def test_without_a_caller_nothing_runs() -> None:
    assert await handler_returning(False).authorize(None, "threads", "read", {}) is None


@pytest.mark.parametrize(
    ("filters", "metadata", "expected"),
    [
        ({"owner": "alice"}, {"owner": "alice", "x": 1}, True),
        ({"owner": "alice"}, {"owner": "bob"}, False),
        ({"owner": "alice"}, {}, False),
        ({"owner": None}, {}, False),
        ({"owner": None}, {"owner": None}, True),
        ({"owner": {"$eq": "alice"}}, {"owner": "alice"}, True),
        ({"owner": {"$eq": "alice"}}, {"owner": "bob"}, False),
        ({"tags": {"$contains": "red"}}, {"tags": ["red", "blue"]}, True),
        ({"tags": {"$contains": "red"}}, {"tags": ["blue"]}, False),
        ({"tags": {"$contains": "red"}}, {"tags": "red"}, False),
        ({"tags": {"$contains": ["red", "blue"]}}, {"tags": ["blue", "red"]}, True),
        ({"tags": {"$contains": ["red", "green"]}}, {"tags": ["blue", "red"]}, False),
        ({"$or": [{"owner": "alice"}, {"public": True}]}, {"public": True}, True),
        ({"$or": [{"owner": "alice"}, {"public": True}]}, {"owner": "bob"}, False),
        ({"$and": [{"owner": "alice"}, {"team": "blue"}]}, {"owner": "alice"}, False),
        ({"owner": "alice", "team": "blue"}, {"owner": "alice", "team": "blue"}, True),
        ({"owner": "alice", "team": "blue"}, {"owner": "alice", "team": "red"}, False),
        ({}, {}, True),
    ],
)
def test_filters_match_metadata(
    filters: dict[str, Any], metadata: dict[str, Any], expected: bool
) -> None:
    assert matches(check_filters(filters), metadata) is expected


def test_plain_equalities_go_to_the_store_and_contradictions_match_nothing() -> None:
    equal, rest = split_filters(
        {"owner": "alice", "team": {"$eq": "blue"}, "tags": {"$contains": "x"}, "$or": []}
    )
    assert equal == {"owner": "alice", "team": "blue"}
    assert rest == {"tags": {"$contains": "x"}, "$or": []}
    assert merge_equalities({"graph_id": "g"}, equal) == {
        "graph_id": "g",
        "owner": "alice",
        "team": "blue",
    }
    assert merge_equalities({"owner": "bob"}, equal) is None
    assert merge_equalities({"owner": "alice"}, equal) == {"owner": "alice", "team": "blue"}


async def test_filtered_paging_keeps_limit_and_offset_over_many_pages() -> None:
    rules = service(Auth())
    items = [{"metadata": {"tags": ["mine"] if i % 3 == 0 else []}, "i": i} for i in range(1000)]

    async def fetch(metadata: Any, limit: int, offset: int) -> list[dict[str, Any]]:
        return items[offset : offset + limit]

    def metadata_of(item: dict[str, Any]) -> Any:
        return item["metadata"]

    filters = {"tags": {"$contains": "mine"}}
    page = await rules.filtered(filters, fetch, metadata_of, client=None, limit=5, offset=100)
    assert [item["i"] for item in page] == [300, 303, 306, 309, 312]
    everything = await rules.filtered(
        filters, fetch, metadata_of, client=None, limit=10_000, offset=0
    )
    assert len(everything) == 334
