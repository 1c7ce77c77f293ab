"""The conformance suite's live chain checks (``erc8128 conformance --target URL --chain-rpc URL``).

A real anvil (``--chain-id 1 --hardfork prague``) and the demo server started in-process with
``rpc=(("eip155:1", anvil.url),)``; the suite prepares the chain itself (deployments and an
EIP-7702 delegation signed with the public dev funder key) and every chain case must pass. The
negative control runs the same suite against a server without ``--rpc`` (the local no-code
provider): the cases whose outcome needs the chain must fail. The RLP encoder and the signed
transactions are cross-checked against the independent ``rlp`` and eth-account libraries.
"""

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import rlp  # type: ignore[import-untyped]
from eth_account import Account as EthAccount
from hypothesis import given, settings
from hypothesis import strategies as st

from erc8128.cli import main
from erc8128.crypto.addresses import address_of
from erc8128.crypto.keccak import keccak256
from erc8128.server.lifecycle import ServerConfig, start_server
from erc8128_conformance.chain_live import (
    ARTIFACTS_DIR,
    CHAIN_CHECKS,
    DEV_FUNDER_KEY,
    ChainSetupError,
    artifact_bytecode,
)
from erc8128_conformance.live import checks_for
from erc8128_conformance.rlp import RlpError, RlpItem, rlp_encode
from erc8128_conformance.transactions import (
    FeeMarketTransaction,
    SetCodeTransaction,
    TransactionError,
    sign_authorization,
)
from tests.support.anvil import Anvil, free_port
from tests.support.service_process import running

ROOT = Path(__file__).resolve().parents[2]
CHAIN_ROW = "live_chain"
# The cases a verifier without chain access must get wrong: each needs contract code (ERC-1271),
# an ERC-6492 simulation or an EIP-7702 delegation indicator to reach its expected answer.
NEEDS_CHAIN = {
    "live/draft/chain_N09_erc1271_owner_200",
    "live/draft/chain_N09_erc1271_mode_eoa_owner_200",
    "live/draft/chain_erc6492_counterfactual_200_stays_undeployed",
    "live/draft/chain_erc6492_invalid_wrapper_401_bad_signature",
    "live/draft/chain_N10_eip7702_rejecting_delegate_401_bad_signature",
}


# -- shipped artifacts ---------------------------------------------------------------------------


def test_shipped_artifacts_equal_the_contracts_artifacts() -> None:
    """contracts/build.mjs writes both copies; the suite's package data must not drift."""
    committed = sorted(p.name for p in (ROOT / "contracts/artifacts").glob("*.json"))
    shipped = sorted(p.name for p in ARTIFACTS_DIR.glob("*.json"))
    assert shipped == committed
    assert len(shipped) == 5
    for name in shipped:
        shipped_bytes = (ARTIFACTS_DIR / name).read_bytes()
        assert shipped_bytes == (ROOT / "contracts/artifacts" / name).read_bytes(), name


def test_missing_artifact_is_a_typed_error() -> None:
    with pytest.raises(ChainSetupError) as info:
        artifact_bytecode("NoSuchContract")
    assert info.value.reason == "chain_artifact_missing"


# -- RLP and transactions, against rlp and eth-account ------------------------------------------

rlp_items: st.SearchStrategy[Any] = st.recursive(
    st.binary(max_size=70) | st.integers(min_value=0, max_value=2**256),
    lambda children: st.lists(children, max_size=5),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None)
@given(rlp_items)
def test_rlp_encode_matches_the_rlp_library(item: RlpItem) -> None:
    assert rlp_encode(item) == rlp.encode(item)


@pytest.mark.parametrize(
    ("item", "encoded"),
    [
        (b"", b"\x80"),
        (0, b"\x80"),
        (b"\x7f", b"\x7f"),
        (b"\x80", b"\x81\x80"),
        (b"dog", b"\x83dog"),
        ([], b"\xc0"),
        ([b"cat", b"dog"], b"\xc8\x83cat\x83dog"),
        (1024, b"\x82\x04\x00"),
        (b"a" * 56, b"\xb8\x38" + b"a" * 56),
    ],
)
def test_rlp_yellow_paper_examples(item: RlpItem, encoded: bytes) -> None:
    assert rlp_encode(item) == encoded


