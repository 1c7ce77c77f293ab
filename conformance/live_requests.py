"""Live checks of the request as received against the request as signed (ERC-8128 §3.1,
RFC 9421 §2.2): query, path and method.
"""

from erc8128.http.message import Request
from erc8128_conformance.judge import Finding
from erc8128_conformance.live_answers import accepted, failed, refused, rejected
from erc8128_conformance.live_context import CheckFunction, CheckNotApplicable, LiveContext
from erc8128_conformance.live_signing import valid_request, with_target
from erc8128_conformance.live_transport import send

__all__ = [
    "check_method_case",
    "check_method_changed",
    "check_query_changed",
    "check_query_percent_encoded",
    "check_query_question_mark",
    "check_query_repeated_names",
]


def check_query_question_mark(ctx: LiveContext) -> list[Finding]:
    answer = send(ctx.target, valid_request(ctx, target=ctx.target.path + "?"))
    return accepted(answer, f"GET {ctx.target.path}? (an empty query, @query = \"?\")")


def check_query_repeated_names(ctx: LiveContext) -> list[Finding]:
    target = ctx.target.path + "?a=1&a=2&b=&a=1"
    return accepted(send(ctx.target, valid_request(ctx, target=target)), f"GET {target}")


def check_query_percent_encoded(ctx: LiveContext) -> list[Finding]:
    target = ctx.target.path + "?q=a%20b%2Fc&r=%7e&s=%E2%82%AC"
    return accepted(send(ctx.target, valid_request(ctx, target=target)), f"GET {target}")


def check_query_changed(ctx: LiveContext) -> list[Finding]:
    request = valid_request(ctx, target=ctx.target.path + "?a=1")
    answer = send(ctx.target, with_target(ctx, request, ctx.target.path + "?a=2"))
    return rejected(answer, "bad_signature", "signed for ?a=1, sent with ?a=2")


def _path_variant(ctx: LiveContext, kind: str) -> str:
    path = ctx.target.path
    head, _, last = path.rpartition("/")
    variants = {
        "double_slash": "/" + path,
        "dot_segment": f"{head}/./{last}",
        "dot_dot_segment": f"{head}/x/../{last}",
        "encoded_slash": f"{head}%2F{last}" if head else f"/%2F{last}",
        "trailing_slash": path + "/",
    }
    return variants[kind]


def path_check(kind: str) -> CheckFunction:
    def check(ctx: LiveContext) -> list[Finding]:
        # Passes on the verifier's own refusal (401 with an ERC8128 challenge) only; a router's
        # 404 proves nothing unless the path exactly as sent, signed for itself, is accepted.
        variant = _path_variant(ctx, kind)
        request = valid_request(ctx)
        what = f"signed for {ctx.target.path}, sent as {variant}"
        answer = send(ctx.target, with_target(ctx, request, variant))
        if 200 <= answer.status < 300:
            return failed(f"{what}: expected a refusal, got {answer.summary()}")
        challenge = answer.header("WWW-Authenticate") or ""
        if answer.status == 401 and challenge.lower().startswith("erc8128"):
            return []
        control = send(ctx.target, valid_request(ctx, target=variant))
        if 200 <= control.status < 300:
            return []  # the route serves the path as sent; the mismatched signature was refused
        if answer.status >= 500 and answer.status != 501:
            return failed(f"{what}: expected a refusal, got {answer.summary()}")
        raise CheckNotApplicable(
            f"{variant} is not served (a request signed for {variant} and sent as {variant} got "
            f"HTTP {control.status}); the HTTP {answer.status} for {what} proves nothing"
        )

    check.__name__ = f"check_path_{kind}"
    return check


def check_method_case(ctx: LiveContext) -> list[Finding]:
    request = valid_request(ctx)
    lower = Request("get", request.target_uri, request.headers, request.body)
    return refused(send(ctx.target, lower), "signed for GET, sent as get")


def check_method_changed(ctx: LiveContext) -> list[Finding]:
    request = valid_request(ctx)
    head = Request("HEAD", request.target_uri, request.headers, request.body)
    answer = send(ctx.target, head)
    return refused(answer, "signed for GET, sent as HEAD")

