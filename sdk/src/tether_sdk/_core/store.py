"""Requests of the store resource."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tether_sdk._core.wire import with_params, without_none
from tether_sdk._schema import QueryParamTypes


def check_namespace(namespace: Sequence[str]) -> None:
    """Namespaces travel dot-joined in queries, so a label cannot contain a dot."""
    for label in namespace:
        if "." in label:
            raise ValueError(
                f"Invalid namespace label '{label}'. Namespace labels cannot contain periods ('.')."
            )


def item_query(
    namespace: Sequence[str], key: str, refresh_ttl: bool | None, params: QueryParamTypes | None
) -> dict[str, Any]:
    check_namespace(namespace)
    query = {
        "namespace": ".".join(namespace),
        "key": key,
        **without_none({"refresh_ttl": refresh_ttl}),
    }
    return with_params(query, params)


def put_body(namespace: Sequence[str], **fields: Any) -> dict[str, Any]:
    check_namespace(namespace)
    return without_none({"namespace": namespace, **fields})
