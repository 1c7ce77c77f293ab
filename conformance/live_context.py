"""What a live check works with (ERC-8128 §7): the target, the signed POST route, the
discovery document and the route policy it gives; and the one way a check says it cannot be
judged against this server (:class:`CheckNotApplicable`, reported as not supported).
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from erc8128.protocol.keyid import ProfileName
from erc8128_conformance.judge import Finding
from erc8128_conformance.live_transport import LiveTarget, route_policy

__all__ = [
    "CheckFunction",
    "CheckNotApplicable",
    "LiveContext",
]


class CheckNotApplicable(Exception):
    """The check cannot be judged against this server (reported as not supported)."""


@dataclass(frozen=True)
class LiveContext:
    """What a check needs: the target, the POST endpoint, the discovery document (if any)."""

    target: LiveTarget
    post_path: str | None = None
    discovery: Mapping[str, Any] | None = None
    discovery_note: str = "not fetched"
    # Other instances of the same deployment (scheme://authority each): the replay race spreads
    # its copies over them, sent with the trusted origin's Host (they share one replay store).
    instances: tuple[str, ...] = ()
    # Every profile the run tests (the cross-profile replay key check needs both).
    run_profiles: tuple[str, ...] = ()

    @property
    def profile(self) -> ProfileName:
        return self.target.profile

    def get_policy(self) -> Mapping[str, Any] | None:
        return route_policy(self.discovery, self.target.path, "GET")

    def post_policy(self) -> Mapping[str, Any] | None:
        if self.post_path is None:
            return None
        return route_policy(self.discovery, self.post_path, "POST")

    def need_post(self) -> str:
        if self.post_path is None:
            raise CheckNotApplicable("no --post-path: the content checks need a signed POST route")
        return self.post_path


# A check: its typed findings against this server (none when it passed).
CheckFunction = Callable[[LiveContext], list[Finding]]
