"""The conformance suite: its adapter client against misbehaving adapters, the verdict rules
(expected failures both ways, unsupported never passed, acceptable only under --strict), live
mode against a stdlib server and ``erc8128 serve``, the two CI gates (our adapter with zero
failures, the slicekit adapter with exactly its listed deviations), and the slice team's own
conformance vectors through our verifier."""

import json
import re
import shutil
import subprocess
import sys
import textwrap
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from Crypto.Hash import keccak as pycryptodome_keccak
from eth_account import Account as EthAccount
from eth_account.messages import encode_defunct

from erc8128.crypto.personal_sign import personal_message_hash
from erc8128.errors import VerificationError
from erc8128.http.components import STRUCTURED_FIELD_TYPES
from erc8128.http.message import Request
from erc8128.http.signature_base import signature_base_for_label
from erc8128.protocol.policy import VerifierPolicy
from erc8128.protocol.verify import verify_request
from erc8128.state.nonces.memory import MemoryReplayStore
from erc8128_conformance.adapter_client import AdapterClient, AdapterFailure
from erc8128_conformance.expected_failures import (
    ExpectedFailuresError,
    load_expected_failures,
)
from erc8128_conformance.judge import json_equal
from erc8128_conformance.live import LIVE_ADDRESS, LIVE_PRIVATE_KEY, checks_for
from tests.support.local_http import serving
from tests.support.service_process import listening_url

ROOT = Path(__file__).resolve().parents[2]
SLICEKIT_DIR = ROOT / "conformance" / "adapters" / "slicekit"
SLICEKIT_EXPECTED = ROOT / "conformance" / "adapters" / "slicekit-expected-failures.json"
SLICE_VECTORS = ROOT / "vectors" / "third_party" / "slice-erc8128" / "conformance-vectors.json"
OUR_ADAPTER = f"{sys.executable} -m erc8128 adapter"


def keccak(data: bytes) -> str:
    return pycryptodome_keccak.new(digest_bits=256, data=data).hexdigest()


def conformance(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "erc8128", "conformance", *args],
        capture_output=True, text=True, timeout=timeout, cwd=ROOT, check=False,
    )


def table_row(output: str, row: str) -> dict[str, int]:
    """One row of the per-operation table as {column: count}."""
    columns = ["cases", "passed", "failed", "errored", "xfail", "xpass", "not supported",
               "skipped"]
    for line in output.splitlines():
        if re.match(rf"{re.escape(row)} +\d", line):
            numbers = [int(n) for n in line[len(row):].split()]
            return dict(zip(columns, numbers, strict=True))
    raise AssertionError(f"no row {row!r} in:\n{output}")


# ---------------------------------------------------------------------------------------------
# A misbehaving adapter and a tiny vectors folder for it
# ---------------------------------------------------------------------------------------------

# Keyed by data_hex: 00 crash, 01 garbage line, 02 wrong seq, 03 hang, 04 wrong digest,
# 05 unsupported, 06 both ok and error, 08 two responses, 09 an ok that breaks the schema;
# anything else is answered by our implementation.
FAKE_ADAPTER = textwrap.dedent('''
    import json, sys, time
    from erc8128.cli.adapter import AdapterState, answer
    state = AdapterState()
    for line in sys.stdin:
        request = json.loads(line)
        seq, data = request["seq"], request.get("data_hex")
        if request["op"] == "hello":
            response = answer(request, state)
            if "{MISSING_OP}":
                response["ok"]["operations"].remove("{MISSING_OP}")
        elif data == "00":
            print("boom: crashing on purpose", file=sys.stderr, flush=True)
            sys.exit(3)
        elif data == "01":
            print("fake adapter: about to write garbage", file=sys.stderr, flush=True)
            sys.stdout.write("this is not json\\n"); sys.stdout.flush(); continue
        elif data == "02":
            response = {"seq": seq + 100, "ok": {"digest_hex": ""}}
        elif data == "03":
            print("fake adapter: hanging", file=sys.stderr, flush=True)
            time.sleep(60)
        elif data == "04":
            response = {"seq": seq, "ok": {"digest_hex": "00" * 32}}
        elif data == "05":
            response = {"seq": seq, "unsupported": True, "detail": "not today"}
        elif data == "06":
            response = {"seq": seq, "ok": {}, "error": {"reason": "x", "message": "y"}}
        elif data == "09":
            response = {"seq": seq, "ok": {"digest_hex": 123}}
        elif data == "08":
            sys.stdout.write(json.dumps({"seq": seq, "ok": {"digest_hex": ""}}) + "\\n")
            response = {"seq": seq, "ok": {"digest_hex": ""}}
        else:
            response = answer(request, state)
        sys.stdout.write(json.dumps(response) + "\\n"); sys.stdout.flush()
''')


