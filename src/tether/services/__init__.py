"""Services: the rules of the API (validation, run lifecycle, admission, streams)."""
