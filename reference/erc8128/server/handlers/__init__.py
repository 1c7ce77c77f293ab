"""The app's route handlers, one module per resource: each runs only after the request's
signature verified (and, for owner routes, after the owner check), and is named directly by its
:class:`~erc8128.server.routes.Route`.

- :mod:`.signatures`: ``/api/whoami`` and the early-invalidation endpoint (ERC-8128 §5.2).
- :mod:`.projects`: the public project list, project creation, access requests.
- :mod:`.invites`: invite creation and redemption.
- :mod:`.agents`: the owner's agent list and status changes; the registered agents' echo route.
- :mod:`.audit`: a page of a project's audit log.
"""
