// Conformance adapter for @slicekit/erc8128 (ERC-8128 February text = profile "legacy").
//
// Speaks the JSON-lines protocol of /conformance (draft 1): one request object per stdin line,
// exactly one response object per stdout line, nothing else on stdout (diagnostics go to stderr).
// Requests are answered strictly in order. The adapter never reads the real clock and never draws
// randomness: times come from the request (`created`, `now`), and while the SDK runs, Date.now is
// pinned to the injected time so that no code path inside the SDK can see the wall clock.
//
// Which library answers which operation (see README.md):
//   keccak256, personal_message_hash, sign_message, recover_address, address_of -> viem
//   content_digest, verify_content_digest, signature_base, parse_keyid,
//   sign_request, verify_request                                         -> @slicekit/erc8128
//   (EOA signature checks inside verify_request: viem's verifyMessage, the function the SDK's
//   README passes in; secp256k1 signing inside sign_request: viem's account.signMessage.)

import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { createRequire } from "node:module";

import {
  Erc8128Error,
  parseKeyId,
  signRequest,
  verifyRequest,
} from "@slicekit/erc8128";
import {
  hashMessage,
  keccak256,
  recoverAddress,
  verifyMessage,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";

// Nothing but protocol lines may reach stdout: route every console method there to stderr.
console.log = console.error;
console.info = console.error;
console.debug = console.error;

const require = createRequire(import.meta.url);

function packageVersion(name) {
  const path = require.resolve(`${name}/package.json`, { paths: [process.cwd(), import.meta.dirname] });
  return JSON.parse(readFileSync(path, "utf8")).version;
}

function sdkVersion() {
  // The SDK's package.json is not exported; read it next to its entry point.
  const entry = require.resolve("@slicekit/erc8128");
  const root = entry.slice(0, entry.lastIndexOf("/dist/"));
  return JSON.parse(readFileSync(`${root}/package.json`, "utf8")).version;
}

const SDK_NAME = "@slicekit/erc8128";
const SDK_VERSION = sdkVersion();
const VIEM_VERSION = packageVersion("viem");

const OPERATIONS = [
  "hello",
  "keccak256",
  "personal_message_hash",
  "sign_message",
  "recover_address",
  "address_of",
  "content_digest",
  "verify_content_digest",
  "signature_base",
  "parse_keyid",
  "sign_request",
  "verify_request",
  "reset_replay_session",
];

import { THROWN_REASON, VERIFY_REASON, httpStatus } from "./reasons.mjs";
import { atTime, captureSignatureBase, contentDigestOf } from "./sdk_calls.mjs";

// ---------------------------------------------------------------------------------------------
// Control flow: typed outcomes thrown by the handlers and turned into one response line.
// ---------------------------------------------------------------------------------------------

class Rejected extends Error {
  constructor(reason, message, extra = {}) {
    super(message);
    this.reason = reason;
    this.extra = extra;
  }
}

class Unsupported extends Error {}

function sdkError(err, withStatus) {
  if (!(err instanceof Erc8128Error)) {
    // Not one of the SDK's own errors (e.g. a TypeError from fetch's Headers.get for a component
    // name such as "@foo"): what an application would see as an unhandled exception, HTTP 500.
    const extra = { sdk_reason: err instanceof Error ? err.name : typeof err };
    if (withStatus) extra.status = 500;
    return new Rejected("sdk_exception", err instanceof Error ? err.message : String(err), extra);
  }
  const reason = THROWN_REASON[err.code] ?? "sdk_error";
  const extra = { sdk_reason: err.code };
  if (withStatus) extra.status = httpStatus(reason);
  return new Rejected(reason, err.message, extra);
}

// ---------------------------------------------------------------------------------------------
// Input decoding (the edge): hex, requests, keys.
// ---------------------------------------------------------------------------------------------

function field(obj, name) {
  if (obj === null || typeof obj !== "object" || !(name in obj)) {
    throw new Rejected("adapter_bad_request", `missing field ${JSON.stringify(name)}`);
  }
  return obj[name];
}

function hexBytes(value, name) {
  if (typeof value !== "string" || !/^(?:[0-9a-fA-F]{2})*$/.test(value)) {
    throw new Rejected("adapter_bad_request", `${name}: expected even-length hex without 0x, got ${JSON.stringify(value)}`);
  }
  return Uint8Array.from(value.match(/../g) ?? [], (pair) => Number.parseInt(pair, 16));
}

function hex0x(value, name) {
  hexBytes(value, name);
  return `0x${value.toLowerCase()}`;
}

function strip0x(hex) {
  return hex.startsWith("0x") ? hex.slice(2).toLowerCase() : hex.toLowerCase();
}

function account(privateKeyHex) {
  const key = hex0x(privateKeyHex, "private_key_hex");
  try {
    return privateKeyToAccount(key);
  } catch (err) {
    throw new Rejected("invalid_key", `viem rejected the private key: ${err.message.split("\n")[0]}`);
  }
}

function requireLegacy(req) {
  const profile = req.profile ?? "legacy";
  if (profile !== "legacy") {
    throw new Unsupported(`profile ${JSON.stringify(profile)}: the SDK speaks the February text only`);
  }
}

// A protocol request -> a fetch Request, the only input shape the SDK takes. The fetch layer
// itself lower-cases field names, joins repeated fields with ", ", strips leading/trailing
// whitespace, refuses CR/LF/NUL in values, refuses a body on GET/HEAD and parses the URL with the
// WHATWG URL parser; requests it cannot represent are `unsupported`.
function fetchRequest(shape, extraHeaders = []) {
  const method = field(shape, "method");
  const url = field(shape, "url");
  const headers = shape.headers ?? [];
  if (typeof method !== "string" || typeof url !== "string" || !Array.isArray(headers)) {
    throw new Rejected("adapter_bad_request", "request: method and url must be strings, headers a list");
  }
  const list = [];
  for (const pair of [...headers, ...extraHeaders]) {
    if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== "string" || typeof pair[1] !== "string") {
      throw new Rejected("adapter_bad_request", `request.headers: expected [name, value] strings, got ${JSON.stringify(pair)}`);
    }
    list.push([pair[0], pair[1]]);
  }
  const init = { method, headers: new Headers() };
  try {
    for (const [name, value] of list) init.headers.append(name, value);
  } catch (err) {
    throw new Unsupported(`fetch Headers cannot carry this field: ${err.message}`);
  }
  if (shape.body_hex !== undefined && shape.body_hex !== null) {
    init.body = hexBytes(shape.body_hex, "request.body_hex");
  }
  try {
    return new Request(url, init);
  } catch (err) {
    throw new Unsupported(`fetch Request cannot represent this request: ${err.message}`);
  }
}

