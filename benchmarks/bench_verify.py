"""verify_request per verification: pure, pure+cache, accelerated, accelerated+cache, beside
@slicekit/erc8128 + viem verifying in-process (Node), with the ratios, in one run.

Run: python benchmarks/bench_verify.py [--count 300] [--repeats 5] [--profiles draft,legacy]

The request is a POST with a JSON body (Content-Type, Content-Digest, a query, a nonce), signed
before the timed phase, so only verification is timed. erc8128's side is erc8128.cli.bench.
time_verify_request; the peer is conformance/adapters/slicekit/bench_verify.mjs, timing the SDK's
verifyRequest with viem's verifyMessage on the same request shape. The SDK implements the
February text, i.e. our "legacy" profile; the draft rows are compared with the same peer figure.

The run is interleaved in rounds so that load from other processes on a shared machine falls on
both sides alike: each of the ``repeats`` rounds runs the peer (a Node subprocess: its JIT
warm-up round, then one measured round of ``count`` verifications), then one repeat of every
Python configuration of every profile; one more peer run closes the last round. Every figure is
the median over its rounds, as wall-clock time and as process CPU time (Python:
time.process_time; Node: process.cpuUsage, which includes its helper threads). On a shared
machine wall-clock time includes time spent waiting for a core, so the CPU-time ratio is the
steadier one; both are printed.

Targets (issue 19 item 5): pure >= 1.5x the peer's rate; accelerated >= 15x.
"""

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
from pathlib import Path
from typing import Any, cast

from erc8128.cli.bench import (
    VERIFY_CONFIGURATIONS,
    VERIFY_CREATED,
    VerifyTiming,
    signed_requests,
    time_verify_request,
)
from erc8128.crypto.accelerate import BackendUnavailable, load_backend
from erc8128.protocol.keyid import ProfileName

ROOT = Path(__file__).resolve().parent.parent
PEER = ROOT / "conformance/adapters/slicekit/bench_verify.mjs"
TARGETS = {"pure": 1.5, "accelerated": 15.0}
BACKENDS = {"pure": "pure", "accelerated": "coincurve"}  # as erc8128.cli.bench selects them


def run_peer(count: int, repeats: int) -> dict[str, Any] | None:
    """One run of the Node benchmark, or None when Node or the SDK is not installed."""
    if shutil.which("node") is None or not (PEER.parent / "node_modules").is_dir():
        return None
    options = json.dumps({"count": count, "repeats": repeats, "created": VERIFY_CREATED})
    result = subprocess.run(
        ["node", str(PEER), options], capture_output=True, text=True, check=True, timeout=900
    )
    return cast(dict[str, Any], json.loads(result.stdout.strip().splitlines()[-1]))


def _installed(configuration: str) -> bool:
    try:
        load_backend(BACKENDS[configuration.partition("+")[0]])
    except BackendUnavailable:
        return False
    return True


def _ratio(peer_seconds: float, ours_seconds: float) -> float:
    return peer_seconds / ours_seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--profiles", default="draft,legacy")
    args = parser.parse_args(argv)
    profiles = [cast(ProfileName, name) for name in args.profiles.split(",")]

    load = os.getloadavg()
    print(
        f"bench_verify: verify_request of a signed POST + JSON body, ms per verification, "
        f"median of {args.repeats} x {args.count}; Python {platform.python_version()}, "
        f"{os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    # Rounds (see the module docstring): peer, every Python configuration, peer, ...
    requests = {profile: signed_requests(args.count, profile) for profile in profiles}
    configurations = [
        configuration for configuration in VERIFY_CONFIGURATIONS if _installed(configuration)
    ]
    peer_runs = []
    walls: dict[tuple[ProfileName, str], list[float]] = {}
    cpus: dict[tuple[ProfileName, str], list[float]] = {}
    for _ in range(args.repeats):
        peer_runs.append(run_peer(args.count, 1))
        for profile in profiles:
            for configuration in configurations:
                timing = time_verify_request(
                    requests[profile], profile, configuration, repeats=1
                )
                walls.setdefault((profile, configuration), []).extend(timing.wall_seconds)
                cpus.setdefault((profile, configuration), []).extend(timing.cpu_seconds)
    peer_runs.append(run_peer(args.count, 1))
    rows = [
        (profile, VerifyTiming(configuration, tuple(walls[profile, configuration]),
                               tuple(cpus[profile, configuration])))
        for profile, configuration in walls
    ]

    peer_wall = peer_cpu = None
    if all(run is not None for run in peer_runs):
        runs = cast(list[dict[str, Any]], peer_runs)
        peer_wall = statistics.median(ms for run in runs for ms in run["wall_ms"]) / 1e3
        peer_cpu = statistics.median(ms for run in runs for ms in run["cpu_ms"]) / 1e3
        first = runs[0]
        print(
            f"peer @slicekit/erc8128 {first['sdk']} + viem {first['viem']} in-process "
            f"(node {first['node']}): wall {peer_wall * 1e3:.3f} ms, cpu {peer_cpu * 1e3:.3f} ms"
        )
    else:
        print(
            "peer @slicekit/erc8128: not installed "
            "(npm ci --prefix conformance/adapters/slicekit)"
        )

    header = f"{'profile':8} {'configuration':18} {'wall ms':>8} {'cpu ms':>8} {'verify/s':>9}"
    if peer_wall is not None:
        header += f" {'x peer wall':>12} {'x peer cpu':>11}"
    print(header)
    for profile, timing in rows:
        line = (
            f"{profile:8} {timing.configuration:18} {timing.wall * 1e3:8.3f} "
            f"{timing.cpu * 1e3:8.3f} {1 / timing.wall:9.0f}"
        )
        if peer_wall is not None and peer_cpu is not None:
            line += (
                f" {_ratio(peer_wall, timing.wall):11.2f}x"
                f" {_ratio(peer_cpu, timing.cpu):10.2f}x"
            )
        print(line)

    if peer_wall is None or peer_cpu is None:
        return 0
    verdict = {True: "met", False: "MISSED"}
    for profile, timing in rows:
        kind = timing.configuration.partition("+")[0]
        target = TARGETS[kind]
        wall_ratio = _ratio(peer_wall, timing.wall)
        cpu_ratio = _ratio(peer_cpu, timing.cpu)
        print(
            f"target {profile} {timing.configuration} >= {target:g}x peer: "
            f"wall {wall_ratio:.2f}x {verdict[wall_ratio >= target]}, "
            f"cpu {cpu_ratio:.2f}x {verdict[cpu_ratio >= target]}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
