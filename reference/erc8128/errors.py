"""Errors: one base class, a stable reason code on every error, expected/got in the message.

Every rejection this package makes on purpose is an :class:`Erc8128Error`. The ``reason`` is a
stable, machine-readable code (for verification failures, the ERC-8128 reason code of the
profile in force); the message says what was expected and what was received. Nothing else is
raised on bad input: no ``AssertionError``, no bare ``ValueError`` from deep inside.

One constructor shape: ``Error(reason, message)``, or ``Error(message)`` where the class fixes
its reason; anything else an error carries (an HTTP status, a label, an offset) is a keyword
argument after those.
"""

from __future__ import annotations

from erc8128.reasons import REASON_CONDITIONS, http_status


class Erc8128Error(ValueError):
    """Base of every error raised on purpose by this package.

    It subclasses ``ValueError`` so that callers who only know the standard library still catch
    it; callers who know this package catch ``Erc8128Error`` and read ``reason``.
    """

    reason: str
    message: str

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason
        self.message = message


class ConfigError(Erc8128Error):
    """A verifier configuration that cannot be served (bad URL, state backend, TLS files...),
    found before serving: one line of message, never a traceback or a late 500 (decision D38)."""


class InvalidKey(Erc8128Error):
    """A private or public key that is not a valid secp256k1 key (wrong type, length or range)."""


class InvalidSignature(Erc8128Error):
    """A signature that breaks an encoding rule, or that no public key can be recovered from.

    Reasons: ``signature_type``, ``signature_length``, ``signature_r_range``,
    ``signature_s_range``, ``signature_high_s``, ``signature_v``, ``recovery_failed``,
    ``hash_length``.
    """


class StructuredFieldError(Erc8128Error):
    """RFC 9651 parse or serialisation failure, with the character offset where it happened."""

    offset: int

    def __init__(
        self, message: str, *, offset: int = -1, reason: str = "structured_field"
    ) -> None:
        where = f" at offset {offset}" if offset >= 0 else ""
        super().__init__(reason, f"{message}{where}")
        self.offset = offset


class MessageComponentError(Erc8128Error):
    """RFC 9421 component or signature-base failure (unknown, duplicate, absent or unsafe)."""


class ContentDigestError(Erc8128Error):
    """RFC 9530 Content-Digest field that is malformed or does not match the content."""


class VerificationError(Erc8128Error):
    """An ERC-8128 verification failure: ``reason`` is one of the 21 stable codes of ERC-8128 §6.

    ``status`` is the HTTP status the ERC assigns to the code (400, 401 or 503); ``label`` names
    the candidate that produced the failure, when one did.
    """

    status: int
    label: str | None
    # Every candidate's failure, in wire order, when several were evaluated (ERC-8128 §4.2).
    candidate_failures: tuple[VerificationError, ...]
    # Seconds after which a freshly signed request can pass (the restart watermark, D61).
    retry_after: int | None

    def __init__(
        self,
        reason: str,
        message: str,
        *,
        label: str | None = None,
        detail: str | None = None,
    ) -> None:
        super().__init__(reason, message)
        self.status = http_status(reason)
        self.label = label
        self.candidate_failures = ()
        self.retry_after = None
        self._detail = detail

    @property
    def detail(self) -> str:
        """The cause as told to the client (the problem body's ``detail``, decision D62): the
        text the raising site gave, which names its cause and echoes no received value, else the
        reason's generic condition (ERC-8128 §6 index). The ``message`` (expected/got, with the
        received values) stays on the server. ERC-8128 §6: "Failure details MUST NOT expose
        contract revert data, private policy, or sensitive content"."""
        return self._detail if self._detail is not None else REASON_CONDITIONS[self.reason]


class AccountStateUnavailable(Erc8128Error):
    """The account-state provider (chain RPC, cache) could not answer; never a verdict.

    ERC-8128 §4: "A state-provider or RPC failure preventing classification or verification
    yields `signature_verification_unavailable`, not `bad_signature`."
    """


class ReplayStoreUnavailable(Erc8128Error):
    """The replay store (nonce set) cannot answer safely: full, closed, down or timed out.

    Never a verdict and never a silent acceptance: the verifier maps it to HTTP 503
    ``signature_verification_unavailable``. ERC-8128 §3.1.2: "A verifier MUST atomically mark an
    unused replay key as used"; a store that cannot do so fails closed with this error.
    """

    def __init__(self, message: str) -> None:
        super().__init__("replay_store_unavailable", message)


class InvalidAddress(Erc8128Error):
    """Address text that is not ``0x`` + 40 ASCII hex digits, or whose EIP-55 checksum is wrong.

    Reasons: ``address_type``, ``address_length``, ``address_prefix``, ``address_hex``,
    ``address_checksum``.
    """


class KeccakInputError(Erc8128Error):
    """Hash input that is not a byte string, or a permutation state that is not 25 lanes.

    Reasons: ``input_type`` (not ``bytes``, ``bytearray`` or ``memoryview``),
    ``input_released`` (a released ``memoryview``); for a Keccak-f[1600] state ``state_type``
    (not a sequence of ints), ``state_length`` (not 25 lanes), ``lane_type`` (not an int),
    ``lane_range`` (not in [0, 2**64)).
    """


class InvalidationStateUnavailable(Erc8128Error):
    """The early-invalidation state (ERC-8128 §5.2) cannot answer safely: closed, down, timed out,
    or handed a value it cannot store.

    Never a verdict and never a silent acceptance: the verifier maps it to HTTP 503
    ``signature_verification_unavailable`` for a Replayable signature, exactly like
    :class:`ReplayStoreUnavailable`. A not-before or denial that cannot be read may exist.
    """

    def __init__(self, message: str) -> None:
        super().__init__("invalidation_state_unavailable", message)
