"""Verifier policy: limits, time window, served chains, replay posture, coverage, principals.

Defaults are the ERC-8128 baseline: Request-Bound and Non-Replayable only (§3.2.1), 30 seconds
of skew (§3.3.2 "Verifiers SHOULD allow 30 seconds of clock skew"), chain 1 served, and the
default limits of §3.5. A policy is a frozen value; state (nonces, invalidation) is passed to
:func:`erc8128.protocol.verify.verify_request` separately.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final, Literal

from erc8128.errors import Erc8128Error
from erc8128.protocol.keyid import PROFILE_NAMES, Account, ProfileName

DEFAULT_SKEW_SEC: Final = 30
# ERC-8128 §3.3.2: "As the interoperability floor, a baseline route MUST accept validity windows
# up to 60 seconds".
BASELINE_VALIDITY_FLOOR_SEC: Final = 60

ReplayPolicy = Literal["non-replayable", "either"]


class PolicyError(Erc8128Error):
    """A verifier policy that contradicts the ERC (a configuration error, not a request error)."""

    def __init__(self, message: str) -> None:
        super().__init__("policy_invalid", message)


@dataclass(frozen=True)
class Limits:
    """ERC-8128 §3.5: "A verifier MUST enforce limits before cryptography. Defaults are:"."""

    signature_input_bytes: int = 16 * 1024  # "Combined `Signature-Input` field | 16 KiB"
    signature_bytes: int = 16 * 1024  # "Combined `Signature` field | 16 KiB"
    decoded_signature_bytes: int = 8 * 1024  # "Decoded signature member | 8 KiB"
    candidates: int = 8  # "Recognized profile candidates per request | 8"
    components: int = 32  # "Covered components per candidate | 32"
    parameters: int = 16  # "Signature parameters per candidate | 16"
    nonce_bytes: int = 128  # §3.1.2: "The nonce MUST be ASCII and no more than 128 bytes."


@dataclass(frozen=True)
class VerifierPolicy:
    """What one route accepts.

    ``required_components`` are extra component identifiers the route requires, written as in
    the discovery document ("serialized without signature-base outer quotes"), e.g.
    ``content-type`` or ``"x-dict";key="a"``.
    """

    profiles: tuple[ProfileName, ...] = ("draft",)
    skew_sec: int = DEFAULT_SKEW_SEC
    max_validity_sec: int = 300
    served_chains: frozenset[int] = frozenset({1})
    replay: ReplayPolicy = "non-replayable"
    class_bound: bool = False
    required_components: tuple[str, ...] = ()
    content_digest: Literal["request-body", "required"] = "request-body"
    honor_mode_eoa: bool = True
    # ERC-8128 §5.2: "Any client-callable request that triggers early invalidation MUST be
    # authenticated with a Request-Bound, Non-Replayable signature."
    invalidation_endpoint: bool = False
    limits: Limits = field(default_factory=Limits)
    # Application Principal policy (§3.2.2); False yields `principal_not_allowed`.
    principal_allowed: Callable[[Account], bool] | None = None
    # Decision D29 (SPEC.md): ask the Principal policy only after the signature verified (and
    # still before the nonce is consumed), so a forged signature gets `bad_signature` whoever
    # its keyid names: refusals do not reveal who the policy admits. §3.2.2: "Principal policy
    # is application-level authorization outside profile conformance".
    principal_private: bool = False
    # Route or Principal policy on Replayable signatures; False yields `replayable_not_allowed`.
    replayable_allowed: Callable[[Account], bool] | None = None

    def __post_init__(self) -> None:
        if not self.profiles:
            raise PolicyError("expected at least one profile, got none")
        for name in self.profiles:
            if name not in PROFILE_NAMES:
                raise PolicyError(f"expected profile 'draft' or 'legacy', got {name!r}")
        if type(self.skew_sec) is not int or self.skew_sec < 0:
            raise PolicyError(f"expected skew_sec >= 0, got {self.skew_sec!r}")
        if type(self.max_validity_sec) is not int or self.max_validity_sec < 1:
            raise PolicyError(f"expected max_validity_sec >= 1, got {self.max_validity_sec!r}")
        if self.replay not in ("non-replayable", "either"):
            raise PolicyError(f"expected replay 'non-replayable' or 'either', got {self.replay!r}")
        if self.content_digest not in ("request-body", "required"):
            raise PolicyError(
                f"expected content_digest 'request-body' or 'required', got {self.content_digest!r}"
            )

    @property
    def is_baseline(self) -> bool:
        """ERC-8128 §3.3.2: a baseline route accepts windows up to 60 s."""
        return self.max_validity_sec >= BASELINE_VALIDITY_FLOOR_SEC
