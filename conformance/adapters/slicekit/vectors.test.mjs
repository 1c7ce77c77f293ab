// The ERC-8128 vectors (vectors/*.json) run natively against @slicekit/erc8128 with `node --test`.
//
//   node --test conformance/adapters/slicekit/vectors.test.mjs
//   ERC8128_VECTORS=/path/to/vectors node --test vectors.test.mjs     # another copy of the files
//
// No adapter process and no Python: each vector test becomes one node:test test that builds a
// fetch Request from the vector, maps the vector's policy onto the SDK's VerifyPolicy, simulates
// the replay store, calls the SDK and compares. Read vectors/README.md for every field. To run
// the vectors against another JavaScript SDK, copy this file and change the section "The
// implementation under test" (the calls) and SKIP_TAGS (what your SDK cannot express): the rest
// (loading, skipping by tag, judging, expected failures) stays. README.md "Run the vectors
// natively" walks through it.
//
// Expected failures are listed, not hidden: a test whose id is in
// ../slicekit-expected-failures.json or ../slicekit-native-expected-failures.json passes while
// the SDK still fails it, printing what differs, and FAILS once the SDK conforms (the entry is
// stale).

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";

import { parseKeyId, signRequest, verifyRequest } from "@slicekit/erc8128";
import { hashMessage, keccak256, recoverAddress, toPrefixedMessage, verifyMessage } from "viem";
import { privateKeyToAccount } from "viem/accounts";

import { VERIFY_REASON, httpStatus } from "./reasons.mjs";
import { atTime, captureSignatureBase, contentDigestOf } from "./sdk_calls.mjs";

// ---------------------------------------------------------------------------------------------
// Loading. vectors/README.md "Schema version": refuse a file of a format this runner does not
// know, with one line, before running anything.
// ---------------------------------------------------------------------------------------------

const KNOWN_SCHEMA_VERSIONS = [1];
const VECTORS_DIR = process.env.ERC8128_VECTORS ?? fileURLToPath(new URL("../../../vectors/", import.meta.url));
// The same list as tests/vectors/test_vectors.py FILES: cross-language test data, repeated on purpose
// (deliberate; duplicate scan) so this runner needs nothing from the Python side.
const FILES = [
  "keccak256.json",
  "erc191_hash.json",
  "erc191_sign.json",
  "erc191_recover.json",
  "keyid.json",
  "content_digest.json",
  "signature_base.json",
  "sign_request.json",
  "verify_request.json",
  "replay.json",
];

function load(name) {
  const path = `${VECTORS_DIR.replace(/\/?$/, "/")}${name}`;
  const document = JSON.parse(readFileSync(path, "utf8"));
  if (!KNOWN_SCHEMA_VERSIONS.includes(document.schemaVersion)) {
    console.error(
      `vectors.test.mjs: refusing ${path}: schemaVersion ${JSON.stringify(document.schemaVersion ?? null)} ` +
        `is not one this runner knows (${KNOWN_SCHEMA_VERSIONS.join(", ")}); update the runner first`,
    );
    process.exit(2);
  }
  return document;
}

const DOCUMENTS = Object.fromEntries(FILES.map((name) => [name, load(name)]));

function expectedFailures() {
  const here = (file) => fileURLToPath(new URL(file, import.meta.url));
  const entries = [
    ...JSON.parse(readFileSync(here("../slicekit-expected-failures.json"), "utf8")),
    ...JSON.parse(readFileSync(here("../slicekit-native-expected-failures.json"), "utf8")),
  ];
  // An entry {"id", "conforms_natively": "why"} withdraws an adapter-only entry for this runner.
  const map = new Map();
  for (const entry of entries) {
    if (entry.conforms_natively) map.delete(entry.id);
    else map.set(entry.id, entry);
  }
  return map;
}
const EXPECTED_FAILURES = expectedFailures();

// ---------------------------------------------------------------------------------------------
// What the SDK cannot express: skipped by tag (vectors/README.md "Tags"), each with its reason.
// ---------------------------------------------------------------------------------------------

const PROFILE = "legacy"; // the SDK speaks the February text (erc8128: keyid, no tag)

