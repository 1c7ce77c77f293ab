"""Tags on every vector test, so that a runner can skip precisely what its implementation's
types cannot express (vectors/README.md, "Tags"), and chain ids as decimal strings.

Two kinds of tag, computed from the test's own inputs (never written by hand):

- ``fidelity`` and ``fidelity:<what>``: the test needs exact wire bytes that a typical HTTP
  request type (a WHATWG fetch ``Request``, Go's ``http.Request``, ...) cannot carry or
  reorders: a method spelling fetch rewrites or forbids, a target the WHATWG URL parser
  rewrites, a control or non-ASCII character in a field value, a field name that is no token,
  content on GET/HEAD, repeated field lines, and an expected header list compared in order.
- ``policy:<field>`` (and ``policy:<field>=<value>`` for enumerations): the test's verifier
  policy sets a field away from the baseline (vectors/common.py ``DEFAULT_POLICY_JSON``), a
  feature an SDK may lack; ``sign:<option>`` and ``digest:sha-512`` likewise for signing and
  digest options; ``bigint`` when a chain id exceeds 2^53 - 1 (JavaScript's
  ``Number.MAX_SAFE_INTEGER``).

Chain ids are also given as decimal strings (``chain_ids``), so a reader whose JSON numbers are
IEEE doubles never has to parse the big ones.
"""

import ipaddress
import re
from collections.abc import Iterator, Mapping
from typing import Any, Final
from urllib.parse import urlsplit

__all__ = ["MAX_SAFE_INTEGER", "TAGS", "annotate"]

MAX_SAFE_INTEGER: Final = 2**53 - 1

# Every tag a test can carry, with its meaning (the README's "Tags" table is written from it).
TAGS: Final[Mapping[str, str]] = {
    "fidelity": "needs exact wire bytes; set together with one or more fidelity:* tags",
    "fidelity:method": "a method fetch rewrites (lower-case get/post/put/delete/head/options) "
                       "or forbids (CONNECT, TRACE, TRACK), or that is no RFC 9110 token",
    "fidelity:raw-target": "a path or query the WHATWG URL parser rewrites (dot segments, "
                           "backslash, characters it percent-encodes, a fragment, userinfo, a "
                           "non-canonical IPv6 host) or a target that is not an absolute http(s) "
                           "URI",
    "fidelity:control-characters": "a field value with a control or non-ASCII character "
                                   "(fetch refuses NUL/CR/LF and characters above U+00FF)",
    "fidelity:header-name": "a field name that is not an RFC 9110 token",
    "fidelity:header-repeats": "a field name on more than one line (fetch joins them with "
                               "\", \", which is RFC 9421's combined value, but loses the lines)",
    "fidelity:body-on-get": "content on a GET or HEAD request (fetch refuses it)",
    "fidelity:header-order": "the expected output is the complete header list in order, names "
                             "in their case (a runner whose type sorts or lower-cases names "
                             "compares the multiset of (lower-case name, value) instead)",
    "policy:skew_sec": "a clock skew other than 30 s",
    "policy:max_validity_sec": "a route maximum other than 300 s",
    "policy:served_chains": "served chains other than [1]",
    "policy:replay=either": "the route accepts Replayable signatures (with early invalidation)",
    "policy:class_bound": "the route accepts Class-Bound signatures",
    "policy:required_components": "the route requires extra components",
    "policy:content_digest=required": "Content-Digest required on every request",
    "policy:denied_principals": "a Principal policy that refuses some accounts",
    "policy:not_before": "a signer's not-before time for Replayable signatures",
    "policy:invalidated_signatures": "Replayable signatures invalidated by fingerprint",
    "policy:honor_mode_eoa": "the verifier does not honour mode=\"eoa\" (the baseline honours it)",
    "policy:account_state=unavailable": "every account-state lookup fails (503)",
    "policy:account_state=erc1271-accepts": "a contract account whose ERC-1271 check accepts",
    "policy:account_state=erc1271-rejects": "a contract account whose ERC-1271 check rejects",
    "policy:account_state=eip7702-delegated": "an EIP-7702 delegated account",
    "policy:profiles": "(extension) the verifier accepts both profiles",
    "policy:invalidation_endpoint": "(extension) the route is an early-invalidation endpoint",
    "policy:replayable_denied_principals": "(extension) Replayable signatures refused for some "
                                           "accounts",
    "policy:principal_private": "(extension) Principal policy asked after cryptography (D29)",
    "sign:components": "the signer is given an explicit component list",
    "sign:params": "the signer is given extra signature parameters (e.g. mode=\"eoa\")",
    "sign:replayable": "the signer makes a Replayable signature (no nonce)",
    "sign:label": "a signature label other than eth",
    "digest:sha-512": "a sha-512 Content-Digest member is created or checked",
    "bigint": "a chain id above 2^53 - 1: read it from chain_ids, not from the JSON number",
}

