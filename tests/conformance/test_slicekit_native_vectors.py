"""The native JavaScript runner (conformance/adapters/slicekit/vectors.test.mjs): the vectors run
with ``node --test`` straight against the pinned @slicekit/erc8128, skipping by tag, with every
expected failure listed and shown; a vector file of an unknown schema version is refused."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUNNER = ROOT / "conformance" / "adapters" / "slicekit" / "vectors.test.mjs"
VECTORS = ROOT / "vectors"


def _node(*args: str, env_vectors: Path | None = None) -> subprocess.CompletedProcess[str]:
    node = shutil.which("node")
    if node is None or not (RUNNER.parent / "node_modules").is_dir():
        pytest.fail("run `npm ci --prefix conformance/adapters/slicekit` (scripts/test does this)")
    env = {"PATH": str(Path(node).parent)}
    if env_vectors is not None:
        env["ERC8128_VECTORS"] = str(env_vectors)
    return subprocess.run([node, *args, str(RUNNER)], capture_output=True, text=True,
                          timeout=300, env=env, check=False)


def test_slicekit_native_run_passes_and_shows_its_expected_failures() -> None:
    run = _node("--test")
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    total = sum(len(group["tests"]) for source in VECTORS.glob("*.json")
                if source.name != "published_ids.json"
                for group in json.loads(source.read_text("utf-8")).get("testGroups", ()))
    summary = re.search(rf"slicekit native vectors: {total} tests, (\d+) run natively "
                        r"\((\d+) conform, (\d+) expected failures\), (\d+) skipped", run.stdout)
    assert summary, run.stdout[:2000]
    ran, conform, deviations, skipped = map(int, summary.groups())
    assert ran + skipped == total and conform + deviations == ran
    assert ran >= 429  # before this runner, an SDK author mapped 276 by hand (issue 22)
    shown = re.findall(r"^# expected failure (\S+) ", run.stdout, re.MULTILINE)
    assert len(shown) == deviations and "replay/28" in shown  # D28, listed and shown
    assert re.search(r"^# fail 0$", run.stdout, re.MULTILINE)


def test_slicekit_native_runner_refuses_an_unknown_schema_version(tmp_path: Path) -> None:
    for source in VECTORS.glob("*.json"):
        shutil.copy(source, tmp_path / source.name)
    document = json.loads((VECTORS / "keyid.json").read_text("utf-8"))
    document["schemaVersion"] = 99
    (tmp_path / "keyid.json").write_text(json.dumps(document), "utf-8")
    run = _node(env_vectors=tmp_path)
    assert run.returncode == 2
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith(f"vectors.test.mjs: refusing {tmp_path}/keyid.json: "
                               "schemaVersion 99 is not one this runner knows (1)")
