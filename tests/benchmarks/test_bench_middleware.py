"""benchmarks/bench_middleware.py, short: uvicorn and gunicorn with 2 workers sharing one real
redis-server accept each pre-signed request once (every one is then sent again to each worker
and refused) and answer every request 2xx (SPEC.md D75). The figures of so short a run are
rough; only their presence and the correctness counts are asserted."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.services
def test_two_workers_sharing_redis_accept_each_signed_request_once() -> None:
    for binary, package in (("wrk", "wrk"), ("redis-server", "redis-server")):
        assert shutil.which(binary), f"{binary} not found: apt-get install -y {package}"
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks/bench_middleware.py"), "--seconds", "1",
         "--servers", "uvicorn,gunicorn", "--setups", "2:redis", "--signed-requests", "400",
         "--replays", "0", "--budget", "200"],
        capture_output=True, text=True, timeout=400, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("bench_middleware: wrk -t1 -c8")
    assert lines[1].startswith("pre-signed 400 GET /signed requests")
    rows = {line.split()[0]: line.split() for line in lines[3:]}
    assert set(rows) == {"uvicorn", "gunicorn"}, result.stdout
    number = r"-?\d+(\.\d+)?"
    for server, row in rows.items():
        assert row[1:3] == ["2", "redis"], row
        for figure in row[3:9]:
            assert re.fullmatch(number, figure), (server, row)
        non2xx, replays, workers = row[-3], row[-2], row[-1]
        assert non2xx == "0", row
        # Every one of the 400 requests, accepted once by one worker, was sent again to both
        # workers (so to the other one too) and refused by each.
        assert replays == "0/800", row
        assert workers == "2", row