_TOKEN: Final = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_FETCH_UPPERCASED: Final = frozenset({"DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"})
_FETCH_FORBIDDEN: Final = frozenset({"CONNECT", "TRACE", "TRACK"})
# WHATWG URL: the path percent-encode set (beyond C0 controls and non-ASCII) and the special
# query percent-encode set; a backslash in a special URL's path is read as "/".
_PATH_REWRITTEN: Final = frozenset(' "#<>?`{}^\\')
_QUERY_REWRITTEN: Final = frozenset(' "#<>\'')
_DEFAULTS: Final[Mapping[str, Any]] = {
    "skew_sec": 30, "max_validity_sec": 300, "served_chains": [1], "replay": "non-replayable",
    "class_bound": False, "required_components": [], "content_digest": "request-body",
    "denied_principals": [], "not_before": {}, "invalidated_signatures": [],
    "honor_mode_eoa": True, "account_state": "no-code",
}
_ENUMERATED: Final = frozenset({"replay", "content_digest", "account_state"})


def _target_rewritten(url: str) -> bool:
    """Whether the WHATWG URL parser would serialise this target differently."""
    if any(ord(c) < 0x21 or ord(c) > 0x7E for c in url):
        return True
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or "#" in url:
        return True
    if "@" in parts.netloc:
        return True
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 literal: WHATWG writes it compressed and in lower case
        try:
            if str(ipaddress.IPv6Address(host)) != host:
                return True
        except ValueError:
            return True
    segments = parts.path.split("/")
    if any(s.lower() in (".", "..", "%2e", "%2e%2e", ".%2e", "%2e.") for s in segments):
        return True
    if any(c in _PATH_REWRITTEN for c in parts.path):
        return True
    return any(c in _QUERY_REWRITTEN for c in parts.query)


def _request_tags(request: Mapping[str, Any]) -> Iterator[str]:
    method: str = request["method"]
    if (not _TOKEN.fullmatch(method) or method.upper() in _FETCH_FORBIDDEN
            or (method.upper() in _FETCH_UPPERCASED and method != method.upper())):
        yield "fidelity:method"
    if _target_rewritten(request["url"]):
        yield "fidelity:raw-target"
    names = [name for name, _ in request["headers"]]
    if any(not _TOKEN.fullmatch(name) for name in names):
        yield "fidelity:header-name"
    if len({name.lower() for name in names}) != len(names):
        yield "fidelity:header-repeats"
    if any(ord(c) > 0x7E or (ord(c) < 0x20 and c != "\t")
           for _, value in request["headers"] for c in value):
        yield "fidelity:control-characters"
    if request.get("body_hex") and method.upper() in ("GET", "HEAD"):
        yield "fidelity:body-on-get"


def _requests(test: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    if isinstance(test.get("request"), Mapping):
        yield test["request"]
    for prior in test.get("prior") or ():
        if isinstance(prior, Mapping) and isinstance(prior.get("request"), Mapping):
            yield prior["request"]
    for step in test.get("steps") or ():
        yield step["request"]


def _policy_tags(policy: Mapping[str, Any]) -> Iterator[str]:
    for field, value in policy.items():
        if field not in _DEFAULTS:  # an extension field: its presence is the feature
            yield f"policy:{field}"
        elif value != _DEFAULTS[field]:
            yield f"policy:{field}={value}" if field in _ENUMERATED else f"policy:{field}"


def _chain_ids(test: Mapping[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    if isinstance(test.get("chain_id"), int):
        found["chain_id"] = str(test["chain_id"])
    policy = test.get("policy")
    if isinstance(policy, Mapping):
        found["served_chains"] = [str(chain) for chain in policy["served_chains"]]
    steps = test.get("steps")
    if steps:
        found["steps_chain_id"] = [
            str(step["chain_id"]) if isinstance(step.get("chain_id"), int) else None
            for step in steps]
    return found


def _numbers(value: Any) -> Iterator[int]:
    if isinstance(value, list):
        for item in value:
            yield from _numbers(item)
    elif isinstance(value, str) and value.isdigit():
        yield int(value)


def annotate(file_name: str, group: Mapping[str, Any], test: Mapping[str, Any]
             ) -> dict[str, Any]:
    """The ``tags`` (sorted, each defined in :data:`TAGS`) and ``chain_ids`` of one test."""
    tags: set[str] = set()
    for request in _requests(test):
        tags.update(_request_tags(request))
    if file_name == "sign_request.json" and test["result"] == "valid":
        tags.add("fidelity:header-order")
    if any(tag.startswith("fidelity:") for tag in tags):
        tags.add("fidelity")
    policy = test.get("policy", group.get("policy"))
    if isinstance(policy, Mapping):
        tags.update(_policy_tags(policy))
    if test.get("components") is not None and "components" in test:
        tags.add("sign:components")
    if test.get("params"):
        tags.add("sign:params")
    if file_name == "sign_request.json" and "nonce" in test and test["nonce"] is None:
        tags.add("sign:replayable")
    if file_name == "sign_request.json" and test.get("label", "eth") != "eth":
        tags.add("sign:label")
    if "sha-512" in (test.get("algorithms") or ()) or "sha-512" in str(test.get("value", "")):
        tags.add("digest:sha-512")
    chain_ids = _chain_ids(test)
    if any(number > MAX_SAFE_INTEGER for number in _numbers(list(chain_ids.values()))):
        tags.add("bigint")
    undefined = tags - TAGS.keys()
    assert not undefined, undefined  # every tag is defined in TAGS (an internal invariant)
    fields: dict[str, Any] = {"tags": sorted(tags)}
    if chain_ids:
        fields["chain_ids"] = chain_ids
    return fields
