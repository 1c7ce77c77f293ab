"""The committed contract artifacts and the chain test support, checked without trusting them:

- every artifact records the SHA-256 of the sources it was built from, and they are today's
  sources (no node needed);
- with the pinned solc installed (``npm ci --prefix contracts``), ``node contracts/build.mjs
  --check`` recompiles and the output is byte-identical to the committed artifacts and to
  ``reference/erc8128/chain/erc6492_validator.py``;
- the npm pins are exact;
- the EIP-7702 authorization signatures the chain tests use (the conformance suite's) agree with
  eth-account (an independent implementation); the RLP under them is checked against pyrlp in
  tests/conformance/test_chain_live.py.
"""

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from eth_account import Account as EthAccount
from hypothesis import given, settings
from hypothesis import strategies as st

from erc8128_conformance.transactions import authorization_hash, sign_authorization

ROOT = Path(__file__).resolve().parents[2]
CONTRACTS = ROOT / "contracts"
ARTIFACT_NAMES = [
    "OwnedWallet",
    "WalletFactory",
    "PreparableWallet",
    "Erc7702Delegate",
    "Erc6492Validator",
]


@pytest.mark.parametrize("name", ARTIFACT_NAMES)
def test_artifact_was_built_from_the_committed_sources(name: str) -> None:
    built = json.loads((CONTRACTS / f"artifacts/{name}.json").read_text())
    sources = sorted(path.name for path in (CONTRACTS / "src").glob("*.sol"))
    assert sorted(built["sourceSha256"]) == sources
    for source in sources:
        digest = hashlib.sha256((CONTRACTS / "src" / source).read_bytes()).hexdigest()
        assert built["sourceSha256"][source] == digest, source
    assert built["compiler"].startswith("solc 0.8.37+")
    assert built["bytecode"].startswith("0x")
    assert len(built["bytecode"]) > 2


def test_recompiling_reproduces_the_artifacts() -> None:
    node = shutil.which("node")
    if node is None or not (CONTRACTS / "node_modules/solc/package.json").is_file():
        pytest.skip("the pinned solc is not installed: npm ci --prefix contracts")
    completed = subprocess.run(
        [node, "build.mjs", "--check"],
        cwd=CONTRACTS,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr


@pytest.mark.parametrize(
    ("folder", "package", "version"),
    [("contracts", "solc", "0.8.37"), ("tools/anvil", "@foundry-rs/anvil", "1.7.1")],
)
def test_npm_pins_are_exact(folder: str, package: str, version: str) -> None:
    manifest = json.loads((ROOT / folder / "package.json").read_text())
    lock = json.loads((ROOT / folder / "package-lock.json").read_text())
    assert manifest["dependencies"] == {package: version}
    assert lock["packages"][f"node_modules/{package}"]["version"] == version
    assert lock["packages"][f"node_modules/{package}"]["integrity"].startswith("sha512-")


@settings(max_examples=25, deadline=None)
@given(
    private_key=st.integers(min_value=1, max_value=2**255).map(lambda k: k.to_bytes(32, "big")),
    chain_id=st.integers(min_value=0, max_value=2**64),
    address=st.binary(min_size=20, max_size=20).map(lambda b: "0x" + b.hex()),
    nonce=st.integers(min_value=0, max_value=2**64 - 2),
)
def test_eip7702_authorization_matches_eth_account(
    private_key: bytes, chain_id: int, address: str, nonce: int
) -> None:
    theirs = EthAccount.sign_authorization(
        {"chainId": chain_id, "address": address, "nonce": nonce}, private_key
    )
    ours = sign_authorization(private_key, chain_id, address, nonce)
    assert authorization_hash(chain_id, address, nonce) == bytes(theirs.authorization_hash)
    assert (ours.y_parity, ours.r, ours.s) == (theirs.y_parity, theirs.r, theirs.s)