const SKIP_TAGS = new Map([
  ["fidelity:method", "a fetch Request upper-cases get/post/... and refuses CONNECT/TRACE/TRACK"],
  ["fidelity:raw-target", "the WHATWG URL parser behind fetch rewrites this path or query"],
  ["fidelity:control-characters", "fetch Headers refuse NUL/CR/LF and characters above U+00FF"],
  ["fidelity:header-name", "fetch Headers refuse a field name that is no token"],
  ["fidelity:body-on-get", "fetch refuses content on GET/HEAD"],
  ["policy:served_chains", "VerifyPolicy has no served-chains option (every chain id is accepted)"],
  ["policy:denied_principals", "VerifyPolicy has no Principal policy hook"],
  ["policy:content_digest=required", "the SDK requires Content-Digest only for requests with content"],
  ["policy:account_state=erc1271-accepts", "needs a contract account (NeedsChain)"],
  ["policy:account_state=erc1271-rejects", "needs a contract account (NeedsChain)"],
  ["policy:account_state=eip7702-delegated", "needs a contract account (NeedsChain)"],
  ["policy:profiles", "the SDK speaks one profile, not both"],
  ["policy:invalidation_endpoint", "(extension) no SDK option"],
  ["policy:replayable_denied_principals", "(extension) no SDK option"],
  ["policy:principal_private", "(extension) no SDK option"],
  ["sign:params", "SignOptions take no extra signature parameters"],
  ["digest:sha-512", "the SDK creates sha-256 Content-Digest only"],
]);

const SKIP_FILES = new Map();

function skipReason(file, group, vector) {
  if (SKIP_FILES.has(file)) return SKIP_FILES.get(file);
  if (group.type === "ContentDigestCreateTest" && JSON.stringify(vector.algorithms) !== '["sha-256"]') {
    return "signRequest takes no digest algorithm list (it writes sha-256)";
  }
  if (group.profile !== undefined && group.profile !== null && group.profile !== PROFILE) {
    return `profile ${group.profile}: the SDK speaks the ${PROFILE} profile`;
  }
  for (const tag of vector.tags) {
    if (SKIP_TAGS.has(tag)) return `tag ${tag}: ${SKIP_TAGS.get(tag)}`;
  }
  if (vector.flags.includes("NeedsChain")) return "flag NeedsChain: needs a contract account";
  return null;
}

// ---------------------------------------------------------------------------------------------
// Vector values -> JavaScript values (vectors/README.md "Units, encodings and H").
// ---------------------------------------------------------------------------------------------

const hex0x = (hex) => `0x${hex}`; // vector hex has no 0x; viem wants it
const strip0x = (hex) => (hex.startsWith("0x") ? hex.slice(2) : hex).toLowerCase();
const bytes = (hex) => Uint8Array.from(hex.match(/../g) ?? [], (pair) => Number.parseInt(pair, 16));

// A vector request {method, url, headers: [[name, value]...], body_hex} as a fetch Request.
function fetchRequest(shape, extraHeaders = []) {
  const headers = new Headers();
  for (const [name, value] of [...shape.headers, ...extraHeaders]) headers.append(name, value);
  const init = { method: shape.method, headers };
  if (shape.body_hex !== null) init.body = bytes(shape.body_hex);
  return new Request(shape.url, init);
}

// The replay store, simulated: the SDK's NonceStore takes a lifetime (ttlSeconds), measured on
// the vector's clock; a key is held while now < consumedAt + ttl (vectors/README.md "The replay
// rule, in two forms": a conforming TTL is expires + skew - now).
function replayStore() {
  const liveUntil = new Map();
  let now = 0;
  return {
    at(seconds) {
      now = seconds;
    },
    consumed: false,
    async consume(key, ttlSeconds) {
      const until = liveUntil.get(key);
      if (until !== undefined && now < until) return false;
      liveUntil.set(key, now + ttlSeconds);
      this.consumed = true;
      return true;
    },
  };
}

// A vector policy -> the SDK's VerifyPolicy (conformance/adapters/slicekit/README.md, "Policy
// mapping"). Fields the SDK lacks never get here: their tags are skipped above.
function verifyPolicy(policy, now) {
  const notBefore = new Map(Object.entries(policy.not_before).map(([a, t]) => [a.toLowerCase(), t]));
  const invalidated = new Set(policy.invalidated_signatures.map(strip0x));
  const sdkPolicy = {
    now: () => now,
    clockSkewSec: policy.skew_sec,
    maxValiditySec: policy.max_validity_sec,
    replayable: policy.replay === "either",
    additionalRequestBoundComponents: policy.required_components,
  };
  if (policy.class_bound) sdkPolicy.classBoundPolicies = [["@authority", ...policy.required_components]];
  if (policy.replay === "either") {
    sdkPolicy.replayableNotBefore = (keyid) => notBefore.get(parseKeyId(keyid)?.address) ?? null;
    // The fingerprint is H = keccak256 of the ERC-191 message of the base (SPEC.md D9).
    sdkPolicy.replayableInvalidated = ({ signatureBase }) =>
      invalidated.has(strip0x(hashMessage({ raw: signatureBase })));
  }
  const verify =
    policy.account_state === "unavailable"
      ? async () => {
          throw new Error("account state unavailable");
        }
      : verifyMessage;
  return { sdkPolicy, verify };
}

