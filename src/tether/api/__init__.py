"""The HTTP API: routes, request models, SSE encoding. No storage code here."""