def fake_adapter(tmp_path: Path, missing_op: str = "") -> str:
    script = tmp_path / "fake_adapter.py"
    script.write_text(FAKE_ADAPTER.replace("{MISSING_OP}", missing_op), encoding="utf-8")
    return f"{sys.executable} {script}"


def keccak_vectors(tmp_path: Path, inputs: list[tuple[str, str]]) -> Path:
    """A vectors folder with one keccak256.json: (data_hex, result) per test, digests from
    pycryptodome."""
    folder = tmp_path / "vectors"
    folder.mkdir()
    tests = [
        {"tcId": index + 1, "comment": f"data {data_hex!r}", "flags": [], "result": result,
         "data_hex": data_hex, "digest_hex": keccak(bytes.fromhex(data_hex))}
        for index, (data_hex, result) in enumerate(inputs)
    ]
    document = {"algorithm": "KECCAK-256", "numberOfTests": len(tests),
                "testGroups": [{"type": "Keccak256Test", "tests": tests}]}
    (folder / "keccak256.json").write_text(json.dumps(document), encoding="utf-8")
    return folder


# ---------------------------------------------------------------------------------------------
# The adapter client
# ---------------------------------------------------------------------------------------------


def test_client_reports_each_misbehaviour_and_recovers(tmp_path: Path) -> None:
    client = AdapterClient(fake_adapter(tmp_path), timeout=2)
    try:
        assert client.call("keccak256", {"data_hex": "61"}).body["digest_hex"] == keccak(b"a")
        expected = {"00": "crash", "01": "garbage", "02": "seq", "03": "timeout", "06": "shape",
                    "09": "shape"}
        for data_hex, kind in expected.items():
            with pytest.raises(AdapterFailure) as failure:
                client.call("keccak256", {"data_hex": data_hex})
            assert failure.value.kind == kind
            # After every failure the next call gets a fresh, working adapter.
            ok = client.call("keccak256", {"data_hex": "62"})
            assert ok.body["digest_hex"] == keccak(b"b")
        assert client.restarts == len(expected)
        # Two answers to one request: the extra line is caught at the next request, as an
        # unsolicited line if it has arrived by then, else as a response with the wrong seq.
        client.call("keccak256", {"data_hex": "08"})
        with pytest.raises(AdapterFailure) as unsolicited:
            client.call("keccak256", {"data_hex": "61"})
        assert unsolicited.value.kind in ("garbage", "seq")
        assert client.call("keccak256", {"data_hex": "61"}).body["digest_hex"] == keccak(b"a")
    finally:
        client.close()


def test_client_keeps_the_adapter_stderr(tmp_path: Path) -> None:
    with AdapterClient(fake_adapter(tmp_path), timeout=2) as client:
        with pytest.raises(AdapterFailure) as crash:
            client.call("keccak256", {"data_hex": "00"})
        assert "boom: crashing on purpose" in crash.value.stderr
        assert "exited with status 3" in crash.value.message
        with pytest.raises(AdapterFailure) as hang:
            client.call("keccak256", {"data_hex": "03"})
        assert "fake adapter: hanging" in hang.value.stderr


def test_client_reports_an_adapter_that_cannot_start(tmp_path: Path) -> None:
    client = AdapterClient([str(tmp_path / "no-such-adapter")], timeout=2)
    with pytest.raises(AdapterFailure) as failure:
        client.call("hello", {"protocol": 1})
    assert failure.value.kind == "start"


# ---------------------------------------------------------------------------------------------
# A whole run through the command line
# ---------------------------------------------------------------------------------------------


