"""What differs between the two ERC-8128 profiles, in one place.

- ``draft``: the newest ERC-8128 text (ethereum/ERCs PR #1478, commit 362f1a9).
- ``legacy``: the February text (commit 9f6cf39) that every shipped SDK speaks.

Where the February text is silent, ``legacy`` takes the newest text's rule; each such decision
is numbered in SPEC.md ("Decisions") and pinned by a vector.
"""

from dataclasses import dataclass
from typing import Final

from erc8128.errors import Erc8128Error
from erc8128.protocol.keyid import ProfileName

# ERC-8128 §2: "A Request Signature has exactly the RFC 9421 String `tag="erc8128"`."
DRAFT_TAG: Final = "erc8128"


@dataclass(frozen=True)
class Profile:
    """One ERC-8128 profile as data: its keyid namespace, tag, and component rules."""

    name: ProfileName
    keyid_prefix: str
    tag: str | None
    honors_mode: bool
    # What makes a signature Request-Bound: always, with a query, with content.
    request_bound: tuple[str, ...]
    request_bound_with_query: tuple[str, ...]
    request_bound_with_content: tuple[str, ...]
    # The draft's "Whenever ... received" coverage rules (content-digest, content-type; D6).
    covers_whenever_received: bool
    # How a candidate of this profile is recognised, for messages.
    recognised_by: str

    def request_bound_components(self, *, has_query: bool, has_content: bool) -> tuple[str, ...]:
        """The minimum covered set that makes a signature Request-Bound for this request,
        as parameterless component names in the order a signer should use them.

        ``has_query``: the target has a query component (a ``?``), ``has_content``: the request
        has non-empty content.
        """
        components = self.request_bound
        if has_query:
            components += self.request_bound_with_query
        if has_content:
            components += self.request_bound_with_content
        return components

    def always_required_components(
        self, *, has_content_digest: bool, has_content_type: bool
    ) -> tuple[str, ...]:
        """Components every candidate must cover, Request-Bound or Class-Bound.

        Both texts: "All Request Signatures MUST cover at least the `@authority` derived
        component" (§3.4.2). The draft adds, in §3.1.1: "Whenever a `Content-Digest` field is
        received, the signature MUST also cover the exact parameterless `content-digest` field
        component" and "Whenever `Content-Type` is received, including on a request with empty
        content, the signature MUST cover the exact parameterless `content-type` field
        component." Decision D6 (SPEC.md): these "whenever" rules bind Class-Bound candidates
        too; the February text has neither rule.
        """
        components: tuple[str, ...] = ("@authority",)
        if self.covers_whenever_received:
            if has_content_digest:
                components += ("content-digest",)
            if has_content_type:
                components += ("content-type",)
        return components

    def signing_components(
        self,
        *,
        has_query: bool,
        has_content: bool,
        has_content_digest: bool,
        has_content_type: bool,
    ) -> tuple[str, ...]:
        """The default covered set of :func:`erc8128.protocol.sign.sign_request`: Request-Bound plus
        every component the profile requires whenever its field is present."""
        components = self.request_bound_components(has_query=has_query, has_content=has_content)
        for name in self.always_required_components(
            has_content_digest=has_content_digest or has_content,
            has_content_type=has_content_type,
        ):
            if name not in components:
                components += (name,)
        return components


DRAFT: Final = Profile(
    name="draft",
    keyid_prefix="eip155",
    tag=DRAFT_TAG,
    honors_mode=True,
    # ERC-8128 §3.1.1: "A Request-Bound signature MUST cover at minimum these exact,
    # parameterless component identifiers: @scheme @authority @method @path @query" and
    # "`@query` MUST be covered even when its value is `?`."
    request_bound=("@scheme", "@authority", "@method", "@path", "@query"),
    request_bound_with_query=(),
    request_bound_with_content=(),
    covers_whenever_received=True,
    recognised_by='tag="erc8128"',
)
# Decision D2 (SPEC.md): the February text has no tag; a legacy candidate is recognised by a
# String keyid in the `erc8128:` namespace. Decision D8: it has no `mode` parameter either.
LEGACY: Final = Profile(
    name="legacy",
    keyid_prefix="erc8128",
    tag=None,
    honors_mode=False,
    # February text §3.1.1: "@authority @method @path"; "If the request contains a query
    # component, the signature MUST also cover: @query"; "If the request contains an HTTP
    # message body, the signature MUST also cover: content-digest".
    request_bound=("@authority", "@method", "@path"),
    request_bound_with_query=("@query",),
    request_bound_with_content=("content-digest",),
    covers_whenever_received=False,
    recognised_by='keyid="erc8128:..."',
)

PROFILES: Final[dict[str, Profile]] = {"draft": DRAFT, "legacy": LEGACY}


def get_profile(name: str) -> Profile:
    """The profile called ``name`` (``draft`` or ``legacy``)."""
    try:
        return PROFILES[name]
    except KeyError:
        raise Erc8128Error(
            "unknown_profile", f"expected 'draft' or 'legacy', got {name!r}"
        ) from None
