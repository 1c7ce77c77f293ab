"""ERC-8128 for the Python HTTP ecosystem: client auth for ``requests`` and ``httpx``, verifying
middleware for WSGI and ASGI applications.

Each integration lives in its own module and imports its third-party library only there, so
``import erc8128`` (and this package) needs nothing beyond the standard library:

- :mod:`erc8128.integrations.requests_auth`: ``ERC8128Auth`` for ``requests`` (extra ``requests``)
- :mod:`erc8128.integrations.httpx_auth`: ``ERC8128Auth`` for ``httpx``, sync and async
  (extra ``httpx``)
- :mod:`erc8128.integrations.wsgi`: ``ERC8128Middleware`` for Flask, Django, any WSGI app
- :mod:`erc8128.integrations.asgi`: ``ERC8128Middleware`` for Starlette, FastAPI, any ASGI app
- :mod:`erc8128.integrations.gate`: the verification step both middlewares share
"""

__all__: list[str] = []