def test_misbehaving_adapter_run_reports_errored_cases_and_moves_on(tmp_path: Path) -> None:
    inputs = ["", "00", "01", "02", "03", "04", "05", "06", "07"]
    vectors = keccak_vectors(tmp_path, [(data, "valid") for data in inputs])
    junit = tmp_path / "junit.xml"
    report = tmp_path / "report.json"
    run = conformance("--adapter", fake_adapter(tmp_path), "--vectors", str(vectors),
                      "--timeout", "2", "--junit-xml", str(junit), "--report-json", str(report))
    assert run.returncode == 1, run.stdout + run.stderr
    row = table_row(run.stdout, "keccak256")
    assert row == {"cases": 9, "passed": 2, "failed": 1, "errored": 5, "xfail": 0,
                   "xpass": 0, "not supported": 1, "skipped": 0}
    assert ("result: FAIL (1 failed (1 unclassified); 5 errored; 0 expected failures now "
            "passing)") in run.stdout
    # Each errored case carries the adapter's stderr; the failure shows input/expected/got.
    assert "boom: crashing on purpose" in run.stdout
    assert "adapter timeout" in run.stdout
    assert re.search(r"input: +\{\"op\": \"keccak256\", \"data_hex\": \"04\"\}", run.stdout)
    assert f'"digest_hex": "{keccak(bytes.fromhex("04"))}"' in run.stdout
    # JUnit XML and the JSON report say the same.
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("9", "6", "1")
    outcomes = {o["id"]: o["outcome"] for o in json.loads(report.read_text())["outcomes"]}
    assert outcomes["keccak256/6"] == "failed"
    assert outcomes["keccak256/7"] == "not_supported"
    assert outcomes["keccak256/4"] == "errored"


# An adapter without the rfc6979 capability: every signature gets a random k (ecdsa), low s.
RANDOM_K_ADAPTER = textwrap.dedent('''
    import base64, json, sys
    import ecdsa
    from ecdsa.util import sigdecode_string
    from erc8128.cli.adapter import AdapterState, answer
    from erc8128.crypto.personal_sign import recover_address
    from erc8128.crypto.addresses import address_of
    N = ecdsa.SECP256k1.order
    WRONG_KEY = "{WRONG_KEY}"

    def random_k(key_hex, hash_hex):
        key = bytes.fromhex(WRONG_KEY or key_hex)
        signing = ecdsa.SigningKey.from_string(key, curve=ecdsa.SECP256k1)
        r, s = sigdecode_string(signing.sign_digest(bytes.fromhex(hash_hex)), N)
        s = min(s, N - s)
        for v in (27, 28):
            signature = r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes([v])
            try:
                if recover_address(bytes.fromhex(hash_hex), signature) == address_of(key):
                    return signature
            except ValueError:
                pass
        raise SystemExit("no recovery id")

    state = AdapterState()
    for line in sys.stdin:
        request = json.loads(line)
        response = answer(request, state)
        ok = response.get("ok")
        if request["op"] == "hello":
            ok["capabilities"] = []
        elif request["op"] == "sign_message" and ok:
            hashed = answer({**request, "op": "personal_message_hash", "seq": 0}, state)
            ok["signature_hex"] = random_k(request["private_key_hex"],
                                           hashed["ok"]["hash_hex"]).hex()
        elif request["op"] == "sign_request" and ok:
            signature = random_k(request["private_key_hex"], ok["message_hash_hex"])
            value = request.get("label") or "eth"
            value += "=:" + base64.b64encode(signature).decode() + ":"
            ok["headers"][-1] = ["Signature", value]
        sys.stdout.write(json.dumps(response) + "\\n"); sys.stdout.flush()
''')


@pytest.mark.parametrize(("wrong_key", "status"), [("", 0), ("11" * 32, 1)])
def test_signers_without_rfc6979_are_checked_by_recovery(
    tmp_path: Path, wrong_key: str, status: int
) -> None:
    script = tmp_path / "random_k_adapter.py"
    script.write_text(RANDOM_K_ADAPTER.replace("{WRONG_KEY}", wrong_key), encoding="utf-8")
    run = conformance("--adapter", f"{sys.executable} {script}", "--profile", "legacy",
                      "--ops", "sign_message,sign_request")
    assert run.returncode == status, run.stdout[-3000:]
    for row in ("sign_message", "sign_request"):
        counts = table_row(run.stdout, row)
        if wrong_key:
            # Every valid case fails: the signature does not recover to the signer.
            assert counts["failed"] > 0
        else:
            assert counts["passed"] == counts["cases"]
    if wrong_key:
        assert "does not recover to" in run.stdout


