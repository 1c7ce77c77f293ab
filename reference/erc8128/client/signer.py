"""An agent's signing identity: its secp256k1 key, chain and profile (ERC-8128 §3.4 at the edge)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from erc8128.client.errors import ClientError
from erc8128.client.keys import DEFAULT_KEY_ENV, parse_private_key
from erc8128.crypto.addresses import address_of
from erc8128.crypto.secp256k1 import private_key_scalar
from erc8128.errors import Erc8128Error
from erc8128.http.message import Request
from erc8128.http.structured_fields import BareItem
from erc8128.protocol.keyid import PROFILE_NAMES, Account, ProfileName, format_keyid
from erc8128.protocol.sign import DEFAULT_LABEL, DEFAULT_VALIDITY_SEC, SignedRequest, sign_request


@dataclass(frozen=True)
class Signer:
    """An agent's signing identity: a secp256k1 private key, the chain and the profile.

    The key is never shown: ``repr`` and ``str`` name only the address, chain and profile.
    """

    private_key: bytes = field(repr=False)
    chain_id: int = 1
    profile: ProfileName = "draft"

    def __post_init__(self) -> None:
        private_key_scalar(self.private_key)  # raises InvalidKey (type, length, range)
        if type(self.chain_id) is not int or self.chain_id < 0:
            raise ClientError(
                "invalid_chain_id", f"expected a chain id >= 0, got {self.chain_id!r}"
            )
        if self.profile not in PROFILE_NAMES:
            raise ClientError(
                "invalid_profile", f"expected profile 'draft' or 'legacy', got {self.profile!r}"
            )

    def __repr__(self) -> str:
        return (
            f"Signer(address={self.address!r}, chain_id={self.chain_id}, "
            f"profile={self.profile!r})"
        )

    __str__ = __repr__

    @cached_property
    def address(self) -> str:
        """The Ethereum address of the key: ``0x`` + 40 lowercase hex digits."""
        return address_of(self.private_key)

    @property
    def keyid(self) -> str:
        """The ``keyid`` this signer puts in its signatures (ERC-8128 §3.3.1)."""
        return format_keyid(Account(chain_id=self.chain_id, address=self.address), self.profile)

    @classmethod
    def generate(
        cls,
        *,
        chain_id: int = 1,
        profile: ProfileName = "draft",
        randbytes: Callable[[int], bytes] = secrets.token_bytes,
    ) -> Signer:
        """A new key from ``secrets`` (rejection sampling into [1, n-1], SEC 1 §3.2.1)."""
        while True:
            candidate = randbytes(32)
            try:
                return cls(candidate, chain_id=chain_id, profile=profile)
            except Erc8128Error:  # d = 0 or d >= n: probability about 2**-128
                continue

    @classmethod
    def from_env(
        cls,
        var: str = DEFAULT_KEY_ENV,
        *,
        chain_id: int = 1,
        profile: ProfileName = "draft",
        environ: Mapping[str, str] | None = None,
    ) -> Signer:
        """The key in environment variable ``var`` (64 hex digits, ``0x`` optional)."""
        values = os.environ if environ is None else environ
        text = values.get(var)
        if text is None:
            raise ClientError("private_key_missing", f"expected environment variable {var}, unset")
        return cls(parse_private_key(text), chain_id=chain_id, profile=profile)

    @classmethod
    def from_key_file(
        cls, file: str | os.PathLike[str], *, chain_id: int = 1, profile: ProfileName = "draft"
    ) -> Signer:
        """The key stored in ``file`` by ``erc8128 keygen`` (one line of hex)."""
        try:
            text = Path(file).read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as error:
            raise ClientError(
                "key_file_unreadable", f"expected a readable key file at {file}, got {error}"
            ) from None
        return cls(parse_private_key(text), chain_id=chain_id, profile=profile)

    def signature_headers(
        self,
        request: Request,
        *,
        created: int,
        label: str = DEFAULT_LABEL,
        components: Sequence[str] | None = None,
        nonce: str | None = None,
    ) -> tuple[tuple[str, str], ...]:
        """The header lines signing ``request`` adds (Content-Digest, Signature-Input, Signature),
        for HTTP libraries that sign their own request objects in place."""
        signed = self.sign(
            request, created=created, label=label, components=components, nonce=nonce
        )
        return signed.request.headers[len(request.headers) :]

    def sign(
        self,
        request: Request,
        *,
        created: int,
        label: str = DEFAULT_LABEL,
        components: Sequence[str] | None = None,
        nonce: str | None = None,
        params: Mapping[str, BareItem] | None = None,
        validity_sec: int = DEFAULT_VALIDITY_SEC,
    ) -> SignedRequest:
        """Sign ``request`` at time ``created`` (a fresh nonce unless one is given)."""
        return sign_request(
            request,
            self.private_key,
            created=created,
            expires=created + validity_sec,
            profile=self.profile,
            chain_id=self.chain_id,
            nonce=nonce,
            label=label,
            components=components,
            params=params,
        )
