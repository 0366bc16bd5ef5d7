"""Bad input never gets a 500: schemathesis generates requests from Tether's own OpenAPI."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings


def _every_operation(url: str, examples: int, check: Callable[[schemathesis.Case], None]) -> None:
    """`check` the server's generated requests, `examples` per operation of its OpenAPI (but
    streams, which stay open by design and have their own tests); there are 40 at least."""
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
    checked = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path.endswith("/stream"):
            continue

        @given(case=operation.as_strategy())
        @settings(
            max_examples=examples,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def generated(case: schemathesis.Case) -> None:  # a function of its own per operation
            check(case)

        generated()
        checked += 1
    assert checked >= 40


def test_no_generated_request_gets_a_server_error(fresh_server) -> None:  # type: ignore[no-untyped-def]
    # A server of its own: generated requests create crons, cancel every run, and so on.
    fresh_server.start()
    tether_url = fresh_server.url

    def no_server_error(case: schemathesis.Case) -> None:
        response = case.call(base_url=tether_url, timeout=30)
        assert response.status_code < 500, (
            f"{case.method} {case.formatted_path} {case.query} {case.body!r}"
            f" -> {response.status_code} {response.text[:500]}"
        )

    _every_operation(tether_url, 25, no_server_error)


#: One way to make a generated request hostile, applied to every string in its body.
def _lone_surrogates(value: object) -> object:
    if isinstance(value, str):
        return value + "\ud800"
    if isinstance(value, dict):
        return {_lone_surrogates(k): _lone_surrogates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_lone_surrogates(v) for v in value]
    return value


def _nested(depth: int) -> object:
    value: object = "leaf"
    for _ in range(depth):
        value = {"a": [value]}
    return value


def _too_deep(value: object) -> object:
    """Every object-valued field nested 150 pairs deep (300 levels: past orjson's 254)."""
    if isinstance(value, dict):
        return {k: _nested(150) if isinstance(v, dict) else _too_deep(v) for k, v in value.items()}
    return value


def _bad_config(value: object) -> object:
    if isinstance(value, dict) and "config" in value:
        return {**value, "config": {"configurable": 5, "metadata": ["x"]}}
    return value


def _id_forms(parameters: dict[str, object]) -> dict[str, object]:
    """Every path id written another UUID way (braces, urn, no dashes, upper case)."""
    forms = ["{%s}", "urn:uuid:%s", "%s"]
    out: dict[str, object] = {}
    for index, (name, value) in enumerate(parameters.items()):
        text = str(uuid.uuid4()) if name.endswith("_id") else str(value)
        form = forms[index % len(forms)] % text
        out[name] = form.upper().replace("-", "") if index % 2 else form
    return out


HOSTILE = {
    "lone surrogates": _lone_surrogates,
    "nested too deep": _too_deep,
    "config of the wrong shape": _bad_config,
}


@pytest.mark.timeout(600)
def test_hostile_shapes_never_get_a_server_error(fresh_server) -> None:  # type: ignore[no-untyped-def]
    # The shapes adversarial testing found 500s with: lone surrogates, JSON nested past the
    # encoder's limit, `config.configurable`/`config.metadata` not objects, ids written in
    # other UUID forms; and a body over the size limit.
    fresh_server.env["TETHER_MAX_BODY_BYTES"] = "65536"
    fresh_server.start()
    tether_url = fresh_server.url
    http = httpx.Client(timeout=30)

    def no_server_error(case: schemathesis.Case) -> None:
        variants = []
        if case.path_parameters:
            case.path_parameters = _id_forms(dict(case.path_parameters))
            variants.append(("id forms", None))
        if isinstance(case.body, dict | list):
            variants += [(name, transform(case.body)) for name, transform in HOSTILE.items()]
            variants.append(("too large", {"padding": "x" * 70_000}))
        generated = case.body if isinstance(case.body, dict | list) else None
        for name, body in variants:
            sent = generated if body is None else body
            # Sent as escaped JSON (`"\\ud800"`): the client library would refuse to.
            response = http.request(
                case.method,
                f"{tether_url}{case.formatted_path}",
                params=case.query,
                content=None if sent is None else json.dumps(sent).encode(),
                headers={} if sent is None else {"Content-Type": "application/json"},
            )
            assert response.status_code < 500, (
                f"{name}: {case.method} {case.formatted_path} {case.query} {sent!r}"
                f" -> {response.status_code} {response.text[:500]}"
            )

    _every_operation(tether_url, 5, no_server_error)
    http.close()


#: Paths that answer without credentials under custom auth (docs/security.md).
OPEN_PATHS = ("/ok", "/info", "/metrics", "/docs", "/redoc", "/openapi.json")


@pytest.mark.timeout(600)
def test_an_auth_configured_server_never_gets_a_server_error(fresh_server) -> None:  # type: ignore[no-untyped-def]
    # The project of tests/auth: bearer tokens, every resource stamped with its owner and
    # filtered to it, the store scoped to the user. Generated requests go through the auth
    # handlers and filters as alice, as bob, and with no or a bad token.
    fresh_server.config = Path(__file__).parent / "auth" / "project" / "langgraph.json"
    fresh_server.start()
    tether_url = fresh_server.url
    users = {
        "alice": {"Authorization": "Bearer token-alice"},
        "bob": {"x-api-key": "token-bob"},
        "no token": {},
        "bad token": {"Authorization": "Bearer forged"},
    }

    def no_server_error(case: schemathesis.Case) -> None:
        for who, headers in users.items():
            response = case.call(base_url=tether_url, headers=headers, timeout=30)
            what = f"{who}: {case.method} {case.formatted_path} {case.query} {case.body!r}"
            assert response.status_code < 500, (
                f"{what} -> {response.status_code} {response.text[:500]}"
            )
            if who in ("no token", "bad token") and not case.formatted_path.startswith(OPEN_PATHS):
                assert response.status_code == 401, f"{what} -> {response.status_code}"
                assert "detail" in response.json()

    _every_operation(tether_url, 8, no_server_error)
