"""The ERC-8128 demo server (``erc8128 serve``): a verifier front end, an onboarding app and
the ERC-8128 §7 discovery document, on the standard library's ``http.server``.

- :mod:`erc8128.server.challenge`: ERC-8128 §6 failure responses (pure).
- :mod:`erc8128.server.discovery`: the ERC-8128 §7 discovery document (pure).
- :mod:`erc8128.server.app`: projects, agents, invites and the audit log in SQLite; the routes.
- :mod:`erc8128.server.http`: the hardened threaded HTTP/1.1 front end.
"""

from __future__ import annotations

__all__: list[str] = []
