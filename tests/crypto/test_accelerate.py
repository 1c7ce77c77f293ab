"""Accelerated backends (erc8128.crypto.accelerate): the same ERC-191 examples, properties and
strict rules as the pure path, selection by name and environment, and no import unless selected."""

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from erc8128.cli import main as cli_main
from erc8128.cli.bench import SIGNATURE_BASE
from erc8128.crypto import accelerate, personal_sign
from erc8128.crypto.accelerate import (
    ENVIRONMENT_VARIABLE,
    Backend,
    BackendUnavailable,
    backend_from_environment,
    load_backend,
    selected_backend,
    use_backend,
)
from erc8128.crypto.secp256k1 import N
from erc8128.errors import Erc8128Error, InvalidKey, InvalidSignature
from tests.crypto.test_personal_sign import STRICT_CASES
from tests.support.third_party import third_party_json

pytest.importorskip("coincurve", reason="coincurve (the 'fast' extra) is not installed")
pytest.importorskip("Crypto.Hash.keccak", reason="pycryptodome (the 'fast' extra) is not installed")

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = third_party_json("erc191/examples.json")
SIGNED = EXAMPLES["signed_examples"]
HASH_ONLY = EXAMPLES["message_hash_examples"]
ACCELERATED = ("coincurve", "pycryptodome")

scalars = st.integers(min_value=1, max_value=N - 1)
messages = st.binary(max_size=600)


def unhex(text: str) -> bytes:
    return bytes.fromhex(text.removeprefix("0x"))


@pytest.fixture(autouse=True)
def no_selection_leaks() -> Iterator[None]:
    use_backend(None)
    yield
    use_backend(None)


@pytest.mark.parametrize("name", ACCELERATED)
@pytest.mark.parametrize("example", SIGNED, ids=[example["id"] for example in SIGNED])
def test_signed_examples(name: str, example: dict[str, Any]) -> None:
    backend = load_backend(name)
    private_key = unhex(example["private_key"])
    message = unhex(example["message_hex"])
    signature = unhex(example["signature"])
    message_hash = backend.personal_message_hash(message)
    assert message_hash == unhex(example["message_hash"])
    assert backend.sign_message(private_key, message) == signature
    assert backend.sign_hash(private_key, message_hash) == signature
    assert backend.recover_address(message_hash, signature) == example["address"].lower()


@pytest.mark.parametrize("name", ACCELERATED)
def test_hash_only_examples(name: str) -> None:
    backend = load_backend(name)
    for example in HASH_ONLY:
        message = unhex(example["message_hex_bytes"])
        assert backend.personal_message_hash(message) == unhex(example["message_hash"])


@settings(max_examples=100, deadline=None)
@given(scalars, messages)
def test_coincurve_agrees_with_pure(d: int, message: bytes) -> None:
    pure = load_backend("pure")
    fast = load_backend("coincurve")
    private_key = d.to_bytes(32, "big")
    signature = fast.sign_message(private_key, message)
    assert signature == pure.sign_message(private_key, message)
    message_hash = fast.personal_message_hash(message)
    assert fast.recover_address(message_hash, signature) == pure.recover_address(
        message_hash, signature
    )
    assert fast.recover_public_key(message_hash, signature) == pure.recover_public_key(
        message_hash, signature
    )


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=700))
def test_pycryptodome_keccak_agrees_with_pure(data: bytes) -> None:
    assert load_backend("pycryptodome").keccak256(data) == load_backend("pure").keccak256(data)


def test_the_direct_native_paths_are_in_use() -> None:
    # Issue 19: Keccak through pycryptodome's C functions and recovery through libsecp256k1's,
    # each checked against the public API at load; the agreement tests around them run them.
    backend = load_backend("coincurve")
    assert backend.keccak256.__qualname__.startswith("_raw_keccak256")
    assert load_backend("pycryptodome").keccak256.__qualname__.startswith("_raw_keccak256")


@settings(max_examples=100, deadline=None)
@given(st.binary(min_size=32, max_size=32), st.binary(min_size=64, max_size=64),
       st.integers(0, 1))
def test_direct_recovery_agrees_with_coincurves_public_api(message_hash: bytes, rs: bytes,
                                                           recovery_id: int) -> None:
    coincurve = pytest.importorskip("coincurve")

    try:
        expected: bytes | None = coincurve.PublicKey.from_signature_and_message(
            rs + bytes((recovery_id,)), message_hash, hasher=None).format(compressed=False)[1:]
    except ValueError:
        expected = None
    signature = rs + bytes((27 + recovery_id,))
    try:
        got: bytes | None = load_backend("coincurve").recover_public_key(message_hash, signature)
    except InvalidSignature as error:
        if error.reason != "recovery_failed":  # our §3.4.3 rules refused it first (high s)
            return
        got = None
    assert got == expected


