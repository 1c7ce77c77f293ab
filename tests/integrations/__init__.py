"""Tests of erc8128.integrations: WSGI/ASGI middleware, HTTP-client auth."""
