"""Bad input never gets a 500: schemathesis generates requests from Tether's own OpenAPI."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings


def test_no_generated_request_gets_a_server_error(fresh_server) -> None:  # type: ignore[no-untyped-def]
    # A server of its own: generated requests create crons, cancel every run, and so on.
    fresh_server.start()
    tether_url = fresh_server.url
    schema = schemathesis.openapi.from_url(f"{tether_url}/openapi.json")
    checked = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path.endswith("/stream"):
            continue  # streams stay open by design; they have their own tests

        @given(case=operation.as_strategy())
        @settings(
            max_examples=25,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def no_server_error(case: schemathesis.Case) -> None:
            response = case.call(base_url=tether_url, timeout=30)
            assert response.status_code < 500, (
                f"{case.method} {case.formatted_path} {case.query} {case.body!r}"
                f" -> {response.status_code} {response.text[:500]}"
            )

        no_server_error()
        checked += 1
    assert checked >= 40
