"""The policy document of the test vectors and the conformance adapter protocol, as the inputs
``verify_request`` takes.

One JSON object describes a route's verifier posture in every ``verify_request.json`` and
``replay.json`` vector and in the adapter protocol's ``verify_request`` operation
(conformance/README.md, "The adapter protocol"). The vector generator, the adapter and the tests
all turn it into verifier inputs here, so the three cannot drift apart. Absent fields take
:class:`~erc8128.protocol.policy.VerifierPolicy`'s defaults; a present field of the wrong type is an
error, never a default. The account states a document names (``account_state``) are here too:
local stand-ins for a chain that only the vectors and the adapter protocol use.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from erc8128.errors import AccountStateUnavailable, Erc8128Error
from erc8128.protocol.accounts import AccountState, NoCodeAccountState, UnavailableAccountState
from erc8128.protocol.keyid import Account, ProfileName
from erc8128.protocol.policy import VerifierPolicy
from erc8128.state.invalidation import MemoryInvalidationState
from erc8128.state.unix_time import MAX_UNIX_TIME

_T = TypeVar("_T")

# The Unix time up to which a fingerprint in `invalidated_signatures` stays denied: the document
# gives no end time, so the denial outlives every window (9999-12-31T23:59:59Z).
INVALIDATED_UNTIL: Final = MAX_UNIX_TIME

# The policy document's fields (conformance/README.md). conformance/adapters/slicekit/adapter.mjs
# lists them again: cross-language data, repeated on purpose (deliberate; duplicate scan).
POLICY_FIELDS: Final = frozenset(
    {
        "skew_sec",
        "max_validity_sec",
        "served_chains",
        "replay",
        "class_bound",
        "required_components",
        "content_digest",
        "denied_principals",
        "not_before",
        "invalidated_signatures",
        "honor_mode_eoa",
        "account_state",
        # Extensions (conformance/README.md, "Extensions").
        "profiles",
        "invalidation_endpoint",
        "replayable_denied_principals",
        "principal_private",  # decision D29
    }
)


@dataclass(frozen=True)
class ScriptedAccountState:
    """Every account has ``code`` and ERC-1271 answers ``erc1271_answer``: a stand-in for a
    chain, so the order of ERC-8128 §4.1 (code first, no ECDSA fallback) can be tested without
    one. ERC-6492 cannot be simulated here (unavailable)."""

    code: bytes
    erc1271_answer: bool

    def get_code(self, account: Account) -> bytes:
        return self.code

    def erc1271_is_valid(self, account: Account, message_hash: bytes, signature: bytes) -> bool:
        return self.erc1271_answer

    def erc6492_is_valid(self, account: Account, message_hash: bytes, signature: bytes) -> bool:
        raise AccountStateUnavailable(
            "account_state_unavailable", "the scripted chain cannot simulate ERC-6492"
        )


# Some contract code (PUSH1 0x80 PUSH1 0x40 MSTORE), and EIP-7702's delegation indicator
# 0xef0100 || address.
_CONTRACT_CODE: Final = bytes.fromhex("6080604052")
_DELEGATION_INDICATOR: Final = bytes.fromhex("ef0100") + bytes(20)

# The `account_state` values of the conformance adapter protocol and the vectors' policies.
ACCOUNT_STATES: Final[Mapping[str, AccountState]] = {
    # "the account-state provider reports no code for every address"
    "no-code": NoCodeAccountState(),
    # "the provider fails, so verification that needs it answers
    # `signature_verification_unavailable`"
    "unavailable": UnavailableAccountState(),
    # Extensions, for the vectors flagged NeedsChain only.
    "erc1271-accepts": ScriptedAccountState(_CONTRACT_CODE, True),
    "erc1271-rejects": ScriptedAccountState(_CONTRACT_CODE, False),
    "eip7702-delegated": ScriptedAccountState(_DELEGATION_INDICATOR, False),
}


class PolicyDocumentError(Erc8128Error):
    """A policy document that is malformed (``policy_invalid``) or asks for something this
    implementation does not offer (``policy_unsupported``)."""


@dataclass(frozen=True)
class VerifierInputs:
    """What ``verify_request`` needs besides the request, the clock and the replay store."""

    policy: VerifierPolicy
    accounts: AccountState
    invalidation: MemoryInvalidationState


def _invalid(message: str) -> PolicyDocumentError:
    return PolicyDocumentError("policy_invalid", message)


def _typed(document: Mapping[str, Any], name: str, kind: type[_T], default: _T) -> _T:
    """``document[name]`` if it has exactly type ``kind`` (so True is no integer), else
    ``default`` when absent."""
    value = document.get(name, default)
    if type(value) is not kind:
        raise _invalid(f"policy.{name}: expected {kind.__name__}, got {value!r}")
    return value


def _strings(document: Mapping[str, Any], name: str) -> list[str]:
    value = document.get(name, [])
    if not isinstance(value, list) or not all(isinstance(entry, str) for entry in value):
        raise _invalid(f"policy.{name}: expected a list of strings, got {value!r}")
    return list(value)


def _principals(document: Mapping[str, Any], name: str) -> frozenset[str]:
    """Addresses or CAIP-10 signer ids, compared in lowercase."""
    return frozenset(entry.lower() for entry in _strings(document, name))


def _named(principals: frozenset[str], account: Account) -> bool:
    return account.address in principals or account.signer_id in principals


def verifier_inputs(document: object, profiles: tuple[ProfileName, ...]) -> VerifierInputs:
    """The verifier policy, account state and early-invalidation state ``document`` (a JSON
    object, or None for every default) describes, for a verifier accepting ``profiles``."""
    if document is None:
        document = {}
    if not isinstance(document, Mapping):
        raise _invalid(f"policy: expected an object, got {type(document).__name__}")
    unknown = sorted(set(document) - POLICY_FIELDS)
    if unknown:
        raise PolicyDocumentError("policy_unsupported", f"policy fields not implemented: {unknown}")
    baseline = VerifierPolicy()
    served = document.get("served_chains", sorted(baseline.served_chains))
    if not isinstance(served, list) or not all(type(chain) is int for chain in served):
        raise _invalid(f"policy.served_chains: expected integers, got {served!r}")
    denied = _principals(document, "denied_principals")
    replay_denied = _principals(document, "replayable_denied_principals")

    not_before_document = document.get("not_before", {})
    if not isinstance(not_before_document, Mapping):
        raise _invalid(f"policy.not_before: expected an object, got {not_before_document!r}")
    not_before: dict[str, int] = {}
    for principal, timestamp in not_before_document.items():
        if type(timestamp) is not int:
            raise _invalid(f"policy.not_before: expected integer times, got {timestamp!r}")
        # The invalidation state is keyed by CAIP-10 signer id; the document may name an address,
        # which then stands for that address on every served chain.
        signer_ids = (
            [principal.lower()]
            if principal.startswith("eip155:")
            else [f"eip155:{chain}:{principal.lower()}" for chain in served]
        )
        for signer_id in signer_ids:
            not_before[signer_id] = timestamp
    fingerprints = _strings(document, "invalidated_signatures")
    invalidation = MemoryInvalidationState(
        not_before=not_before,
        invalidated={fingerprint.lower(): INVALIDATED_UNTIL for fingerprint in fingerprints},
    )

    account_state = document.get("account_state", "no-code")
    if not isinstance(account_state, str):
        raise _invalid(f"policy.account_state: expected a string, got {account_state!r}")
    if account_state not in ACCOUNT_STATES:
        raise PolicyDocumentError(
            "policy_unsupported", f"policy.account_state {account_state!r} is not implemented"
        )
    policy = VerifierPolicy(
        profiles=profiles,
        skew_sec=_typed(document, "skew_sec", int, baseline.skew_sec),
        max_validity_sec=_typed(document, "max_validity_sec", int, baseline.max_validity_sec),
        served_chains=frozenset(served),
        replay=document.get("replay", baseline.replay),
        class_bound=_typed(document, "class_bound", bool, baseline.class_bound),
        required_components=tuple(_strings(document, "required_components")),
        content_digest=document.get("content_digest", baseline.content_digest),
        honor_mode_eoa=_typed(document, "honor_mode_eoa", bool, baseline.honor_mode_eoa),
        invalidation_endpoint=_typed(document, "invalidation_endpoint", bool, False),
        principal_private=_typed(document, "principal_private", bool, False),
        principal_allowed=(lambda account: not _named(denied, account)) if denied else None,
        replayable_allowed=(
            (lambda account: not _named(replay_denied, account)) if replay_denied else None
        ),
    )
    return VerifierInputs(policy, ACCOUNT_STATES[account_state], invalidation)
