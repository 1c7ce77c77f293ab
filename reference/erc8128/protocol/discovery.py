"""ERC-8128 §7 Advisory Discovery Document at ``/.well-known/erc8128``, built from route policy.

ERC-8128 §7: "The document advertises policy; it does not grant authority and is never an input
to signature verification." The server builds it from the same :class:`VerifierPolicy` values
its routes verify with, so the advertisement cannot drift from what is enforced.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from erc8128.errors import Erc8128Error
from erc8128.http.message import is_token
from erc8128.protocol.challenge import HttpResponse
from erc8128.protocol.policy import VerifierPolicy

# ERC-8128 §7: "An HTTPS origin MAY publish a discovery document for this profile at
# `/.well-known/erc8128`"
WELL_KNOWN_PATH: Final = "/.well-known/erc8128"
# ERC-8128 §7: "The decoded document SHOULD be no larger than 64 KiB"
MAX_DOCUMENT_BYTES: Final = 64 * 1024
# ERC-8128 §7: "Numeric values MUST be JSON integers in the interoperable range `1` through
# `9007199254740991`."
MAX_JSON_INTEGER: Final = 9007199254740991


class DiscoveryError(Erc8128Error):
    """A route table that cannot be advertised as ERC-8128 §7 says."""


@dataclass(frozen=True)
class ProtectedRoute:
    """One signed route as advertised: its route key, methods and the policy it verifies with.

    ERC-8128 §7: "Route keys are either an absolute path, an absolute path ending in `/*`, or
    `default`."
    """

    key: str
    # None: every method. ERC-8128 §7: "omission applies the policy to every method".
    methods: tuple[str, ...] | None
    policy: VerifierPolicy


def _check_route(route: ProtectedRoute) -> None:
    if route.key != "default" and not route.key.startswith("/"):
        raise DiscoveryError(
            "route_key_invalid", f"expected an absolute path or 'default', got {route.key!r}"
        )
    if "*" in route.key[:-1] or (route.key.endswith("*") and not route.key.endswith("/*")):
        raise DiscoveryError("route_key_invalid", f"expected '*' only as '/*', got {route.key!r}")
    # ERC-8128 §7: "`methods` | Non-empty array of case-sensitive HTTP method tokens"
    if route.methods is not None and not route.methods:
        raise DiscoveryError("route_methods_invalid", f"expected methods for {route.key!r}")
    for method in route.methods or ():
        if not is_token(method):
            raise DiscoveryError("route_methods_invalid", f"expected a token, got {method!r}")
    if not 1 <= route.policy.max_validity_sec <= MAX_JSON_INTEGER:
        raise DiscoveryError(
            "route_policy_invalid",
            f"expected max_validity_sec in 1..{MAX_JSON_INTEGER}, got "
            f"{route.policy.max_validity_sec}",
        )


def _route_policy(route: ProtectedRoute) -> dict[str, object]:
    policy = route.policy
    methods: dict[str, object] = {} if route.methods is None else {"methods": list(route.methods)}
    return {
        **methods,
        "max_validity_sec": policy.max_validity_sec,
        # "Array of RFC 9421 component identifiers, serialized without signature-base outer
        # quotes, required in addition to the applicable Section 3.1.1 requirements"
        "required_components": list(policy.required_components),
        # "`non-replayable` to require a nonce, or `either` to accept either replay posture"
        "replay": policy.replay,
        "content_digest": policy.content_digest,
    }


def _without_methods(policy: dict[str, object]) -> dict[str, object]:
    return {key: value for key, value in policy.items() if key != "methods"}


def discovery_document(
    *,
    policy: VerifierPolicy,
    routes: Sequence[ProtectedRoute],
    name: str,
    invalidation_endpoint: str | None,
) -> dict[str, object]:
    """The ERC-8128 §7 document: top-level defaults from ``policy`` and every protected route.

    Routes sharing a key are advertised as an array, in the order given (ERC-8128 §7: "When a
    selected key contains an array, the first policy whose `methods` contains an exact [...]
    match for the case-sensitive request method wins").
    """
    chains = sorted(policy.served_chains)
    if not chains:
        raise DiscoveryError("chains_invalid", "expected at least one served chain, got none")
    route_policies: dict[str, list[dict[str, object]]] = {}
    for route in routes:
        _check_route(route)
        advertised = _route_policy(route)
        policies = route_policies.setdefault(route.key, [])
        # Routes under one key with the same policy are advertised once, their methods merged.
        same = next((p for p in policies if _without_methods(p) == _without_methods(advertised)),
                    None)
        if same is None or route.methods is None or "methods" not in same:
            policies.append(advertised)
            continue
        methods = same["methods"]
        assert isinstance(methods, list)  # built by _route_policy
        methods.extend(m for m in route.methods if m not in methods)
    document: dict[str, object] = {
        # "Positive integer maximum for `expires - created` when a route does not override it"
        "max_validity_sec": policy.max_validity_sec,
        # "Non-empty array of canonical CAIP-2 `eip155` chain IDs the verifier serves"
        "chains": [f"eip155:{chain}" for chain in chains],
    }
    if invalidation_endpoint is not None:
        document["invalidation_endpoint"] = invalidation_endpoint
    document["name"] = name
    document["route_policies"] = {
        key: policies[0] if len(policies) == 1 else policies
        for key, policies in route_policies.items()
    }
    return document


def discovery_response(document: dict[str, object]) -> HttpResponse:
    """200 ``application/json`` (ERC-8128 §7: "The document is a UTF-8 JSON object served with
    `Content-Type: application/json`"), cacheable for a short time."""
    body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    if len(body) > MAX_DOCUMENT_BYTES:
        raise DiscoveryError(
            "document_too_large", f"expected <= {MAX_DOCUMENT_BYTES} bytes, got {len(body)}"
        )
    return HttpResponse(
        status=200,
        headers=(
            ("Content-Type", "application/json"),
            # ERC-8128 §7: "SHOULD use normal HTTP cache controls"
            ("Cache-Control", "max-age=300"),
        ),
        body=body,
    )