@pytest.mark.parametrize("item", [-1, True, "text", None, 1.5, [b"ok", -2]])
def test_rlp_rejects_what_it_cannot_encode(item: Any) -> None:
    with pytest.raises(RlpError) as info:
        rlp_encode(item)
    assert info.value.reason == "rlp_invalid_item"


FUNDER_ACCOUNT = EthAccount.from_key(DEV_FUNDER_KEY)
AUTHORITY_KEY = keccak256(b"test authority")


@pytest.mark.parametrize("to", [None, "0x" + "11" * 20])
def test_fee_market_transaction_matches_eth_account(to: str | None) -> None:
    transaction = FeeMarketTransaction(1, 7, 10**9, 3 * 10**9, 100_000, to, 5, b"\x60\x00")
    fields: dict[str, Any] = {
        "type": 2, "chainId": 1, "nonce": 7, "maxPriorityFeePerGas": 10**9,
        "maxFeePerGas": 3 * 10**9, "gas": 100_000, "value": 5, "data": b"\x60\x00",
        "accessList": [],
    }
    if to is not None:
        fields["to"] = to
    expected = FUNDER_ACCOUNT.sign_transaction(fields).raw_transaction
    assert transaction.signed(DEV_FUNDER_KEY) == bytes(expected)


def test_set_code_transaction_matches_eth_account() -> None:
    delegate = "0x" + "22" * 20
    authorization = sign_authorization(AUTHORITY_KEY, 1, delegate, 3)
    reference_authorization = EthAccount.sign_authorization(
        {"chainId": 1, "address": delegate, "nonce": 3}, AUTHORITY_KEY
    )
    assert (authorization.y_parity, authorization.r, authorization.s) == (
        reference_authorization.y_parity, reference_authorization.r, reference_authorization.s
    )
    transaction = SetCodeTransaction(
        1, 9, 10**9, 3 * 10**9, 100_000, address_of(DEV_FUNDER_KEY), 0, b"", (authorization,)
    )
    expected = FUNDER_ACCOUNT.sign_transaction(
        {
            "type": 4, "chainId": 1, "nonce": 9, "maxPriorityFeePerGas": 10**9,
            "maxFeePerGas": 3 * 10**9, "gas": 100_000, "to": FUNDER_ACCOUNT.address,
            "value": 0, "data": b"", "accessList": [],
            "authorizationList": [reference_authorization],
        }
    ).raw_transaction
    assert transaction.signed(DEV_FUNDER_KEY) == bytes(expected)


def test_set_code_transaction_needs_an_authorization() -> None:
    transaction = SetCodeTransaction(1, 0, 1, 2, 100_000, "0x" + "11" * 20, 0, b"", ())
    with pytest.raises(TransactionError) as info:
        transaction.signed(DEV_FUNDER_KEY)
    assert info.value.reason == "transaction_invalid"


def test_transaction_rejects_a_malformed_address() -> None:
    transaction = FeeMarketTransaction(1, 0, 1, 2, 21_000, "0x1234", 0, b"")
    with pytest.raises(TransactionError) as info:
        transaction.signed(DEV_FUNDER_KEY)
    assert info.value.reason == "transaction_invalid"


# -- the live chain checks through the CLI ------------------------------------------------------


@pytest.fixture(scope="module")
def anvil() -> Iterator[Anvil]:
    with running(Anvil()) as node:
        yield node


def run_suite(
    target: str, chain_rpc: str, report: Path, *extra: str
) -> tuple[int, dict[str, str], float]:
    """Run ``erc8128 conformance``; the exit status, {case id: outcome}, the seconds it took."""
    started = time.perf_counter()
    status = main(
        ["conformance", "--target", target, "--chain-rpc", chain_rpc, "--post-path",
         "/api/projects", "--report-json", str(report), *extra]
    )
    elapsed = time.perf_counter() - started
    document = json.loads(report.read_text())
    outcomes = {entry["id"]: entry["outcome"] for entry in document["outcomes"]}
    rows = {entry["id"]: entry["operation"] for entry in document["outcomes"]}
    assert {rows[case] for case in outcomes if "/chain_" in case} <= {CHAIN_ROW}
    return status, outcomes, elapsed


def chain_outcomes(outcomes: dict[str, str]) -> dict[str, str]:
    return {case: outcome for case, outcome in outcomes.items() if "/chain_" in case}