@settings(max_examples=150, deadline=None)
@given(st.binary(min_size=32, max_size=32), st.binary(min_size=65, max_size=65))
def test_coincurve_accepts_and_rejects_exactly_like_pure(
    message_hash: bytes, signature: bytes
) -> None:
    outcomes = []
    for name in ("pure", "coincurve"):
        try:
            outcomes.append(load_backend(name).recover_address(message_hash, signature))
        except InvalidSignature as error:
            outcomes.append(error.reason)
    assert outcomes[0] == outcomes[1]


def _strict_cases() -> list[Any]:
    return [pytest.param(*case[1:], id=case[0]) for case in STRICT_CASES]


@pytest.mark.parametrize(("message_hash", "signature", "reason"), _strict_cases())
def test_strict_rules_through_coincurve(message_hash: Any, signature: Any, reason: str) -> None:
    with pytest.raises(InvalidSignature) as raised:
        load_backend("coincurve").recover_address(message_hash, signature)
    assert raised.value.reason == reason


@pytest.mark.parametrize(
    ("private_key", "message_hash", "error", "reason"),
    [
        (b"\x00" * 32, bytes(32), InvalidKey, "private_key_range"),
        (N.to_bytes(32, "big"), bytes(32), InvalidKey, "private_key_range"),
        (b"\x01" * 31, bytes(32), InvalidKey, "private_key_length"),
        ("01" * 32, bytes(32), InvalidKey, "private_key_type"),
        (b"\x01" * 32, bytes(31), InvalidSignature, "hash_length"),
        (b"\x01" * 32, "00" * 32, InvalidSignature, "hash_type"),
    ],
    ids=["zero", "n", "short-key", "str-key", "short-hash", "str-hash"],
)
def test_coincurve_signing_rejections(
    private_key: Any, message_hash: Any, error: type[Erc8128Error], reason: str
) -> None:
    with pytest.raises(error) as raised:
        load_backend("coincurve").sign_hash(private_key, message_hash)
    assert raised.value.reason == reason


def test_pycryptodome_keccak_rejects_non_bytes() -> None:
    with pytest.raises(Erc8128Error) as raised:
        load_backend("pycryptodome").keccak256("text")  # type: ignore[arg-type]
    assert raised.value.reason == "input_type"


# --- selection ---------------------------------------------------------------------------------


def test_default_is_pure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENVIRONMENT_VARIABLE, raising=False)
    assert selected_backend().name == "pure"
    assert selected_backend().sign_hash is personal_sign.sign_hash


def test_environment_selects(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENVIRONMENT_VARIABLE, "coincurve")
    assert selected_backend().name == "coincurve"
    assert backend_from_environment({ENVIRONMENT_VARIABLE: "pycryptodome"}).name == "pycryptodome"
    assert backend_from_environment({}).name == "pure"
    assert backend_from_environment({ENVIRONMENT_VARIABLE: ""}).name == "pure"


def test_use_backend_overrides_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENVIRONMENT_VARIABLE, "pure")
    backend = use_backend("coincurve")
    assert isinstance(backend, Backend)
    assert selected_backend() is backend
    example = SIGNED[0]
    message = unhex(example["message_hex"])
    signature = accelerate.sign_message(unhex(example["private_key"]), message)
    assert signature == unhex(example["signature"])
    message_hash = accelerate.personal_message_hash(message)
    assert accelerate.keccak256(b"") == unhex(
        "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    )
    assert accelerate.sign_hash(unhex(example["private_key"]), message_hash) == signature
    assert accelerate.recover_address(message_hash, signature) == example["address"].lower()
    assert len(accelerate.recover_public_key(message_hash, signature)) == 64
    use_backend(None)
    assert selected_backend().name == "pure"


@pytest.mark.parametrize("name", ["fast", "Coincurve", "", "libsecp256k1"])
def test_unknown_backend(name: str) -> None:
    with pytest.raises(BackendUnavailable) as raised:
        load_backend(name)
    assert raised.value.reason == "backend_unknown"


def test_unknown_backend_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENVIRONMENT_VARIABLE, "turbo")
    with pytest.raises(BackendUnavailable) as raised:
        accelerate.recover_address(bytes(32), bytes(65))
    assert raised.value.reason == "backend_unknown"