def test_operation_missing_from_hello_is_skipped_not_passed(tmp_path: Path) -> None:
    vectors = keccak_vectors(tmp_path, [("61", "valid")])
    run = conformance("--adapter", fake_adapter(tmp_path, missing_op="keccak256"),
                      "--vectors", str(vectors))
    assert run.returncode == 0, run.stdout
    assert table_row(run.stdout, "keccak256")["skipped"] == 1
    assert table_row(run.stdout, "keccak256")["passed"] == 0


def test_acceptable_cases_fail_only_under_strict(tmp_path: Path) -> None:
    # The fake answers a wrong digest for 04: as an acceptable case that is conformant.
    vectors = keccak_vectors(tmp_path, [("04", "acceptable"), ("61", "valid")])
    relaxed = conformance("--adapter", fake_adapter(tmp_path), "--vectors", str(vectors))
    assert relaxed.returncode == 0, relaxed.stdout
    strict = conformance("--adapter", fake_adapter(tmp_path), "--vectors", str(vectors),
                         "--strict")
    assert strict.returncode == 1
    assert table_row(strict.stdout, "keccak256")["failed"] == 1


def _expected(tmp_path: Path, entries: list[dict[str, Any]]) -> Path:
    path = tmp_path / "expected.json"
    path.write_text(json.dumps(entries), encoding="utf-8")
    return path


def test_expected_failures_must_match_reality_both_ways(tmp_path: Path) -> None:
    vectors = keccak_vectors(tmp_path, [("04", "valid"), ("61", "valid")])
    adapter = fake_adapter(tmp_path)
    entry = {"reason": "answers 32 zero bytes",
             "spec_sentence": "Keccak-256 (FIPS 202 with 0x01 pad)"}
    # Unlisted failure: the run fails.
    assert conformance("--adapter", adapter, "--vectors", str(vectors)).returncode == 1
    # Listed failure: the run passes, the case counts as xfail.
    listed = _expected(tmp_path, [{"id": "keccak256/1", **entry}])
    run = conformance("--adapter", adapter, "--vectors", str(vectors),
                      "--expected-failures", str(listed))
    assert run.returncode == 0, run.stdout
    assert table_row(run.stdout, "keccak256")["xfail"] == 1
    # Listed but passing: the run fails and says to remove it.
    stale = _expected(tmp_path, [{"id": "keccak256/2", **entry}, {"id": "keccak256/1", **entry}])
    run = conformance("--adapter", adapter, "--vectors", str(vectors),
                      "--expected-failures", str(stale))
    assert run.returncode == 1
    assert "now passes" in run.stdout
    assert table_row(run.stdout, "keccak256")["xpass"] == 1
    # An id that is no case at all is an error of the list.
    unknown = _expected(tmp_path, [{"id": "keccak256/1", **entry}, {"id": "nope/9", **entry}])
    run = conformance("--adapter", adapter, "--vectors", str(vectors),
                      "--expected-failures", str(unknown))
    assert run.returncode == 1
    assert "'nope/9', which is no case" in run.stdout


@pytest.mark.parametrize("entries", [
    {"id": "a/1"},
    [{"id": "a/1", "reason": "x"}],
    [{"id": "a/1", "reason": "x", "spec_sentence": ""}],
    [{"id": "a/1", "reason": "x", "spec_sentence": "y", "extra": 1}],
    [{"id": "a/1", "reason": "x", "spec_sentence": "y"}] * 2,
    # Placeholders instead of an explanation (SPEC.md D48), and an id that is no case id.
    [{"id": "a/1", "reason": "see report", "spec_sentence": "ERC-8128 §3.1: \"... MUST ...\""}],
    [{"id": "a/1", "reason": "TODO: explain", "spec_sentence": "ERC-8128 §3.1: \"MUST x\""}],
    [{"id": "a/1", "reason": "accepts a high-s signature", "spec_sentence": "..."}],
    [{"id": "a/1", "reason": "accepts a high-s signature", "spec_sentence": "see the report"}],
    [{"id": "a/1", "reason": "fails", "spec_sentence": "ERC-8128 §3.1: \"MUST x\""}],
    [{"id": "all", "reason": "accepts a high-s signature", "spec_sentence": "RFC 9421 §3.1 x y"}],
])
def test_malformed_expected_failures_are_rejected(tmp_path: Path, entries: Any) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(entries), encoding="utf-8")
    with pytest.raises(ExpectedFailuresError):
        load_expected_failures(path)


