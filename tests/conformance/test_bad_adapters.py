"""Adapters that crash, hang, lie or close early: each misbehaviour errors that one case, within
the per-case timeout, and the next call gets a fresh adapter (issue 10, "Bad input")."""

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from erc8128.crypto.keccak import keccak256
from erc8128_conformance.adapter_client import MAX_LINE_BYTES, AdapterClient, AdapterFailure
from erc8128_conformance.cases import Step
from erc8128_conformance.judge import judge_step
from tests.support.fake_adapter import fake_adapter

ROOT = Path(__file__).resolve().parents[2]

# Keyed by data_hex; anything else gets the right Keccak-256 digest.
BAD_ADAPTER = textwrap.dedent('''
    import json, os, sys, time
    from erc8128.crypto.keccak import keccak256
    out = sys.stdout
    for line in sys.stdin:
        request = json.loads(line)
        seq, op, data = request["seq"], request["op"], request.get("data_hex", "")
        if op == "hello":
            response = {"seq": seq, "ok": {"implementation": {"name": "bad", "version": "1",
                        "language": "python"}, "operations": ["hello", "keccak256"],
                        "profiles": [], "capabilities": []}}
        elif data == "c0":  # crash
            print("bad adapter: crashing", file=sys.stderr, flush=True); sys.exit(7)
        elif data == "c1":  # hang
            time.sleep(120); continue
        elif data == "c2":  # wrong seq
            response = {"seq": seq + 1, "ok": {"digest_hex": "00"}}
        elif data == "c3":  # not JSON
            out.write("{not json\\n"); out.flush(); continue
        elif data == "c4":  # a 10 MB answer
            out.write(json.dumps({"seq": seq, "ok": {"digest_hex": "a" * 10_000_000}}) + "\\n")
            out.flush(); continue
        elif data == "c5":  # closes its stdout, keeps running
            print("bad adapter: closing stdout", file=sys.stderr, flush=True)
            out.close(); os.close(1); time.sleep(120)
        elif data == "c6":  # half a line, then exits
            out.write('{"seq": ' + str(seq)); out.flush(); sys.exit(0)
        elif data == "c7":  # floods stderr, then answers correctly
            for _ in range(2000):
                sys.stderr.write("x" * 1000 + "\\n")
            sys.stderr.flush()
            response = {"seq": seq, "ok": {"digest_hex": keccak256(bytes.fromhex(data)).hex()}}
        else:
            response = {"seq": seq, "ok": {"digest_hex": keccak256(bytes.fromhex(data)).hex()}}
        out.write(json.dumps(response) + "\\n"); out.flush()
''')


@pytest.fixture
def bad_adapter(tmp_path: Path) -> str:
    script = tmp_path / "bad_adapter.py"
    script.write_text(BAD_ADAPTER, encoding="utf-8")
    return f"{sys.executable} {script}"


def _digest(data_hex: str) -> str:
    return keccak256(bytes.fromhex(data_hex)).hex()


@pytest.mark.parametrize(("data_hex", "kind", "words"), [
    ("c0", "crash", "exited with status 7"),
    ("c1", "timeout", "no response to seq"),
    ("c2", "seq", "expected seq"),
    ("c3", "garbage", "not a JSON line"),
    ("c4", "garbage", f"longer than {MAX_LINE_BYTES} bytes"),
    ("c5", "crash", "closed its stdout"),
    ("c6", "garbage", "not a JSON line"),
])
def test_each_misbehaviour_errors_one_call_within_the_timeout(
    bad_adapter: str, data_hex: str, kind: str, words: str
) -> None:
    with AdapterClient(bad_adapter, timeout=1.5) as client:
        assert client.call("keccak256", {"data_hex": "61"}).body["digest_hex"] == _digest("61")
        started = time.monotonic()
        with pytest.raises(AdapterFailure) as failure:
            client.call("keccak256", {"data_hex": data_hex})
        elapsed = time.monotonic() - started
        assert failure.value.kind == kind
        assert words in failure.value.message
        # Within the per-case timeout plus the bounded waits (exit wait, stderr grace).
        assert elapsed < 1.5 + 2.0 + 1.0, elapsed
        # The next call gets a fresh, working adapter.
        assert client.call("keccak256", {"data_hex": "62"}).body["digest_hex"] == _digest("62")
        assert client.restarts == 1


def test_an_adapter_that_never_reads_cannot_block_the_suite(tmp_path: Path) -> None:
    script = tmp_path / "deaf_adapter.py"
    script.write_text("import time\ntime.sleep(120)\n", encoding="utf-8")
    with AdapterClient(f"{sys.executable} {script}", timeout=1.5) as client:
        started = time.monotonic()
        with pytest.raises(AdapterFailure) as failure:
            # Far more than a pipe buffer holds: the write itself would block.
            client.call("keccak256", {"data_hex": "00" * 2_000_000})
        assert failure.value.kind == "timeout"
        assert "did not read request" in failure.value.message
        assert time.monotonic() - started < 1.5 + 1.0


def test_stderr_flood_is_bounded_and_the_answer_still_counts(bad_adapter: str) -> None:
    with AdapterClient(bad_adapter, timeout=5) as client:
        response = client.call("keccak256", {"data_hex": "c7"})
        assert response.body["digest_hex"] == _digest("c7")
        process = client._process
        assert process is not None
        # About 2 MB went to stderr; the client keeps a bounded tail of it.
        time.sleep(0.5)
        assert process.stderr_chars <= 256 * 1024 + 64 * 1024
        assert len(response.stderr) <= 8000


