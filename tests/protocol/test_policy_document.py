"""erc8128.cli.policy_document: the one mapping from a vector's or the adapter's policy object
to verifier inputs (the generator, the adapter and the tests all use it)."""

from typing import Any

import pytest

from erc8128.cli.policy_document import PolicyDocumentError, verifier_inputs
from erc8128.protocol.keyid import Account
from erc8128.protocol.policy import VerifierPolicy

ADDRESS = "0x7e5f4552091a69125d5dfcb7b8c2659029395bdf"


def test_an_absent_document_is_every_default() -> None:
    inputs = verifier_inputs(None, ("draft",))
    baseline = VerifierPolicy()
    assert inputs.policy.skew_sec == baseline.skew_sec
    assert inputs.policy.max_validity_sec == baseline.max_validity_sec
    assert inputs.policy.served_chains == baseline.served_chains
    assert inputs.policy.principal_allowed is None
    assert inputs.invalidation.not_before(f"eip155:1:{ADDRESS}") is None


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ([], "policy_invalid"),
        ({"skew_sec": True}, "policy_invalid"),  # a Boolean is no integer
        ({"skew_sec": "30"}, "policy_invalid"),
        ({"served_chains": [1, "2"]}, "policy_invalid"),
        ({"denied_principals": "0xabc"}, "policy_invalid"),
        ({"not_before": {ADDRESS: 1.5}}, "policy_invalid"),
        ({"account_state": 7}, "policy_invalid"),
        ({"account_state": "quantum"}, "policy_unsupported"),
        ({"surprise": 1}, "policy_unsupported"),
    ],
)
def test_a_bad_document_is_a_typed_error(document: Any, reason: str) -> None:
    with pytest.raises(PolicyDocumentError) as caught:
        verifier_inputs(document, ("draft",))
    assert caught.value.reason == reason
    assert "expected" in caught.value.message or "not implemented" in caught.value.message


def test_principals_match_by_address_or_signer_id_in_any_case() -> None:
    policy = verifier_inputs(
        {"denied_principals": [ADDRESS.upper().replace("0X", "0x")], "served_chains": [1, 10]},
        ("draft",),
    ).policy
    assert policy.principal_allowed is not None
    assert not policy.principal_allowed(Account(chain_id=10, address=ADDRESS))
    other = "0x2b5ad5c4795c026514f8317c7a215e218dccd6cf"
    assert policy.principal_allowed(Account(chain_id=1, address=other))
    by_id = verifier_inputs({"denied_principals": [f"eip155:10:{ADDRESS}"]}, ("draft",)).policy
    assert by_id.principal_allowed is not None
    assert not by_id.principal_allowed(Account(chain_id=10, address=ADDRESS))
    assert by_id.principal_allowed(Account(chain_id=1, address=ADDRESS))


def test_a_not_before_address_stands_for_every_served_chain() -> None:
    inputs = verifier_inputs(
        {"not_before": {ADDRESS: 1_700_000_000}, "served_chains": [1, 8453],
         "invalidated_signatures": ["AB" * 32]},
        ("draft",),
    )
    for chain in (1, 8453):
        assert inputs.invalidation.not_before(f"eip155:{chain}:{ADDRESS}") == 1_700_000_000
    assert inputs.invalidation.not_before(f"eip155:10:{ADDRESS}") is None
    assert inputs.invalidation.is_invalidated(f"eip155:1:{ADDRESS}", "ab" * 32)