function headerList(request) {
  const out = [];
  for (const [name, value] of request.headers) out.push([name, value]);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Replay sessions: the SDK's NonceStore interface over an in-memory Map.
// A reservation made at `now` with ttlSeconds lives while now' < now + ttlSeconds, measured on
// the injected clock (what a TTL cache such as Redis SET NX EX does on a real clock).
// ---------------------------------------------------------------------------------------------

const sessions = new Map();

function nonceStore(sessionId, now, observe) {
  let entries;
  if (typeof sessionId === "string") {
    if (!sessions.has(sessionId)) sessions.set(sessionId, new Map());
    entries = sessions.get(sessionId);
  } else {
    entries = new Map();
  }
  return {
    async consume(key, ttlSeconds) {
      observe.calls.push({ key, ttl_seconds: ttlSeconds });
      const liveUntil = entries.get(key);
      if (liveUntil !== undefined && now < liveUntil) return false;
      entries.set(key, now + ttlSeconds);
      observe.consumed = true;
      return true;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Operations.
// ---------------------------------------------------------------------------------------------

function opHello() {
  return {
    implementation: { name: SDK_NAME, version: SDK_VERSION, language: "typescript" },
    operations: OPERATIONS,
    profiles: ["legacy"],
    // viem signs with @noble/curves, RFC 6979 deterministic nonces.
    capabilities: ["rfc6979"],
    libraries: { [SDK_NAME]: SDK_VERSION, viem: VIEM_VERSION, node: process.versions.node },
  };
}

function opKeccak256(req) {
  const data = hexBytes(field(req, "data_hex"), "data_hex");
  return { digest_hex: strip0x(keccak256(data)) };
}

function opPersonalMessageHash(req) {
  const message = hex0x(field(req, "message_hex"), "message_hex");
  return { hash_hex: strip0x(hashMessage({ raw: message })) };
}

async function opSignMessage(req) {
  const signer = account(field(req, "private_key_hex"));
  const message = hex0x(field(req, "message_hex"), "message_hex");
  return { signature_hex: strip0x(await signer.signMessage({ message: { raw: message } })) };
}

async function opRecoverAddress(req) {
  const hash = hexBytes(field(req, "hash_hex"), "hash_hex");
  const signature = hex0x(field(req, "signature_hex"), "signature_hex");
  // viem has no strict mode: `strict` cannot be honoured and is not consulted (deviations.json).
  try {
    const address = await recoverAddress({ hash, signature });
    return { address: address.toLowerCase() };
  } catch (err) {
    throw new Rejected("recovery_failed", `viem recoverAddress: ${err.message.split("\n")[0]}`, {
      sdk_reason: err.name ?? "Error",
    });
  }
}

function opAddressOf(req) {
  const signer = account(field(req, "private_key_hex"));
  return { address: signer.address.toLowerCase(), checksum_address: signer.address };
}

function opParseKeyid(req) {
  requireLegacy(req);
  const keyid = field(req, "keyid");
  if (typeof keyid !== "string") throw new Rejected("adapter_bad_request", "keyid must be a string");
  const parsed = parseKeyId(keyid);
  if (parsed === null) {
    throw new Rejected("invalid_keyid", `parseKeyId returned null for ${JSON.stringify(keyid)}`, {
      sdk_reason: "bad_keyid",
    });
  }
  return { chain_id: parsed.chainId, address: parsed.address.toLowerCase() };
}

// A keyid that names no real signer: used where the SDK's public API only reaches a building
// block (its Content-Digest check) through verifyRequest.
const PLACEHOLDER_KEYID = "erc8128:1:0x0000000000000000000000000000000000000000";

async function opContentDigest(req) {
  const body = hexBytes(field(req, "body_hex"), "body_hex");
  const algorithms = req.algorithms ?? ["sha-256"];
  if (!Array.isArray(algorithms) || algorithms.length !== 1 || algorithms[0] !== "sha-256") {
    throw new Unsupported("the SDK computes sha-256 Content-Digest only");
  }
  return { value: await contentDigestOf(body) };
}

async function opVerifyContentDigest(req) {
  const body = hexBytes(field(req, "body_hex"), "body_hex");
  const value = field(req, "value");
  if (typeof value !== "string") throw new Rejected("adapter_bad_request", "value must be a string");
  // The SDK's digest check runs inside verifyRequest, for a signature covering content-digest.
  // Everything around it is stubbed to pass, so the verdict is the digest check's alone.
  let request;
  try {
    request = new Request("https://content-digest.invalid/", {
      method: "POST",
      body,
      headers: [
        ["content-digest", value],
        ["signature-input", `eth=("@authority" "content-digest");created=1;expires=2;keyid="${PLACEHOLDER_KEYID}"`],
        ["signature", "eth=:AA==:"],
      ],
    });
  } catch (err) {
    throw new Rejected("bad_content_digest", `fetch Headers refused the value: ${err.message}`, {
      sdk_reason: "fetch_headers",
    });
  }
  const result = await atTime(1, () =>
    verifyRequest({
      request,
      verifyMessage: () => true,
      nonceStore: { consume: async () => true },
      policy: {
        now: () => 1,
        replayable: true,
        replayableNotBefore: () => null,
        classBoundPolicies: [["@authority", "content-digest"]],
      },
    }),
  );
  if (result.ok) return {};
  if (result.reason === "digest_mismatch" || result.reason === "digest_required") {
    throw new Rejected("bad_content_digest", `SDK verifyRequest answered ${result.reason}`, {
      sdk_reason: result.reason,
    });
  }
  throw new Error(`digest probe reached an unexpected SDK answer ${result.reason}`);
}

// The SDK's verifier reaches its signature-base builder only after parsing, keyid, coverage,
// time, nonce and digest gates. The base is captured at the verifyMessage /
// replayableInvalidated hooks (both receive it); every gate that does not concern the base is
// opened as far as the public policy allows. Requests that stop at such a gate are `unsupported`.
const BASE_GATES = new Set([
  "bad_keyid",
  "bad_time",
  "not_request_bound",
  "class_bound_not_allowed",
  "digest_required",
  "digest_mismatch",
  "bad_signature_bytes",
]);

async function opSignatureBase(req) {
  const label = field(req, "label");
  if (typeof label !== "string") throw new Rejected("adapter_bad_request", "label must be a string");
  const shape = field(req, "request");
  // Signature bytes play no part in the base; a placeholder member for the label (appended, so it
  // wins over any received one) keeps the SDK's Signature-Input/Signature pairing happy.
  const request = fetchRequest(shape, [["signature", `${label}=:AA==:`]]);
  let base;
  let result;
  try {
    ({ base, result } = await captureSignatureBase(request, label));
  } catch (err) {
    throw sdkError(err, true);
  }
  if (base !== null) return { base };
  // The SDK's parser also demands the ERC-8128 parameters (created, expires, keyid): a profile
  // gate, not a base-construction failure.
  const profileGate = result.reason === "bad_signature_input" && (result.detail ?? "").startsWith("Missing or invalid created/expires/keyid");
  if (BASE_GATES.has(result.reason) || profileGate) {
    throw new Unsupported(`the SDK's verifier stops at ${result.reason} before building the base`);
  }
  const reason = VERIFY_REASON[result.reason] ?? result.reason;
  throw new Rejected(reason, `SDK verifyRequest answered ${result.reason}${result.detail ? `: ${result.detail}` : ""}`, {
    sdk_reason: result.reason,
    status: httpStatus(reason),
  });
}

async function opSignRequest(req) {
  requireLegacy(req);
  const shape = field(req, "request");
  const signer = account(field(req, "private_key_hex"));
  const chainId = field(req, "chain_id");
  const created = field(req, "created");
  const expires = field(req, "expires");
  const nonce = req.nonce ?? null;
  const label = req.label ?? "eth";
  const components = req.components ?? null;
  const params = req.params ?? {};
  if (params === null || typeof params !== "object" || Object.keys(params).length > 0) {
    throw new Unsupported("the SDK's SignOptions accept no extra signature parameters");
  }
  if (nonce !== null && typeof nonce !== "string") {
    throw new Rejected("adapter_bad_request", "nonce must be a string or null");
  }
  if (components !== null && (!Array.isArray(components) || components.some((c) => typeof c !== "string"))) {
    throw new Rejected("adapter_bad_request", "components must be a list of strings or null");
  }
  const request = fetchRequest(shape);
  const options = {
    label,
    created,
    expires,
    contentDigest: "auto",
    ...(nonce === null ? { replay: "replayable" } : { replay: "non-replayable", nonce }),
  };
  if (components !== null) {
    // SignOptions.binding "class-bound" signs `components` in the order given (after trimming and
    // dropping empty names; "@authority" is put first when missing). With "request-bound" the SDK
    // would reorder them behind its own default list.
    options.binding = "class-bound";
    options.components = components;
  }
  const sdkSigner = {
    chainId,
    address: signer.address,
    signMessage: (message) => signer.signMessage({ message: { raw: message } }),
  };
  let signed;
  try {
    signed = await atTime(typeof created === "number" ? created : 0, () => signRequest(request, sdkSigner, options));
  } catch (err) {
    throw sdkError(err, false);
  }
  return { headers: headerList(signed) };
}

function verifyPolicy(policy, now) {
  // The policy document's fields, as reference/erc8128/protocol/policy_document.py lists them:
  // cross-language data, repeated on purpose (deliberate; duplicate scan).
  const known = new Set([
    "skew_sec",
    "max_validity_sec",
    "served_chains",
    "replay",
    "class_bound",
    "required_components",
    "content_digest",
    "denied_principals",
    "not_before",
    "invalidated_signatures",
    "honor_mode_eoa",
    "account_state",
  ]);
  for (const name of Object.keys(policy)) {
    if (!known.has(name)) throw new Unsupported(`policy field ${name} is unknown to this adapter`);
  }
  const skew = policy.skew_sec ?? 30;
  const maxValidity = policy.max_validity_sec ?? 300;
  const served = policy.served_chains ?? [1];
  if (JSON.stringify(served) !== "[1]") {
    throw new Unsupported("the SDK has no served-chains option (it accepts every chain id)");
  }
  const replay = policy.replay ?? "non-replayable";
  if (replay !== "non-replayable" && replay !== "either") {
    throw new Rejected("adapter_bad_request", `policy.replay: unknown value ${JSON.stringify(replay)}`);
  }
  if ((policy.content_digest ?? "request-body") !== "request-body") {
    throw new Unsupported("the SDK requires content-digest only for requests with a body");
  }
  if ((policy.denied_principals ?? []).length > 0) {
    throw new Unsupported("the SDK has no principal deny-list option");
  }
  const accountState = policy.account_state ?? "no-code";
  if (accountState !== "no-code" && accountState !== "unavailable") {
    throw new Unsupported(`policy.account_state ${JSON.stringify(accountState)}`);
  }
  const required = policy.required_components ?? [];
  const notBefore = {};
  for (const [address, seconds] of Object.entries(policy.not_before ?? {})) {
    notBefore[address.toLowerCase()] = seconds;
  }
  const invalidated = new Set((policy.invalidated_signatures ?? []).map((f) => strip0x(String(f))));
  const sdkPolicy = {
    now: () => now,
    clockSkewSec: skew,
    maxValiditySec: maxValidity,
    replayable: replay === "either",
    additionalRequestBoundComponents: required,
  };
  if (policy.class_bound === true) {
    sdkPolicy.classBoundPolicies = [["@authority", ...required]];
  }
  if (replay === "either") {
    sdkPolicy.replayableNotBefore = (keyid) => {
      const parsed = parseKeyId(keyid);
      return parsed ? notBefore[parsed.address.toLowerCase()] ?? null : null;
    };
    // A fingerprint matches the raw signature hex or keccak256 of the signature base.
    sdkPolicy.replayableInvalidated = ({ signature, signatureBase }) =>
      invalidated.has(strip0x(signature)) || invalidated.has(strip0x(keccak256(signatureBase)));
  }
  const verify =
    accountState === "unavailable"
      ? async () => {
          throw new Error("account-state provider unavailable");
        }
      : verifyMessage;
  return { sdkPolicy, verify };
}

async function opVerifyRequest(req) {
  requireLegacy(req);
  const now = field(req, "now");
  if (!Number.isInteger(now)) throw new Rejected("adapter_bad_request", "now must be an integer");
  const policy = req.policy ?? {};
  if (policy === null || typeof policy !== "object") throw new Rejected("adapter_bad_request", "policy must be an object");
  const request = fetchRequest(field(req, "request"));
  const { sdkPolicy, verify } = verifyPolicy(policy, now);
  const observe = { consumed: false, calls: [] };
  const store = nonceStore(req.replay_session, now, observe);
  let result;
  try {
    result = await atTime(now, () => verifyRequest({ request, verifyMessage: verify, nonceStore: store, policy: sdkPolicy }));
  } catch (err) {
    throw sdkError(err, true);
  }
  if (!result.ok) {
    const reason = VERIFY_REASON[result.reason] ?? result.reason;
    throw new Rejected(reason, `SDK verifyRequest answered ${result.reason}${result.detail ? `: ${result.detail}` : ""}`, {
      sdk_reason: result.reason,
      status: httpStatus(reason),
      nonce_consumed: observe.consumed,
    });
  }
  return {
    address: result.address.toLowerCase(),
    chain_id: result.chainId,
    keyid: result.params.keyid,
    label: result.label,
    replayable: result.replayable,
    request_bound: result.binding === "request-bound",
    covered: result.components,
    nonce_consumed: observe.consumed,
    nonce_ttl_seconds: observe.calls.length > 0 ? observe.calls[observe.calls.length - 1].ttl_seconds : null,
  };
}

function opResetReplaySession(req) {
  const id = field(req, "replay_session");
  if (typeof id !== "string") throw new Rejected("adapter_bad_request", "replay_session must be a string");
  sessions.delete(id);
  return {};
}

const HANDLERS = {
  hello: opHello,
  keccak256: opKeccak256,
  personal_message_hash: opPersonalMessageHash,
  sign_message: opSignMessage,
  recover_address: opRecoverAddress,
  address_of: opAddressOf,
  content_digest: opContentDigest,
  verify_content_digest: opVerifyContentDigest,
  signature_base: opSignatureBase,
  parse_keyid: opParseKeyid,
  sign_request: opSignRequest,
  verify_request: opVerifyRequest,
  reset_replay_session: opResetReplaySession,
};

// ---------------------------------------------------------------------------------------------
// Transport.
// ---------------------------------------------------------------------------------------------

async function answer(line) {
  let req;
  try {
    req = JSON.parse(line);
  } catch (err) {
    return { seq: null, error: { reason: "adapter_bad_json", message: `not a JSON line: ${err.message}` } };
  }
  const seq = req !== null && typeof req === "object" && Number.isInteger(req.seq) ? req.seq : null;
  if (seq === null || typeof req.op !== "string") {
    return { seq, error: { reason: "adapter_bad_request", message: "expected an object with integer seq and string op" } };
  }
  const handler = HANDLERS[req.op];
  if (handler === undefined) return { seq, unsupported: true, detail: `unknown op ${JSON.stringify(req.op)}` };
  try {
    return { seq, ok: await handler(req) };
  } catch (err) {
    if (err instanceof Unsupported) return { seq, unsupported: true, detail: err.message };
    if (err instanceof Rejected) return { seq, error: { reason: err.reason, message: err.message, ...err.extra } };
    console.error(`adapter: seq ${seq} op ${req.op}: unexpected exception`, err);
    const message = err instanceof Error ? err.message : String(err);
    return { seq, error: { reason: "adapter_internal", message } };
  }
}

function write(obj) {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

process.on("uncaughtException", (err) => console.error("adapter: uncaught", err));
process.on("unhandledRejection", (err) => console.error("adapter: unhandled rejection", err));

const lines = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
let queue = Promise.resolve();
lines.on("line", (line) => {
  if (line.trim() === "") return;
  queue = queue.then(async () => write(await answer(line)));
});
lines.on("close", () => {
  queue.then(() => process.exit(0));
});
