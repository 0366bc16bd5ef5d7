"""Tether: a self-hosted LangGraph agent server."""

__version__ = "0.1.0"
