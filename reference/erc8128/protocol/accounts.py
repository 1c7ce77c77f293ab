"""ERC-8128 §4.1 Universal Account verification, behind a pluggable account-state interface.

ERC-8128 §4.1: "Universal Account verification MUST proceed in this order:
1. If the signature is an ERC-6492 wrapper, verify the wrapper before inspecting account code. An
   invalid wrapper MUST NOT fall back.
2. Otherwise, if the candidate has `mode="eoa"` and the verifier honors it, apply strict local EOA
   recovery. If the recovered address equals the `keyid` address, the signature is valid without
   an account-code lookup. Otherwise, continue with step 3.
3. Obtain account code on the `keyid` chain. If code is present, including an EIP-7702 delegation
   indicator, call ERC-1271 with `H` and the opaque signature. An invalid call MUST NOT fall back
   to ECDSA.
4. Only for an unwrapped Account without code, apply strict local EOA recovery."

The chain is reached only through :class:`AccountState`. This module ships two local providers:
:class:`NoCodeAccountState` (every account is code-free, as in the ERC's own test vectors; it makes
no network call) and :class:`UnavailableAccountState` (every lookup fails, for testing the 503
path). A JSON-RPC provider implements the same interface.
"""

from dataclasses import dataclass
from typing import Final, Literal, Protocol

# The pure strict recovery is erc8128.crypto.personal_sign.recover_address; accelerate dispatches to
# it unless a faster backend was selected explicitly.
from erc8128.crypto.accelerate import recover_address, selected_backend
from erc8128.crypto.key_cache import SignerKeyCache
from erc8128.errors import AccountStateUnavailable, InvalidSignature
from erc8128.protocol.keyid import Account

# ERC-6492: a wrapped signature ends with the 32-byte magic value 0x6492...6492.
ERC6492_MAGIC_SUFFIX: Final = bytes.fromhex("6492" * 16)

VerificationMethod = Literal["erc6492", "eoa-mode", "erc1271", "eoa"]


class AccountState(Protocol):
    """What Universal Account verification needs from a chain; each call may raise
    :class:`~erc8128.errors.AccountStateUnavailable` (never a verdict)."""

    def get_code(self, account: Account) -> bytes:
        """The account's code on ``account.chain_id`` (empty when it has none)."""
        ...

    def erc1271_is_valid(self, account: Account, message_hash: bytes, signature: bytes) -> bool:
        """ERC-1271 ``isValidSignature(H, signature)`` returned the magic value 0x1626ba7e."""
        ...

    def erc6492_is_valid(self, account: Account, message_hash: bytes, signature: bytes) -> bool:
        """The ERC-6492 wrapper verifies (simulated deployment, then ``isValidSignature``)."""
        ...


@dataclass(frozen=True)
class AccountVerdict:
    """The outcome of Universal Account verification for one candidate."""

    valid: bool
    method: VerificationMethod
    code_lookups: int  # how many times account code was obtained (0 or 1)
    detail: str = ""
    # Of a refused strict EOA recovery, the stable code of the check that failed (the
    # InvalidSignature reason, or "recovered_other_address"): what a refusal may name (D62).
    refusal: str = ""


def is_erc6492_wrapper(signature: bytes) -> bool:
    """ERC-6492: a signature is wrapped when it ends with the 32-byte magic suffix."""
    return len(signature) >= len(ERC6492_MAGIC_SUFFIX) and signature.endswith(ERC6492_MAGIC_SUFFIX)


def _strict_eoa_refusal(
    account: Account, message_hash: bytes, signature: bytes, key_cache: SignerKeyCache | None
) -> tuple[str, str] | None:
    """Strict local recovery (ERC-8128 §3.4.3): None on success, else the failed check's code
    and its expected/got message.

    With a key cache, a repeat signer is checked against its cached key instead; the verdict
    and the message are the same (erc8128.crypto.key_cache, SPEC.md D53).
    """
    try:
        if key_cache is None:
            recovered = recover_address(message_hash, signature)
        else:
            recovered = key_cache.recover_address(
                message_hash, signature, account.address, selected_backend()
            )
    except InvalidSignature as error:
        return error.reason, error.message
    # ERC-8128 §3.4.3: "The recovered address MUST equal the normalized `keyid` address."
    if recovered != account.address:
        return ("recovered_other_address",
                f"recovered {recovered}, expected keyid address {account.address}")
    return None


def verify_account_signature(
    account: Account,
    message_hash: bytes,
    signature: bytes,
    *,
    mode_eoa: bool,
    state: AccountState,
    key_cache: SignerKeyCache | None = None,
) -> AccountVerdict:
    """Run ERC-8128 §4.1 steps 1-4; raises AccountStateUnavailable when the chain cannot answer."""
    # §4.1 step 1: an ERC-6492 wrapper is verified before account code, with no fallback.
    if is_erc6492_wrapper(signature):
        valid = state.erc6492_is_valid(account, message_hash, signature)
        return AccountVerdict(valid, "erc6492", 0, "" if valid else "ERC-6492 wrapper rejected")
    # §4.1 step 2: mode="eoa" lets a locally recovering signature skip the code lookup.
    if mode_eoa and _strict_eoa_refusal(account, message_hash, signature, key_cache) is None:
        return AccountVerdict(True, "eoa-mode", 0)
    # §4.1 step 3: code present (incl. an EIP-7702 indicator) → ERC-1271, no ECDSA fallback.
    code = state.get_code(account)
    if code:
        valid = state.erc1271_is_valid(account, message_hash, signature)
        return AccountVerdict(valid, "erc1271", 1, "" if valid else "ERC-1271 rejected")
    # §4.1 step 4: only an unwrapped account without code uses strict local EOA recovery.
    failure = _strict_eoa_refusal(account, message_hash, signature, key_cache)
    if failure is None:
        return AccountVerdict(True, "eoa", 1)
    refusal, detail = failure
    return AccountVerdict(False, "eoa", 1, detail, refusal)


class NoCodeAccountState:
    """Every account has no code; no network. The setting of the ERC's own test vectors.

    It cannot simulate an ERC-6492 deployment, so a wrapped signature is *unavailable* here
    (503), never accepted and never judged ``bad_signature``.
    """

    def get_code(self, account: Account) -> bytes:
        return b""

    def erc1271_is_valid(self, account: Account, message_hash: bytes, signature: bytes) -> bool:
        raise AccountStateUnavailable(
            "account_state_unavailable", "the local no-code provider has no ERC-1271 contracts"
        )

    def erc6492_is_valid(self, account: Account, message_hash: bytes, signature: bytes) -> bool:
        raise AccountStateUnavailable(
            "account_state_unavailable",
            "expected a chain to simulate the ERC-6492 deployment, got the local no-code provider",
        )


class UnavailableAccountState:
    """Every lookup fails, as an RPC outage would (tests the 503 path)."""

    def get_code(self, account: Account) -> bytes:
        raise AccountStateUnavailable("account_state_unavailable", "account-state provider is down")

    def erc1271_is_valid(self, account: Account, message_hash: bytes, signature: bytes) -> bool:
        raise AccountStateUnavailable("account_state_unavailable", "account-state provider is down")

    def erc6492_is_valid(self, account: Account, message_hash: bytes, signature: bytes) -> bool:
        raise AccountStateUnavailable("account_state_unavailable", "account-state provider is down")