def test_placeholder_reason_is_refused_with_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "placeholders.json"
    path.write_text(json.dumps([{"id": "verify_request/17", "reason": "see report",
                                 "spec_sentence": "ERC-8128 §3.1: \"MUST be low-s\""}]))
    with pytest.raises(ExpectedFailuresError) as error:
        load_expected_failures(path)
    assert "(verify_request/17): reason 'see report' is a placeholder" in str(error.value)


def test_malformed_expected_failures_file_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('[{"id": "keccak256/1"}]', encoding="utf-8")
    vectors = keccak_vectors(tmp_path, [("61", "valid")])
    run = conformance("--adapter", OUR_ADAPTER, "--vectors", str(vectors),
                      "--expected-failures", str(path))
    assert run.returncode == 2
    assert "expected a non-empty string 'reason'" in run.stderr


def test_ops_filter_and_profile_selection(tmp_path: Path) -> None:
    run = conformance("--adapter", OUR_ADAPTER, "--ops", "parse_keyid", "--profile", "legacy")
    assert run.returncode == 0, run.stdout
    row = table_row(run.stdout, "parse_keyid")
    keyid = json.loads((ROOT / "vectors" / "keyid.json").read_text())
    legacy = sum(len(g["tests"]) for g in keyid["testGroups"] if g.get("profile") == "legacy")
    assert row["cases"] == row["passed"] == legacy
    assert "verify_request" not in run.stdout.split("ERC-8128 conformance")[-1]


def test_unknown_operation_is_a_usage_error() -> None:
    run = conformance("--adapter", OUR_ADAPTER, "--ops", "keccak256,teleport")
    assert run.returncode == 2
    assert "unknown operation(s) ['teleport']" in run.stderr


def test_json_equal_keeps_json_types_apart() -> None:
    assert json_equal([1, "a", {"b": 1.5}], [1, "a", {"b": 1.5}])
    assert not json_equal(True, 1)
    assert not json_equal(1, 1.0)
    assert not json_equal([0], [False])
    assert not json_equal({"a": 1}, {"a": 1, "b": 2})


# ---------------------------------------------------------------------------------------------
# The CI gates
# ---------------------------------------------------------------------------------------------