def test_chain_cases_pass_against_a_server_on_the_chain(
    anvil: Anvil, tmp_path: Path, record_property: Any
) -> None:
    config = ServerConfig(port=0, rpc=(("eip155:1", anvil.url),), profiles=("draft", "legacy"))
    with start_server(config) as server:
        status, outcomes, elapsed = run_suite(server.url, anvil.url, tmp_path / "report.json")
    chain = chain_outcomes(outcomes)
    assert chain == {f"live/draft/{name}": "passed" for name in CHAIN_CHECKS}
    assert len(chain) == 7
    live = {case: o for case, o in outcomes.items() if case not in chain}
    # Every live check of both profiles, unchanged by --chain-rpc.
    assert len(live) == len(checks_for("draft")) + len(checks_for("legacy"))
    # The demo server routes paths exactly, so the path-rewrite checks are not supported (a
    # router's 404 proves nothing about the verifier); every other live check passes.
    assert {case for case, o in live.items() if o != "passed"} == {
        f"live/{profile}/path_{kind}_refused" for profile in ("draft", "legacy")
        for kind in ("double_slash", "dot_segment", "dot_dot_segment", "encoded_slash",
                     "trailing_slash")}
    assert set(live.values()) == {"passed", "not_supported"}
    assert status == 0
    record_property("chain_suite_seconds", round(elapsed, 2))
    print(f"live + chain suite: {len(outcomes)} cases in {elapsed:.2f} s")


def test_chain_cases_fail_against_a_server_without_rpc(anvil: Anvil, tmp_path: Path) -> None:
    """Negative control: the local no-code provider cannot reach the chain's answers."""
    with start_server(ServerConfig(port=0, profiles=("draft",))) as server:
        status, outcomes, _ = run_suite(
            server.url, anvil.url, tmp_path / "report.json", "--profile", "draft"
        )
    chain = chain_outcomes(outcomes)
    failed = {case for case, outcome in chain.items() if outcome == "failed"}
    assert failed == NEEDS_CHAIN
    # The two cases a code-free verifier also answers correctly: a non-owner's signature is
    # bad either way, and mode="eoa" recovers the EOA without any lookup.
    assert {case for case, outcome in chain.items() if outcome == "passed"} == {
        "live/draft/chain_N09_erc1271_non_owner_401_bad_signature",
        "live/draft/chain_N10_eip7702_mode_eoa_200",
    }
    assert status == 1


def test_unreachable_chain_errors_every_chain_case(tmp_path: Path) -> None:
    unreachable = f"http://127.0.0.1:{free_port()}"
    with start_server(ServerConfig(port=0, profiles=("draft",))) as server:
        status, outcomes, _ = run_suite(
            server.url, unreachable, tmp_path / "report.json", "--profile", "draft"
        )
    chain = chain_outcomes(outcomes)
    assert chain == {f"live/draft/{name}": "errored" for name in CHAIN_CHECKS}
    assert status == 1


def test_unfunded_funder_errors_every_chain_case(anvil: Anvil, tmp_path: Path) -> None:
    config = ServerConfig(port=0, rpc=(("eip155:1", anvil.url),), profiles=("draft",))
    penniless = keccak256(b"a key with no ether").hex()
    with start_server(config) as server:
        status, outcomes, _ = run_suite(
            server.url, anvil.url, tmp_path / "report.json", "--profile", "draft",
            "--chain-funder-key", penniless,
        )
    chain = chain_outcomes(outcomes)
    assert chain == {f"live/draft/{name}": "errored" for name in CHAIN_CHECKS}
    assert status == 1


@pytest.mark.parametrize(
    "arguments",
    [
        ["--chain-rpc", "http://127.0.0.1:1"],  # no --target
        ["--target", "http://127.0.0.1:1", "--chain-rpc", "http://127.0.0.1:1",
         "--profile", "legacy"],
        ["--target", "http://127.0.0.1:1", "--chain-rpc", "http://127.0.0.1:1",
         "--chain-funder-key", "0x1234"],
        ["--target", "http://127.0.0.1:1", "--chain-rpc", "http://127.0.0.1:1",
         "--chain-funder-key", "00" * 32],
        ["--target", "http://127.0.0.1:1", "--chain-funder-key", DEV_FUNDER_KEY.hex()],
    ],
    ids=["without target", "legacy only", "short funder key", "zero funder key",
         "funder key without chain"],
)
def test_chain_usage_errors(arguments: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["conformance", *arguments]) == 2
    assert "erc8128 conformance:" in capsys.readouterr().err
