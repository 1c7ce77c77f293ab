"""ERC-8128 sign_request / verify_request throughput, per profile and backend, with the TypeScript
SDK @slicekit/erc8128 (through its conformance adapter) as the named peer in the same run.

Run: python benchmarks/bench_protocol.py [--count N]
Pre-signs every request before timing verification, so only verification is measured. The peer
is measured through its JSON-lines adapter, so its figures include one pipe round trip per call;
the script also times the adapter's `hello` to show that overhead.
"""

import argparse
import json
import statistics
import subprocess
import time
from pathlib import Path

from erc8128.crypto.accelerate import use_backend
from erc8128.http.message import Request
from erc8128.protocol.policy import VerifierPolicy
from erc8128.protocol.sign import sign_request
from erc8128.protocol.verify import verify_request
from erc8128.state.nonces.memory import MemoryReplayStore

ROOT = Path(__file__).resolve().parent.parent
KEY = bytes.fromhex("00" * 31 + "01")
CREATED = 1700000000
NOW = CREATED + 1
BODY = b'{"hello":"world","items":[1,2,3]}'


def base_request() -> Request:
    return Request("POST", "https://api.example/items?view=full",
                   (("Content-Type", "application/json"),), BODY)


def measure(count: int, profile: str, backend: str) -> tuple[float, float]:
    """Return (sign ops/s, verify ops/s)."""
    use_backend(backend)
    try:
        start = time.perf_counter()
        signed = [
            sign_request(base_request(), KEY, profile=profile, created=CREATED,  # type: ignore[arg-type]
                         nonce=f"n{i}").request
            for i in range(count)
        ]
        sign_rate = count / (time.perf_counter() - start)
        policy = VerifierPolicy(profiles=(profile,))  # type: ignore[arg-type]
        nonces = MemoryReplayStore()
        start = time.perf_counter()
        for request in signed:
            verify_request(request, now=NOW, nonces=nonces, policy=policy)
        verify_rate = count / (time.perf_counter() - start)
    finally:
        use_backend(None)
    return sign_rate, verify_rate


def measure_peer(count: int) -> tuple[float, float, float] | None:
    adapter = ROOT / "conformance/adapters/slicekit/adapter.mjs"
    if not (adapter.parent / "node_modules").is_dir():
        return None
    process = subprocess.Popen(["node", str(adapter)], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True)
    assert process.stdin is not None and process.stdout is not None
    seq = 0

    def call(op: str, **fields: object) -> dict[str, object]:
        nonlocal seq
        seq += 1
        process.stdin.write(json.dumps({"seq": seq, "op": op, **fields}) + "\n")  # type: ignore[union-attr]
        process.stdin.flush()  # type: ignore[union-attr]
        return json.loads(process.stdout.readline())  # type: ignore[union-attr, no-any-return]

    wire = {"method": "POST", "url": "https://api.example/items?view=full",
            "headers": [["content-type", "application/json"]], "body_hex": BODY.hex()}
    call("hello", protocol=1)
    start = time.perf_counter()
    for _ in range(count):
        call("hello", protocol=1)
    hello_rate = count / (time.perf_counter() - start)
    start = time.perf_counter()
    signed = []
    for i in range(count):
        answer = call("sign_request", profile="legacy", request=wire, private_key_hex=KEY.hex(),
                      chain_id=1, created=CREATED, expires=CREATED + 60, nonce=f"p{i}",
                      label="eth", components=None, params={})
        signed.append({**wire, "headers": answer["ok"]["headers"]})  # type: ignore[index]
    sign_rate = count / (time.perf_counter() - start)
    start = time.perf_counter()
    for request in signed:
        answer = call("verify_request", profile="legacy", request=request, now=NOW, policy={},
                      replay_session="bench")
        assert "ok" in answer, answer
    verify_rate = count / (time.perf_counter() - start)
    process.kill()
    process.wait()
    return sign_rate, verify_rate, hello_rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=300)
    args = parser.parse_args()
    rows = []
    for profile in ("draft", "legacy"):
        for backend in ("pure", "coincurve"):
            runs = [measure(args.count, profile, backend) for _ in range(3)]
            sign_rate = statistics.median(r[0] for r in runs)
            verify_rate = statistics.median(r[1] for r in runs)
            rows.append((profile, backend, sign_rate, verify_rate))
    print(f"{'profile':8} {'backend':10} {'sign/s':>9} {'verify/s':>9}")
    for profile, backend, sign_rate, verify_rate in rows:
        print(f"{profile:8} {backend:10} {sign_rate:9.0f} {verify_rate:9.0f}")
    peer = measure_peer(args.count)
    if peer is None:
        print("peer @slicekit/erc8128: not installed "
              "(npm ci --prefix conformance/adapters/slicekit)")
        return
    sign_rate, verify_rate, hello_rate = peer
    print(f"{'legacy':8} {'slicekit':10} {sign_rate:9.0f} {verify_rate:9.0f}"
          f"   (through its adapter; bare adapter round trip {hello_rate:.0f}/s)")
    ours = {(p, b): (s, v) for p, b, s, v in rows}
    for backend in ("pure", "coincurve"):
        s, v = ours[("legacy", backend)]
        print(f"legacy {backend}: sign {s / sign_rate:.2f}x, verify {v / verify_rate:.2f}x "
              "the slicekit SDK's rate")


if __name__ == "__main__":
    main()
