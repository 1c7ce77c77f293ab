"""benchmarks/bench_verify.py: one run prints every configuration and, with the Node peer
installed, its figure, the ratios and a verdict per target (tiny counts: numbers are rough)."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PEER_INSTALLED = (
    shutil.which("node") is not None
    and (ROOT / "conformance/adapters/slicekit/node_modules").is_dir()
)
MS = r"\d+\.\d{3}"


def test_bench_verify_prints_the_ratios_in_one_run() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks/bench_verify.py"), "--count", "3",
         "--repeats", "1", "--profiles", "draft"],
        capture_output=True, text=True, check=True, timeout=600,
    )
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("bench_verify: verify_request of a signed POST + JSON body")
    configurations = ("pure", "pure+cache", "accelerated", "accelerated+cache")
    rows = [line for line in lines if line.startswith("draft ")]
    assert [row.split()[1] for row in rows] == list(configurations)
    if not PEER_INSTALLED:
        assert "not installed" in lines[1]
        return
    assert re.fullmatch(
        rf"peer @slicekit/erc8128 \S+ \+ viem \S+ in-process \(node \S+\): wall {MS} ms, "
        rf"cpu {MS} ms",
        lines[1],
    )
    for row in rows:
        assert re.fullmatch(rf"draft +\S+ +{MS} +{MS} +\d+ +\d+\.\d\dx +\d+\.\d\dx", row), row
    verdicts = [line for line in lines if line.startswith("target ")]
    assert len(verdicts) == len(configurations)
    for line in verdicts:
        assert re.fullmatch(
            r"target draft \S+ >= (1\.5|15)x peer: wall \d+\.\d\dx (met|MISSED), "
            r"cpu \d+\.\d\dx (met|MISSED)",
            line,
        ), line
