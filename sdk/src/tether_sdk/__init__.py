"""Tether SDK (placeholder until the client lands)."""
