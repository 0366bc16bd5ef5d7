"""Semantic search over Tether's own vectors table, the same on every backend and path.

Each indexed text's embedding is kept, normalised to unit length, as float32 bytes in the
table `tether_store_vectors` (one row per item and field, deleted with its item). A search
with a `query` selects the items that match its namespace prefix and filter exactly as a
plain search does, scores each by the best cosine similarity of its fields to the query,
and pages through them by score, best first, ties in (namespace, key) order. Items stored
with `index=False` (or without the indexed fields), or whose vectors have another size than
`store.index.dims`, have no score and are left out, as in langgraph's vector stores.

Where the score is computed is the only difference between paths: in SQL with sqlite-vec's
`vec_distance_cosine` (SQLite, where the extension loads), or here in Python by
`ExactIndex.rank` ("exact": PostgreSQL without pgvector, SQLite without sqlite-vec). Both
are exact (brute force), linear in the number of matching items; Python's is the slower.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Mapping, Sequence
from typing import Any

from langgraph.store.base import IndexConfig, PutOp, SearchItem, SearchOp
from langgraph.store.base.embed import ensure_embeddings, get_text_at_path, tokenize_path

#: A search's candidates: every matching item (a plain search without its page).
_ALL = 2**31 - 1


def namespace_text(namespace: Sequence[str]) -> str:
    """How langgraph's SQL stores keep a namespace (`prefix` column)."""
    return ".".join(namespace)


class ExactIndex:
    """The embedding side of exact search: which texts of an item to embed, the vectors,
    and the ranking. The stores below it only read and write `tether_store_vectors`."""

    def __init__(self, config: IndexConfig) -> None:
        self.dims = int(config["dims"])
        self.embeddings = ensure_embeddings(config["embed"])
        self.fields = [(path, _tokens(path)) for path in config.get("fields") or ["$"]]

    def texts(self, op: PutOp) -> list[tuple[str, str]]:
        """(field name, text) pairs to embed for a put; none for a delete or `index=False`."""
        if op.value is None or op.index is False:
            return []
        paths = self.fields if op.index is None else [(p, _tokens(p)) for p in op.index]
        pairs = []
        for path, tokens in paths:
            found = get_text_at_path(op.value, tokens)
            for i, text in enumerate(found):
                pairs.append((f"{path}.{i}" if len(found) > 1 else path, text))
        return pairs

    def pack(self, vector: Sequence[float]) -> bytes:
        """`vector` as a row's `embedding`: unit length, float32 (a zero vector stays zero)."""
        if len(vector) != self.dims:
            raise ValueError(
                f"The embedding function returned {len(vector)} numbers, but store.index.dims"
                f" is {self.dims}"
            )
        norm = math.sqrt(math.fsum(x * x for x in vector)) or 1.0
        return array("f", (x / norm for x in vector)).tobytes()

    async def embed_puts(
        self, ops: Sequence[PutOp]
    ) -> tuple[list[tuple[str, str]], list[tuple[str, str, str, bytes]]]:
        """For the last put of each item: the items whose vectors are replaced, and the new
        rows `(prefix, key, field_name, embedding)`. Embeds before anything is written, so a
        failing embedding function leaves the store as it was."""
        last: dict[tuple[str, str], PutOp] = {}
        for op in ops:
            last[(namespace_text(op.namespace), op.key)] = op
        wanted = [
            (item, field, text) for item, op in last.items() for field, text in self.texts(op)
        ]
        vectors = (
            await self.embeddings.aembed_documents([text for _, _, text in wanted])
            if wanted
            else []
        )
        rows = [
            (prefix, key, field, self.pack(vector))
            for ((prefix, key), field, _), vector in zip(wanted, vectors, strict=True)
        ]
        return list(last), rows

    async def embed_query(self, query: str) -> array[float]:
        return array("f", self.pack(await self.embeddings.aembed_query(query)))

    @staticmethod
    def candidates(op: SearchOp) -> SearchOp:
        """The plain search that finds every item a query search ranks."""
        return op._replace(query=None, limit=_ALL, offset=0, refresh_ttl=False)

    @staticmethod
    def rank(
        op: SearchOp,
        items: Sequence[SearchItem],
        vectors: Mapping[tuple[str, str], list[bytes]],
        query: array[float],
    ) -> list[SearchItem]:
        """`items` that have vectors, best first (ties by namespace, then key), with their
        score; `op`'s page of them."""
        scored = []
        for item in items:
            found = [
                blob
                for blob in vectors.get((namespace_text(item.namespace), item.key), ())
                if len(blob) == len(query) * 4  # float32; another size: made with other dims
            ]
            if not found:
                continue
            score = max(_dot(query, array("f", blob)) for blob in found)
            scored.append((score, item))
        scored.sort(key=lambda pair: (-pair[0], namespace_text(pair[1].namespace), pair[1].key))
        return [
            SearchItem(
                namespace=item.namespace,
                key=item.key,
                value=item.value,
                created_at=item.created_at,
                updated_at=item.updated_at,
                score=score,
            )
            for score, item in scored[op.offset : op.offset + op.limit]
        ]


def _tokens(path: str) -> str | list[str]:
    """A field path as `get_text_at_path` takes it: "$" (the whole value) stays "$" (its
    tokens would select nothing)."""
    return path if path == "$" else tokenize_path(path)


def _dot(a: array[float], b: array[float]) -> float:
    return math.fsum(x * y for x, y in zip(a, b, strict=False))


def split_searches(
    search_ops: Sequence[tuple[int, SearchOp]],
) -> tuple[list[tuple[int, SearchOp]], list[tuple[int, SearchOp]]]:
    """(searches with a query, the others)."""
    ranked = [(i, op) for i, op in search_ops if op.query]
    plain = [(i, op) for i, op in search_ops if not op.query]
    return ranked, plain


def group_vectors(rows: Sequence[Any]) -> dict[tuple[str, str], list[bytes]]:
    """`(prefix, key, embedding)` rows by item."""
    grouped: dict[tuple[str, str], list[bytes]] = {}
    for prefix, key, blob in rows:
        grouped.setdefault((prefix, key), []).append(bytes(blob))
    return grouped