def _run(code: str, **environment: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin", **environment},
        timeout=60,
    )
    return result.stdout.strip()


def test_accelerators_are_not_imported_unless_selected() -> None:
    code = (
        "import sys, erc8128, erc8128.crypto.accelerate as a, erc8128.crypto.personal_sign, "
        "erc8128.crypto.addresses;"
        "a.recover_address(a.personal_message_hash(b'x'), a.sign_message(b'\\x01' * 32, b'x'));"
        "print(sorted(m for m in ('coincurve', 'Crypto', 'ecdsa', 'eth_account', 'eth_keys')"
        " if m in sys.modules))"
    )
    assert _run(code) == "[]"


def test_selecting_coincurve_imports_it() -> None:
    code = (
        "import sys, erc8128.crypto.accelerate as a;"
        "a.sign_message(b'\\x01' * 32, b'x');"
        "print('coincurve' in sys.modules, 'Crypto' in sys.modules, a.selected_backend().name)"
    )
    assert _run(code, ERC8128_BACKEND="coincurve") == "True True coincurve"


def test_missing_library_is_a_typed_error() -> None:
    # Simulate an installation without coincurve: an import hook that refuses it.
    code = (
        "import sys\n"
        "class Refuse:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('coincurve', 'Crypto'):\n"
        "            raise ImportError('refused for the test')\n"
        "sys.meta_path.insert(0, Refuse())\n"
        "import erc8128.crypto.accelerate as a\n"
        "for name in ('coincurve', 'pycryptodome'):\n"
        "    try:\n"
        "        a.load_backend(name)\n"
        "    except a.BackendUnavailable as error:\n"
        "        print(error.reason)\n"
    )
    assert _run(code).split() == ["backend_not_installed", "backend_not_installed"]


# --- erc8128 bench -------------------------------------------------------------------------------

TIMING = r"\d+\.\d{3} ms"
BENCH_LINES = [
    r"erc8128 bench: median per call, Python \S+ \(\w+\), quick run",
    rf"keccak256 135 B \(1 block\): pure {TIMING}, accelerated {TIMING}, pycryptodome {TIMING} "
    r"→ pure is \d+\.\d× (faster|slower) than pycryptodome",
    rf"keccak256 136 B: pure {TIMING}, accelerated {TIMING}, pycryptodome {TIMING} "
    r"→ pure is \d+\.\d× (faster|slower) than pycryptodome",
    rf"keccak256 450 B: pure {TIMING}, accelerated {TIMING}, pycryptodome {TIMING} "
    r"→ pure is \d+\.\d× (faster|slower) than pycryptodome",
    rf"sign_hash: pure {TIMING}, accelerated {TIMING}, ecdsa {TIMING} → pure is \d+\.\d× "
    r"(faster|slower) than ecdsa",
    rf"sign_message 450 B: pure {TIMING}, accelerated {TIMING}",
    rf"recover_address: pure {TIMING}, accelerated {TIMING}, ecdsa {TIMING} → pure is \d+\.\d× "
    r"(faster|slower) than ecdsa",
    rf"recover_public_key: pure {TIMING}, ecdsa {TIMING} → pure is \d+\.\d× (faster|slower) "
    r"than ecdsa",
    rf"verify_request POST\+JSON draft: pure {TIMING}, pure\+cache {TIMING}, "
    rf"accelerated {TIMING}, accelerated\+cache {TIMING}",
    rf"target recover_address pure <= 0\.6 ms: {TIMING}, (met|MISSED)",
    r"target recover_address pure >= 5× faster than ecdsa: \d+\.\d×, (met|MISSED)",
    r"target keccak256 pure <= 100 µs per block: \d+ µs, (met|MISSED)",
    rf"target sign_hash pure <= 0\.4 ms: {TIMING}, (met|MISSED)",
]


def _assert_bench_output(output: str) -> None:
    lines = output.strip().splitlines()
    assert len(lines) == len(BENCH_LINES), output
    for line, pattern in zip(lines, BENCH_LINES, strict=True):
        assert re.fullmatch(pattern, line), (line, pattern)


def test_bench_quick_through_the_cli(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["bench", "--quick"]) == 0
    _assert_bench_output(capsys.readouterr().out)


def test_bench_quick_script() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks/bench_crypto.py"), "--quick"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    _assert_bench_output(result.stdout)


def test_signature_base_is_450_bytes() -> None:
    assert len(SIGNATURE_BASE) == 450
    assert SIGNATURE_BASE.isascii()