def test_gate_our_adapter_passes_every_vector_in_both_profiles(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    # --strict: the reference also reproduces its own outcome on every acceptable case.
    run = conformance("--adapter", OUR_ADAPTER, "--profile", "both", "--strict",
                      "--report-json", str(report))
    assert run.returncode == 0, run.stdout[-5000:]
    total = table_row(run.stdout, "total")
    assert total["failed"] == total["errored"] == total["xpass"] == 0
    assert total["not supported"] == total["skipped"] == 0
    assert total["passed"] == total["cases"]
    outcomes = json.loads(report.read_text())["outcomes"]
    rows = {o["operation"] for o in outcomes}
    assert {"keccak256", "sign_request", "verify_request", "replay", "sf_parse"} <= rows


def _need_slicekit() -> None:
    if shutil.which("node") is None:
        pytest.fail("node is not installed: the slicekit gate needs Node >= 20")
    if not (SLICEKIT_DIR / "node_modules" / "@slicekit" / "erc8128").is_dir():
        pytest.fail("run `npm ci --prefix conformance/adapters/slicekit` (scripts/test does this)")


def test_gate_slicekit_fails_exactly_its_listed_deviations() -> None:
    _need_slicekit()
    run = conformance("--adapter", "node conformance/adapters/slicekit/adapter.mjs",
                      "--profile", "legacy", "--expected-failures", str(SLICEKIT_EXPECTED))
    assert run.returncode == 0, run.stdout[-8000:]
    listed = json.loads(SLICEKIT_EXPECTED.read_text(encoding="utf-8"))
    total = table_row(run.stdout, "total")
    assert total["xfail"] == len(listed)
    assert total["failed"] == total["errored"] == total["xpass"] == 0
    # The SDK has no Structured Fields API: those cases are skipped, never passed.
    assert table_row(run.stdout, "sf_parse")["passed"] == 0


def test_slicekit_expected_failures_are_explained_and_linked() -> None:
    entries = load_expected_failures(SLICEKIT_EXPECTED)
    schema = json.loads(
        (ROOT / "conformance" / "schema" / "expected-failures.schema.json").read_text()
    )
    jsonschema.validate(json.loads(SLICEKIT_EXPECTED.read_text()), schema)
    deviations = {d["id"] for d in json.loads((SLICEKIT_DIR / "deviations.json").read_text())}
    for entry in entries.values():
        assert re.search(r"(ERC-8128|RFC \d+|SPEC\.md|EIP-\d+)", entry.spec_sentence), entry
        assert entry.deviation is None or entry.deviation in deviations, entry


# ---------------------------------------------------------------------------------------------
# Live mode
# ---------------------------------------------------------------------------------------------


class _VerifierHandler(BaseHTTPRequestHandler):
    """Test scaffolding: GET /api/whoami behind our verify_request, ERC-8128 §6 answers."""

    store = MemoryReplayStore()
    always_ok = False

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, document: dict[str, Any], headers: list[tuple[str, str]],
              content_type: str) -> None:
        body = json.dumps(document).encode()
        self.send_response(status)
        for name, value in [*headers, ("Content-Type", content_type),
                            ("Content-Length", str(len(body)))]:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.always_ok:
            self._send(200, {"ok": True}, [], "application/json")
            return
        address: Any = self.server.server_address
        base = f"http://{address[0]}:{address[1]}"
        # The request target as received: http.server collapses a leading "//" in self.path.
        target = self.requestline.split(" ")[1]
        request = Request("GET", base + target, tuple(self.headers.items()), None)
        policy = VerifierPolicy(profiles=("draft", "legacy"))
        try:
            verified = verify_request(request, now=int(time.time()), nonces=self.store,
                                      policy=policy)
        except VerificationError as error:
            problem = {"type": "about:blank", "status": error.status, "reason": error.reason}
            challenge = [("WWW-Authenticate", f'ERC8128 error="{error.reason}"')]
            self._send(error.status, problem, challenge, "application/problem+json")
            return
        self._send(200, {"address": verified.address}, [], "application/json")


def _serve(always_ok: bool) -> Iterator[str]:
    handler = type("Handler", (_VerifierHandler,), {"always_ok": always_ok,
                                                    "store": MemoryReplayStore()})
    with serving(handler) as url:
        yield url


@pytest.fixture
def verifier_url() -> Iterator[str]:
    yield from _serve(always_ok=False)


@pytest.fixture
def lax_url() -> Iterator[str]:
    yield from _serve(always_ok=True)


LIVE_CASES = len(checks_for("draft")) + len(checks_for("legacy"))


def test_live_mode_passes_against_a_verifying_server(verifier_url: str) -> None:
    # GET only and no discovery document: the POST checks and the route-maximum check cannot
    # be judged (not supported, never passed); everything else passes.
    run = conformance("--target", verifier_url, "--profile", "both")
    assert run.returncode == 0, run.stdout
    row = table_row(run.stdout, "live")
    assert row["cases"] == LIVE_CASES
    assert row["failed"] == row["errored"] == row["xpass"] == 0
    assert row["passed"] + row["not supported"] == LIVE_CASES
    assert row["passed"] > 0.8 * LIVE_CASES


def test_live_mode_catches_a_server_that_accepts_everything(lax_url: str) -> None:
    run = conformance("--target", lax_url, "--profile", "draft")
    assert run.returncode == 1
    row = table_row(run.stdout, "live")
    # tests/conformance/test_live.py names which checks: every refusal fails.
    assert row["failed"] > row["passed"] > 0
    assert "status: expected 401, got 200" in run.stdout


def test_live_mode_reports_an_unreachable_server() -> None:
    run = conformance("--target", "http://127.0.0.1:9", "--profile", "draft", "--timeout", "2")
    assert run.returncode == 1
    row = table_row(run.stdout, "live")
    # Checks that need the discovery document or --post-path are not supported; the rest error.
    assert row["passed"] == row["failed"] == 0
    assert row["errored"] + row["not supported"] == len(checks_for("draft"))
    assert row["errored"] > row["not supported"]


