"""The non-I/O core shared by the async and sync clients.

Request building, response mapping and reconnect decisions live here so that
`tether_sdk._async` and the generated `tether_sdk._sync` only perform I/O.
"""