// ---------------------------------------------------------------------------------------------
// The implementation under test: one function per operation, each answering
// {ok: true, ...outputs} or {ok: false, reason, status?}, in the vectors' field names.
// ---------------------------------------------------------------------------------------------

async function verifyOnce(request, now, policy, store) {
  const { sdkPolicy, verify } = verifyPolicy(policy, now);
  store.at(now);
  store.consumed = false;
  let result;
  try {
    result = await atTime(now, () =>
      verifyRequest({ request: fetchRequest(request), verifyMessage: verify, nonceStore: store, policy: sdkPolicy }),
    );
  } catch (error) {
    // The SDK throws (rather than answers) for some malformed inputs.
    const reason = error?.code === "DIGEST_REQUIRED" ? "content_digest_required" : "signature_input_invalid";
    return { ok: false, reason, status: httpStatus(reason), thrown: `${error?.name}: ${error?.code ?? error?.message}` };
  }
  if (!result.ok) {
    const reason = VERIFY_REASON[result.reason] ?? result.reason;
    return { ok: false, reason, status: httpStatus(reason), sdk_reason: result.reason };
  }
  return {
    ok: true,
    address: result.address.toLowerCase(),
    chain_id: String(result.chainId),
    keyid: result.params.keyid,
    label: result.label,
    replayable: result.replayable,
    request_bound: result.binding === "request-bound",
    covered: result.components.map((c) => (c.startsWith('"') ? c : JSON.stringify(c))),
    nonce_consumed: store.consumed,
  };
}

