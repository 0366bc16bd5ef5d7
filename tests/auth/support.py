"""What the auth tests share: the project, the users' credentials, the clients."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import httpx
from fastapi import FastAPI

PROJECT = Path(__file__).resolve().parent / "project" / "langgraph.json"
#: A project whose users share threads (`auth_shared.py`).
SHARED = PROJECT.with_name("langgraph.shared.json")
ALICE = {"Authorization": "Bearer token-alice"}
BOB = {"Authorization": "Bearer token-bob"}


@dataclass
class Clients:
    app: FastAPI
    alice: httpx.AsyncClient
    bob: httpx.AsyncClient
    anonymous: httpx.AsyncClient
