"""Sync clients, generated from `tether_sdk._async` (see tests/sdk/unasync.py)."""