const OPERATIONS = {
  "keccak256.json": async (_group, v) => ({ ok: true, digest_hex: strip0x(keccak256(bytes(v.data_hex))) }),

  "erc191_hash.json": async (_group, v) => ({
    ok: true,
    prefixed_hex: strip0x(toPrefixedMessage({ raw: hex0x(v.message_hex) })),
    hash_hex: strip0x(hashMessage({ raw: hex0x(v.message_hex) })),
  }),

  "erc191_sign.json": async (_group, v) => {
    let signer;
    try {
      signer = privateKeyToAccount(hex0x(v.private_key_hex));
    } catch {
      return { ok: false, reason: "invalid_private_key" };
    }
    const signature = await signer.signMessage({ message: { raw: hex0x(v.message_hex) } });
    return {
      ok: true,
      signature_hex: strip0x(signature),
      hash_hex: strip0x(hashMessage({ raw: hex0x(v.message_hex) })),
      address: signer.address.toLowerCase(),
    };
  },

  "erc191_recover.json": async (_group, v) => {
    try {
      const address = await recoverAddress({ hash: hex0x(v.hash_hex), signature: hex0x(v.signature_hex) });
      return { ok: true, address: address.toLowerCase() };
    } catch {
      return { ok: false, reason: "recovery_failed" };
    }
  },

  "keyid.json": async (_group, v) => {
    const parsed = parseKeyId(v.keyid);
    if (parsed === null) return { ok: false, reason: "invalid_keyid" };
    return { ok: true, chain_id: String(parsed.chainId), address: parsed.address.toLowerCase() };
  },

  // The SDK exports no digest function: create through signRequest (contentDigest "recompute"),
  // check through verifyRequest with every other step stubbed to pass.
  "content_digest.json": async (group, v) => {
    const url = "https://content-digest.example/";
    if (group.type === "ContentDigestCreateTest") {
      return { ok: true, value: await contentDigestOf(bytes(v.body_hex)) };
    }
    let request;
    try {
      request = new Request(url, {
        method: "POST",
        body: bytes(v.body_hex),
        headers: [
          ["content-digest", v.value],
          ["signature-input", `eth=("@authority" "content-digest");created=1;expires=2;keyid="erc8128:1:0x${"00".repeat(20)}"`],
          ["signature", "eth=:AA==:"],
        ],
      });
    } catch {
      return { ok: false, reason: "bad_content_digest" };
    }
    const result = await atTime(1, () =>
      verifyRequest({
        request,
        verifyMessage: () => true,
        nonceStore: { consume: async () => true },
        policy: { now: () => 1, replayable: true, replayableNotBefore: () => null, classBoundPolicies: [["@authority", "content-digest"]] },
      }),
    );
    return result.ok ? { ok: true } : { ok: false, reason: "bad_content_digest", sdk_reason: result.reason };
  },

  // The SDK exports no signature-base builder: its verifier hands the base to verifyMessage and
  // to replayableInvalidated, so the base is captured there, every gate unrelated to the base
  // opened as far as the public policy allows. A request that still stops at such a gate
  // (keyid not erc8128:, missing created/expires/keyid, coverage without @authority, a digest
  // check) cannot be expressed: the test is skipped at run time, and counted.
  "signature_base.json": async (_group, v) => {
    let base;
    let result;
    try {
      ({ base, result } = await captureSignatureBase(
        fetchRequest(v.request, [["signature", `${v.label}=:AA==:`]]), v.label));
    } catch (error) {
      return { ok: false, reason: "signature_input_invalid", thrown: `${error?.name}: ${error?.code ?? error?.message}` };
    }
    if (base !== null) return { ok: true, base };
    const gates = ["bad_keyid", "bad_time", "not_request_bound", "class_bound_not_allowed", "digest_required", "digest_mismatch", "bad_signature_bytes"];
    const profileGate = result.reason === "bad_signature_input" && (result.detail ?? "").startsWith("Missing or invalid created/expires/keyid");
    if (gates.includes(result.reason) || profileGate) {
      return { unsupported: `the SDK's verifier stops at ${result.reason} before building the base` };
    }
    return { ok: false, reason: VERIFY_REASON[result.reason] ?? result.reason, sdk_reason: result.reason };
  },

  "sign_request.json": async (_group, v) => {
    let signer;
    try {
      signer = privateKeyToAccount(hex0x(v.private_key_hex));
    } catch {
      return { ok: false, reason: "invalid_private_key" };
    }
    const options = {
      label: v.label,
      created: v.created,
      expires: v.expires,
      contentDigest: "auto",
      ...(v.nonce === null ? { replay: "replayable" } : { replay: "non-replayable", nonce: v.nonce }),
    };
    if (v.components !== null) Object.assign(options, { binding: "class-bound", components: v.components });
    const sdkSigner = {
      chainId: Number(v.chain_ids.chain_id),
      address: signer.address,
      signMessage: (message) => signer.signMessage({ message: { raw: message } }),
    };
    try {
      const signed = await atTime(v.created, () => signRequest(fetchRequest(v.request), sdkSigner, options));
      return { ok: true, headers: [...signed.headers] };
    } catch (error) {
      return { ok: false, reason: error?.code ?? String(error) };
    }
  },

  "verify_request.json": async (_group, v) => {
    const store = replayStore();
    for (const prior of v.prior ?? []) await verifyOnce(prior.request, prior.now, v.policy, store);
    return verifyOnce(v.request, v.now, v.policy, store);
  },

  "replay.json": async (_group, v) => {
    const store = replayStore();
    const steps = [];
    for (const step of v.steps) steps.push(await verifyOnce(step.request, step.now, v.policy, store));
    return { ok: true, steps };
  },
};

// ---------------------------------------------------------------------------------------------
// Judging (vectors/README.md "Writing a runner", step 4): a list of what differs, empty = pass.
// ---------------------------------------------------------------------------------------------

const OUTPUTS = {
  "keccak256.json": ["digest_hex"],
  "erc191_hash.json": ["prefixed_hex", "hash_hex"],
  "erc191_sign.json": ["signature_hex", "hash_hex", "address"],
  "erc191_recover.json": ["address"],
  "keyid.json": ["chain_id", "address"],
  "signature_base.json": ["base"],
  ContentDigestCreateTest: ["value"],
  ContentDigestVerifyTest: [], // the SDK does not say which members matched
  "verify_request.json": ["address", "chain_id", "keyid", "label", "replayable", "request_bound", "covered", "nonce_consumed"],
};
const VERIFY_OUTPUTS = OUTPUTS["verify_request.json"];
const REASON_CHECKED = new Set(["verify_request.json", "replay.json"]);

function expectedValue(vector, key) {
  return key === "chain_id" ? vector.chain_ids?.chain_id ?? null : vector[key];
}

