"""ERC-8128 §7 discovery document built by erc8128.protocol.discovery (pure), and the 503 path."""

import json

import jsonschema  # tests only: an independent check of the document's shape
import pytest

from erc8128.protocol.discovery import (
    DiscoveryError,
    ProtectedRoute,
    discovery_document,
    discovery_response,
)
from erc8128.protocol.policy import VerifierPolicy
from erc8128.server import ServerConfig, start_server
from erc8128.state.nonces.redis import RedisReplayStore
from tests.support.demo_client import Agent, send_request

BASE = VerifierPolicy(served_chains=frozenset({8453, 1}), max_validity_sec=120)

# The member types of ERC-8128 §7's two tables, for the members this server emits.
POSITIVE = {"type": "integer", "minimum": 1, "maximum": 9007199254740991}
ROUTE_POLICY = {
    "type": "object",
    "properties": {
        "methods": {"type": "array", "minItems": 1, "items": {"type": "string"}},
        "max_validity_sec": POSITIVE,
        "required_components": {"type": "array", "items": {"type": "string"}},
        "replay": {"enum": ["non-replayable", "either"]},
        "content_digest": {"enum": ["request-body", "required"]},
    },
}
SCHEMA = {
    "type": "object",
    "properties": {
        "max_validity_sec": POSITIVE,
        "chains": {"type": "array", "minItems": 1,
                   "items": {"type": "string", "pattern": "^eip155:[1-9][0-9]*$"}},
        "invalidation_endpoint": {"type": "string"},
        "name": {"type": "string"},
        "route_policies": {
            "type": "object",
            "propertyNames": {"pattern": "^(default|/.*)$"},
            "additionalProperties": {
                "oneOf": [ROUTE_POLICY,
                          {"type": "array", "minItems": 1, "items": ROUTE_POLICY}],
            },
        },
    },
    "required": ["max_validity_sec", "chains", "route_policies"],
}


def test_document_shape_and_merging() -> None:
    strict = VerifierPolicy(required_components=("content-type",), content_digest="required")
    routes = [
        ProtectedRoute("/a", ("GET",), BASE),
        ProtectedRoute("/b/*", ("POST",), BASE),
        ProtectedRoute("/b/*", ("GET",), BASE),
        ProtectedRoute("/b/*", ("PUT",), strict),
    ]
    document = discovery_document(policy=BASE, routes=routes, name="n",
                                  invalidation_endpoint="https://x.example/inv")
    jsonschema.validate(document, SCHEMA)
    assert document["chains"] == ["eip155:1", "eip155:8453"]
    assert document["max_validity_sec"] == 120
    policies = document["route_policies"]
    assert isinstance(policies, dict)
    assert policies["/a"]["methods"] == ["GET"]
    assert [p["methods"] for p in policies["/b/*"]] == [["POST", "GET"], ["PUT"]]
    assert policies["/b/*"][1]["required_components"] == ["content-type"]
    assert policies["/b/*"][1]["content_digest"] == "required"
    response = discovery_response(document)
    assert response.field_lines("content-type") == ("application/json",)
    assert json.loads(response.body) == document


@pytest.mark.parametrize(("key", "methods"), [
    ("a", ("GET",)), ("/a*", ("GET",)), ("/*/a", ("GET",)), ("/a", ()), ("/a", ("G T",)),
])
def test_invalid_routes_are_refused(key: str, methods: tuple[str, ...]) -> None:
    with pytest.raises(DiscoveryError):
        discovery_document(policy=BASE, routes=[ProtectedRoute(key, methods, BASE)], name="n",
                           invalidation_endpoint=None)


def test_a_route_for_every_method_omits_methods() -> None:
    """ERC-8128 §7: "omission applies the policy to every method" (what a Gate with one policy
    advertises under `default`)."""
    document = discovery_document(policy=BASE, routes=[ProtectedRoute("default", None, BASE)],
                                  name="n", invalidation_endpoint=None)
    policies = document["route_policies"]
    assert isinstance(policies, dict)
    assert "methods" not in policies["default"]
    assert policies["default"]["max_validity_sec"] == BASE.max_validity_sec


def test_document_over_64_kib_is_refused() -> None:
    with pytest.raises(DiscoveryError):
        discovery_response({"name": "x" * 70_000})


def test_served_document_validates() -> None:
    with start_server(ServerConfig(port=0, chains=(1, 10))) as server:
        agent = Agent("discovery")
        signed = agent.sign(server.url, "GET", "/.well-known/erc8128")
        reply = send_request(server.bound_url, signed.request)
        assert reply.status == 200
        jsonschema.validate(reply.json(), SCHEMA)


def test_unreachable_replay_store_is_503_with_retry_after() -> None:
    # Decision D12: a replay store that cannot answer fails closed with 503. A server does not
    # start on one that never answers (D74), so here the store stops answering after the start.
    with start_server(ServerConfig(port=0)) as server:
        server.app.nonces = RedisReplayStore("redis://127.0.0.1:1/0")
        signed = Agent("unavailable").sign(server.url, "GET", "/api/whoami")
        reply = send_request(server.bound_url, signed.request)
        assert reply.status == 503
        assert reply.header("Retry-After") == "1"
        assert reply.header("WWW-Authenticate") == (
            'ERC8128 error="signature_verification_unavailable"'
        )
        assert reply.json()["reason"] == "signature_verification_unavailable"
