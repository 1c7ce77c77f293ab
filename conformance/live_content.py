"""Live checks of signed content (ERC-8128 §3.1.3, RFC 9530): ``POST`` bodies and their
``Content-Digest``.
"""

from erc8128.http.content_digest import content_digest
from erc8128.http.message import Request
from erc8128.protocol.profiles import get_profile
from erc8128_conformance.judge import Finding
from erc8128_conformance.live_answers import accepted, accepted_or_rejected, rejected
from erc8128_conformance.live_context import LiveContext
from erc8128_conformance.live_signing import POST_BODY, post_request, without
from erc8128_conformance.live_transport import HttpAnswer, send

__all__ = [
    "check_post_body_changed",
    "check_post_content_type_not_covered",
    "check_post_digest_not_covered",
    "check_post_digest_uppercase_key",
    "check_post_no_digest",
    "check_post_sha256_and_sha512",
    "check_post_sha512_only",
    "check_post_unknown_algorithm_ignored",
    "check_post_valid",
    "check_post_wrong_digest",
]


def check_post_valid(ctx: LiveContext) -> list[Finding]:
    return accepted(send(ctx.target, post_request(ctx).request),
                    f"POST {ctx.post_path} with a JSON body")


def check_post_no_digest(ctx: LiveContext) -> list[Finding]:
    components = without(
        get_profile(ctx.profile).signing_components(
            has_query=False, has_content=True, has_content_digest=False, has_content_type=True),
        "content-digest",
    )
    forged = post_request(ctx, digest=False, components=components)
    return rejected(send(ctx.target, forged.request), "content_digest_required",
                    "a body without Content-Digest")


def check_post_wrong_digest(ctx: LiveContext) -> list[Finding]:
    wrong = content_digest(POST_BODY + b" ")
    forged = post_request(ctx, headers=(("Content-Type", "application/json"),
                                        ("Content-Digest", wrong)))
    return rejected(send(ctx.target, forged.request), "bad_content_digest",
                    "a covered Content-Digest of other bytes")


def check_post_body_changed(ctx: LiveContext) -> list[Finding]:
    forged = post_request(ctx)
    changed = POST_BODY.replace(b"conformance", b"conformanc3")
    request = Request(forged.request.method, forged.request.target_uri, forged.request.headers,
                      changed)
    return rejected(send(ctx.target, request), "bad_content_digest",
                    "the body changed after signing")


def _post_with_digest(ctx: LiveContext, digest: str) -> Request:
    return post_request(ctx, headers=(("Content-Type", "application/json"),
                                      ("Content-Digest", digest))).request


def check_post_sha256_and_sha512(ctx: LiveContext) -> list[Finding]:
    digest = content_digest(POST_BODY, ("sha-256", "sha-512"))
    return accepted(send(ctx.target, _post_with_digest(ctx, digest)),
                    "Content-Digest with valid sha-256 and sha-512 members")


def check_post_sha512_only(ctx: LiveContext) -> list[Finding]:
    digest = content_digest(POST_BODY, ("sha-512",))
    return accepted_or_rejected(send(ctx.target, _post_with_digest(ctx, digest)),
                                ("bad_content_digest",), "Content-Digest with sha-512 only")


def check_post_unknown_algorithm_ignored(ctx: LiveContext) -> list[Finding]:
    digest = content_digest(POST_BODY) + ", crc32c=:AAAAAA==:"
    return accepted(send(ctx.target, _post_with_digest(ctx, digest)),
                    "a valid sha-256 member beside an unsupported crc32c member")


def check_post_digest_uppercase_key(ctx: LiveContext) -> list[Finding]:
    digest = content_digest(POST_BODY).replace("sha-256", "SHA-256")
    return rejected(send(ctx.target, _post_with_digest(ctx, digest)), "bad_content_digest",
                    "Content-Digest: SHA-256=... (not a Structured Field key)")


def _post_not_covering(ctx: LiveContext, field: str) -> HttpAnswer:
    """A POST with content, Content-Digest and Content-Type whose signature leaves ``field``
    out of the components the profile would cover."""
    components = without(
        get_profile(ctx.profile).signing_components(
            has_query=False, has_content=True, has_content_digest=True, has_content_type=True),
        field,
    )
    return send(ctx.target, post_request(ctx, components=components).request)


def check_post_digest_not_covered(ctx: LiveContext) -> list[Finding]:
    answer = _post_not_covering(ctx, "content-digest")
    if ctx.profile == "draft":
        return rejected(answer, "insufficient_coverage", "content-digest received, not covered")
    # Legacy: leaving content-digest out makes the signature Class-Bound (route policy).
    return accepted_or_rejected(answer, ("insufficient_coverage",),
                                "content-digest received, not covered")


def check_post_content_type_not_covered(ctx: LiveContext) -> list[Finding]:
    answer = _post_not_covering(ctx, "content-type")
    return rejected(answer, "insufficient_coverage", "content-type received, not covered")

