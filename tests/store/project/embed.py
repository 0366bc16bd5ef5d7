"""A deterministic embedding for tests: each word (lower-cased, letters only) counts once
in one of DIMS buckets chosen by a stable hash. Texts that share words point the same way."""

from __future__ import annotations

import hashlib
import re

DIMS = 256


def bucket(word: str) -> int:
    return int.from_bytes(hashlib.sha256(word.encode()).digest()[:4], "big") % DIMS


def embed_texts(texts: list[str]) -> list[list[float]]:
    vectors = []
    for text in texts:
        vector = [0.0] * DIMS
        for word in re.findall(r"[a-z]+", text.lower()):
            vector[bucket(word)] += 1.0
        vectors.append(vector)
    return vectors
