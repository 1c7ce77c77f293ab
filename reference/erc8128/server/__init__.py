"""The ERC-8128 demo server (``erc8128 serve``): a verifier front end, an onboarding app and
the ERC-8128 §7 discovery document, on the standard library's ``http.server``.

- :mod:`erc8128.protocol.challenge`: ERC-8128 §6 failure responses (pure).
- :mod:`erc8128.protocol.discovery`: the ERC-8128 §7 discovery document (pure).
- :mod:`erc8128.server.app`: :class:`~erc8128.server.app.App`, which routes a request, verifies
  it under its route's policy and calls the route's handler.
- :mod:`erc8128.server.routes`: the one route table; each route names its handler.
- :mod:`erc8128.server.handlers`: the handlers, one module per resource (projects, invites,
  agents, audit, signatures).
- :mod:`erc8128.server.storage`: projects, agents, invites and the audit log in SQLite.
- :mod:`erc8128.server.calls`, :mod:`erc8128.server.inputs`: what a handler receives and
  returns; JSON content, query parameters and identifier syntax.
- :mod:`erc8128.server.frontend`: the hardened threaded HTTP/1.1 front end.
- :mod:`erc8128.server.lifecycle`: :class:`ServerConfig`, :func:`start_server`,
  :class:`RunningServer` (``.url``, ``.stop()``), used by ``erc8128 serve`` and ``erc8128 demo``.
"""

from erc8128.server.lifecycle import RunningServer, ServerConfig, start_server

__all__ = ["RunningServer", "ServerConfig", "start_server"]