def test_live_mode_against_erc8128_serve() -> None:
    # The suite signs at once after the start: the restart watermark (SPEC.md D61) refuses
    # nothing on a first start.
    with listening_url(
        [sys.executable, "-m", "erc8128", "serve", "--port", "0", "--profile", "both",
         "--quiet"],
        cwd=ROOT,
    ) as url:
        run = conformance("--target", url, "--profile", "both")
        assert run.returncode == 0, run.stdout
        row = table_row(run.stdout, "live")
        assert row["failed"] == row["errored"] == 0
        assert row["passed"] + row["not supported"] == LIVE_CASES


def test_live_key_is_the_documented_one() -> None:
    assert EthAccount.from_key(LIVE_PRIVATE_KEY).address.lower() == LIVE_ADDRESS


# ---------------------------------------------------------------------------------------------
# The slice team's own vectors (vendored), through our verifier
# ---------------------------------------------------------------------------------------------


def _slice_vectors() -> list[dict[str, Any]]:
    vectors: list[dict[str, Any]] = json.loads(SLICE_VECTORS.read_text("utf-8"))["vectors"]
    return vectors


def _slice_request(vector: dict[str, Any]) -> Request:
    raw = vector["request"]
    body = raw.get("body")
    return Request(raw["method"], raw["url"], tuple(raw["headers"].items()),
                   None if body is None else body.encode())


def _created(vector: dict[str, Any]) -> int:
    signature_input = vector["request"]["headers"]["signature-input"]
    label = vector["requestSignature"]["label"]
    member = signature_input.split(f"{label}=", 1)[1]
    match = re.search(r"created=(\d+)", member)
    assert match is not None
    return int(match.group(1))


def test_slice_vectors_signature_bases_and_signatures_reproduce() -> None:
    # As RFC 9421 + ERC-191 data they hold: our base, H, and eth-account's recovery agree.
    types = {**STRUCTURED_FIELD_TYPES, "erc-8128-delegation": "dictionary"}
    for vector in _slice_vectors():
        request = _slice_request(vector)
        signature = vector["requestSignature"]
        base = signature_base_for_label(request, signature["label"], structured_fields=types)
        assert base == signature["signatureBase"], vector["id"]
        assert "0x" + personal_message_hash(base.encode()).hex() == signature["eip191Hash"]
        signer = EthAccount.recover_message(encode_defunct(text=base),
                                            signature=signature["signature"])
        assert signer.lower() == vector["expected"]["signer"], vector["id"]


def test_slice_direct_vector_is_our_draft_positive_vector() -> None:
    (direct,) = [v for v in _slice_vectors() if v["kind"] == "direct"]
    store = MemoryReplayStore()
    verified = verify_request(_slice_request(direct), now=_created(direct) + 1, nonces=store,
                              policy=VerifierPolicy(profiles=("draft",)))
    assert verified.address == direct["expected"]["principal"]
    assert verified.request_bound is (direct["expected"]["binding"] == "request-bound")
    assert verified.replayable is (direct["expected"]["replay"] == "replayable")
    draft = json.loads((ROOT / "vectors" / "verify_request.json").read_text())
    draft_positive = [t for g in draft["testGroups"] for t in g["tests"]
                      if g.get("profile") == "draft" and t["result"] == "valid"]
    # Same signature base and the same signature bytes; only the label differs.
    direct_bytes = direct["request"]["headers"]["signature"].split("=", 1)[1]
    assert any(
        t["signature_base"] == direct["requestSignature"]["signatureBase"]
        and t["request"]["headers"][-1][1].split("=", 1)[1] == direct_bytes
        for t in draft_positive
    )


@pytest.mark.parametrize("profiles", [("draft",), ("legacy",), ("draft", "legacy")])
def test_slice_delegated_vectors_are_no_erc8128_candidates(profiles: Any) -> None:
    # Their members carry tag="erc8128-delegation" / "erc8128-delegated" and an
    # erc-8128-delegation field that neither ERC-8128 text defines: no candidate is recognised.
    for vector in [v for v in _slice_vectors() if v["kind"] == "delegated"]:
        now = _created(vector) + 1
        store = MemoryReplayStore()
        with pytest.raises(VerificationError) as rejected:
            verify_request(_slice_request(vector), now=now, nonces=store,
                           policy=VerifierPolicy(profiles=profiles))
        assert (rejected.value.reason, rejected.value.status) == ("no_acceptable_signature", 401)
