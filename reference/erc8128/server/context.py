"""What a route handler may use of the app: its storage, randomness, policy and
early-invalidation state (ERC-8128 §5.2).

A handler names this protocol rather than :class:`erc8128.server.app.App`, which routes to the
handlers: the app satisfies it structurally, and the import graph keeps no circle.
"""

from collections.abc import Callable
from typing import Protocol

from erc8128.protocol.challenge import HttpResponse
from erc8128.protocol.policy import VerifierPolicy
from erc8128.server.storage import Storage
from erc8128.state.invalidation.base import InvalidationStore


class AppContext(Protocol):
    """The parts of the app a handler reads or writes (``evicted_at`` it writes)."""

    storage: Storage
    randbytes: Callable[[int], bytes]
    policy: VerifierPolicy
    invalidation: InvalidationStore
    discovery: HttpResponse  # the ERC-8128 §7 discovery document, built once
    evicted_at: int | None  # when expired denials were last deleted (D36)
