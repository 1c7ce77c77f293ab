// In-process verification benchmark of @slicekit/erc8128 (+ viem's verifyMessage), the peer that
// benchmarks/bench_verify.py compares erc8128's verify_request with in the same run.
//
// Usage: node bench_verify.mjs '{"count": 300, "repeats": 5, "created": 1700000000}'
// Prints ONE JSON line: {"sdk": ..., "viem": ..., "count": n, "wall_ms": [...], "cpu_ms": [...]}
// with the milliseconds per verification of each repeat (wall clock and process CPU time).
//
// The request is the one benchmarks/bench_verify.py verifies: POST https://api.example/items?
// view=full, Content-Type: application/json, a 34-byte JSON body, a Non-Replayable signature
// (one nonce per request) with the SDK's default Request-Bound components. Every request is
// signed before the timed phase, so only verifyRequest is timed: parsing, the signature base,
// the Content-Digest check, the nonce store (an in-memory Map) and viem's verifyMessage
// (secp256k1 recovery by @noble/curves, keccak256 of the public key). Date.now is pinned to the
// injected time, as in adapter.mjs; nothing reads the real clock inside the SDK.

import { readFileSync } from "node:fs";
import { join } from "node:path";

import { signRequest, verifyRequest } from "@slicekit/erc8128";
import { verifyMessage } from "viem";
import { privateKeyToAccount } from "viem/accounts";

import { atTime } from "./sdk_calls.mjs";

const options = JSON.parse(process.argv[2] ?? "{}");
const count = options.count ?? 300;
const repeats = options.repeats ?? 5;
const created = options.created ?? 1700000000;
const now = created + 1;

// The same key as the Python side: private key 1.
const signer = privateKeyToAccount(`0x${"00".repeat(31)}01`);
const sdkSigner = {
  chainId: 1,
  address: signer.address,
  signMessage: (message) => signer.signMessage({ message: { raw: message } }),
};
const body = new TextEncoder().encode('{"hello":"world","items":[1,2,3]}');

function baseRequest() {
  return new Request("https://api.example/items?view=full", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
  });
}

function nonceStore() {
  const used = new Map();
  return {
    async consume(key, ttlSeconds) {
      if (used.has(key)) return false;
      used.set(key, now + ttlSeconds);
      return true;
    },
  };
}

async function signAll(round) {
  const signed = [];
  for (let i = 0; i < count; i++) {
    signed.push(
      await atTime(created, () =>
        signRequest(baseRequest(), sdkSigner, {
          created,
          expires: created + 60,
          replay: "non-replayable",
          nonce: `r${round}n${i}`,
          contentDigest: "auto",
        }),
      ),
    );
  }
  return signed;
}

const policy = { now: () => now, clockSkewSec: 30, maxValiditySec: 300 };

async function verifyAll(requests) {
  const store = nonceStore();
  const wallStart = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  for (const request of requests) {
    const result = await verifyRequest({ request, verifyMessage, nonceStore: store, policy });
    if (!result.ok) throw new Error(`verification failed: ${result.reason} ${result.detail ?? ""}`);
  }
  const cpu = process.cpuUsage(cpuStart);
  const wallNs = Number(process.hrtime.bigint() - wallStart);
  return { wall: wallNs / 1e6 / requests.length, cpu: (cpu.user + cpu.system) / 1e3 / requests.length };
}

function version(name) {
  const path = join(import.meta.dirname, "node_modules", name, "package.json");
  return JSON.parse(readFileSync(path, "utf8")).version;
}

const wall = [];
const cpu = [];
// One warm-up round (JIT), then the measured repeats, each on freshly signed requests.
await atTime(now, async () => verifyAll(await signAll("warmup")));
for (let round = 0; round < repeats; round++) {
  const requests = await signAll(round);
  const timing = await atTime(now, () => verifyAll(requests));
  wall.push(timing.wall);
  cpu.push(timing.cpu);
}
process.stdout.write(
  `${JSON.stringify({
    sdk: version("@slicekit/erc8128"),
    viem: version("viem"),
    node: process.version,
    count,
    wall_ms: wall,
    cpu_ms: cpu,
  })}\n`,
);