def test_a_run_through_every_misbehaviour_goes_on(tmp_path: Path, bad_adapter: str) -> None:
    inputs = ["61", "c0", "62", "c1", "c2", "c3", "c4", "c5", "c6", "63"]
    folder = tmp_path / "vectors"
    folder.mkdir()
    tests = [{"tcId": index + 1, "comment": data, "flags": [], "result": "valid",
              "data_hex": data, "digest_hex": _digest(data)} for index, data in enumerate(inputs)]
    (folder / "keccak256.json").write_text(json.dumps(
        {"testGroups": [{"type": "Keccak256Test", "tests": tests}]}), encoding="utf-8")
    report = tmp_path / "report.json"
    run = subprocess.run(
        [sys.executable, "-m", "erc8128", "conformance", "--adapter", bad_adapter,
         "--vectors", str(folder), "--timeout", "1.5", "--report-json", str(report)],
        capture_output=True, text=True, timeout=120, cwd=ROOT, check=False,
    )
    assert run.returncode == 1, run.stdout + run.stderr
    outcomes = {o["id"]: o["outcome"] for o in json.loads(report.read_text())["outcomes"]}
    assert outcomes == {
        f"keccak256/{index + 1}": "passed" if data in ("61", "62", "63") else "errored"
        for index, data in enumerate(inputs)
    }
    assert "Traceback" not in run.stdout + run.stderr


def test_an_sdks_own_code_and_status_are_answers_not_protocol_errors(tmp_path: Path) -> None:
    # SPEC.md D49: inside the envelope, any reason string and any HTTP status is judged.
    script = tmp_path / "own_codes.py"
    script.write_text(textwrap.dedent('''
        import json, sys
        for line in sys.stdin:
            seq = json.loads(line)["seq"]
            error = {"reason": "Nonce-Reused", "status": 409, "message": "replayed"}
            sys.stdout.write(json.dumps({"seq": seq, "error": error}) + "\\n")
            sys.stdout.flush()
    '''), encoding="utf-8")
    step = Step("verify_request", {}, "invalid", {"reason": "nonce_reused", "status": 401})
    with AdapterClient(f"{sys.executable} {script}", timeout=5) as client:
        response = client.call("verify_request", {"profile": "draft"})
    verdict = judge_step(step, response, reason_checked=True, deterministic=True, strict=False)
    assert verdict.status == "failed"
    assert verdict.mismatch == "reason"
    assert verdict.message == ('rejected as expected, but reason: expected "nonce_reused", got '
                               '"Nonce-Reused"; status: expected 401, got 409')


def test_without_jsonschema_the_suite_refuses_to_run(tmp_path: Path) -> None:
    # SPEC.md D49: no verdict may depend on an optional package; a missing one is a usage error.
    code = ("import sys; sys.modules['jsonschema'] = None\n"
            "from erc8128.cli import main\n"
            "sys.exit(main(['conformance', '--adapter', 'true', '--ops', 'keccak256']))\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, cwd=ROOT, check=False)
    assert run.returncode == 2, run.stdout + run.stderr
    assert "the suite needs pytest and jsonschema" in run.stderr
    # The one command that installs them, for this interpreter and this source tree.
    assert f"{sys.executable} -m pip install -e '{ROOT}[conformance]'" in run.stderr


SLOW_STEPS = fake_adapter(
    {"implementation": {"name": "slow", "version": "1", "language": "python"},
     "operations": ["hello", "verify_request", "reset_replay_session"],
     "profiles": ["draft"], "capabilities": []},
    """
    if op == "reset_replay_session":
        response = {"seq": seq, "ok": {}}
    else:  # each step answers in 0.8 s: under --timeout, but not 3 of them
        time.sleep(0.8)
        response = {"seq": seq, "ok": {
            "address": "0x" + "00" * 20, "chain_id": 1, "keyid": "k", "label": "eth",
            "replayable": False, "request_bound": True, "covered": [], "nonce_consumed": True}}
    """,
    imports="import time",
)


def test_the_timeout_is_per_case_not_per_step(tmp_path: Path) -> None:
    script = tmp_path / "slow.py"
    script.write_text(SLOW_STEPS, encoding="utf-8")
    folder = tmp_path / "vectors"
    folder.mkdir()
    step = {"result": "valid", "request": {"method": "GET", "url": "https://a.example/",
                                           "headers": []}, "now": 1,
            "address": "0x" + "00" * 20}
    (folder / "replay.json").write_text(json.dumps({"testGroups": [{
        "type": "ReplaySequenceTest", "profile": "draft", "tests": [
            {"tcId": 1, "comment": "one step", "flags": [], "result": "valid", "steps": [step]},
            {"tcId": 2, "comment": "three steps", "flags": [], "result": "valid",
             "steps": [step, step, step]},
        ]}]}), encoding="utf-8")
    report = tmp_path / "report.json"
    run = subprocess.run(
        [sys.executable, "-m", "erc8128", "conformance", "--adapter",
         f"{sys.executable} {script}", "--vectors", str(folder), "--profile", "draft",
         "--timeout", "1.5", "--report-json", str(report)],
        capture_output=True, text=True, timeout=120, cwd=ROOT, check=False,
    )
    outcomes = {o["id"]: o for o in json.loads(report.read_text())["outcomes"]}
    assert outcomes["replay/1"]["outcome"] == "passed", run.stdout
    assert outcomes["replay/2"]["outcome"] == "errored"
    assert "within the case's 1.5 s" in outcomes["replay/2"]["message"]
