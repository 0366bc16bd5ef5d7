"""Async clients; `tether_sdk._sync` is generated from these modules."""