function differences(file, expected, got, keys) {
  const problems = [];
  const result = expected.result;
  if (result === "acceptable") return problems;
  if (result === "valid" && !got.ok) {
    return [`expected valid, got ${got.reason}${got.sdk_reason ? ` (SDK ${got.sdk_reason})` : ""}${got.thrown ? ` (thrown ${got.thrown})` : ""}`];
  }
  if (result === "invalid") {
    if (got.ok) return [`expected ${expected.reason ?? "a failure"}, got valid`];
    if (REASON_CHECKED.has(file) && (got.reason !== expected.reason || got.status !== expected.status)) {
      problems.push(`expected ${expected.reason} ${expected.status}, got ${got.reason} ${got.status}${got.sdk_reason ? ` (SDK ${got.sdk_reason})` : ""}`);
    }
    return problems;
  }
  for (const key of keys) {
    if (!(key in expected)) continue;
    const want = expectedValue(expected, key);
    if (JSON.stringify(want) !== JSON.stringify(got[key])) {
      problems.push(`${key}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got[key])}`);
    }
  }
  return problems;
}

// sign_request: the header list compared as fetch holds it (tag fidelity:header-order: fetch
// sorts and lower-cases names and joins repeated lines with ", ", RFC 9421's combined value).
function combined(list) {
  const byName = new Map();
  for (const [name, value] of list) {
    const key = name.toLowerCase();
    byName.set(key, byName.has(key) ? `${byName.get(key)}, ${value}` : value);
  }
  return [...byName];
}

function signDifferences(vector, got) {
  if (vector.result === "invalid") return got.ok ? ["expected a refusal, got a signed request"] : [];
  if (!got.ok) return [`expected a signed request, got ${got.reason}`];
  const canonical = (list) => combined(list).map(([n, v]) => `${n}: ${v}`).sort();
  const want = canonical(vector.headers.filter(([n]) => n.toLowerCase() !== "host"));
  const have = canonical(got.headers.filter(([n]) => n.toLowerCase() !== "host"));
  return JSON.stringify(want) === JSON.stringify(have)
    ? []
    : [`headers: expected ${JSON.stringify(want)}, got ${JSON.stringify(have)}`];
}

function judge(file, group, vector, got) {
  if (file === "sign_request.json") return signDifferences(vector, got);
  if (file === "replay.json") {
    return vector.steps.flatMap((step, i) =>
      differences("replay.json", { ...step, chain_ids: { chain_id: vector.chain_ids?.steps_chain_id?.[i] } }, got.steps[i], VERIFY_OUTPUTS).map(
        (p) => `step ${i + 1}: ${p}`,
      ),
    );
  }
  return differences(file, vector, got, OUTPUTS[file] ?? OUTPUTS[group.type] ?? []);
}

// ---------------------------------------------------------------------------------------------
// One node:test test per vector test; a summary line at the end.
// ---------------------------------------------------------------------------------------------

const counts = { total: 0, run: 0, passed: 0, expectedFailures: 0, skipped: 0 };
const skippedBy = new Map();

for (const file of FILES) {
  for (const group of DOCUMENTS[file].testGroups) {
    for (const vector of group.tests) {
      const id = `${file.replace(/\.json$/, "")}/${vector.tcId}`;
      const skip = skipReason(file, group, vector);
      counts.total += 1;
      if (skip) {
        counts.skipped += 1;
        const key = skip.split(":")[0] === "tag" ? skip.split(": ")[0] : skip;
        skippedBy.set(key, (skippedBy.get(key) ?? 0) + 1);
      } else {
        counts.run += 1;
      }
      test(`${id} ${vector.comment}`, { skip: skip ?? false }, async (t) => {
        const got = await OPERATIONS[file](group, vector);
        if (got.unsupported) {
          counts.run -= 1;
          counts.skipped += 1;
          skippedBy.set("at run time: the SDK cannot express it", (skippedBy.get("at run time: the SDK cannot express it") ?? 0) + 1);
          t.skip(got.unsupported);
          return;
        }
        const problems = judge(file, group, vector, got);
        const expected = EXPECTED_FAILURES.get(id);
        if (expected === undefined) {
          assert.deepEqual(problems, [], `${id}: ${problems.join("; ")}`);
          counts.passed += 1;
          return;
        }
        assert.notDeepEqual(problems, [], `${id} is listed as an expected failure (${expected.deviation ?? expected.reason}) but now conforms: remove the entry`);
        counts.expectedFailures += 1;
        t.diagnostic(`expected failure ${id} (${expected.deviation ?? "listed"}): ${problems.join("; ")}`);
      });
    }
  }
}

after(() => {
  const lines = [
    `slicekit native vectors: ${counts.total} tests, ${counts.run} run natively (${counts.passed} conform, ${counts.expectedFailures} expected failures), ${counts.skipped} skipped`,
    ...[...skippedBy].sort((a, b) => b[1] - a[1]).map(([why, n]) => `  skipped ${n}: ${why}`),
  ];
  for (const line of lines) process.stdout.write(`${line}\n`);
});
