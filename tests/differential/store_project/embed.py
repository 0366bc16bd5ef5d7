"""A deterministic embedding for the differential suite: each word counts in one of 8 buckets.

The bucket is taken from the word's MD5 digest (not `hash()`, which changes per process), so
the official server and Tether get the same vectors and the same cosine scores.
"""

from __future__ import annotations

import hashlib

DIMS = 8


def _vector(text: str) -> list[float]:
    vector = [0.0] * DIMS
    for word in text.lower().split():
        vector[hashlib.md5(word.encode()).digest()[0] % DIMS] += 1.0
    if not any(vector):
        vector[0] = 1.0  # no zero vector: its cosine is undefined
    return vector


def embed(texts: list[str]) -> list[list[float]]:
    """One vector per text (a sync function: langgraph runs it in a thread for async calls)."""
    return [_vector(text) for text in texts]
