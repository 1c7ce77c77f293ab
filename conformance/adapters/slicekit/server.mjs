// A live ERC-8128 server built the way the SDK's README shows: node:http, a fetch Request per
// incoming request, @slicekit/erc8128 verifyRequest with viem's verifyMessage and an in-memory
// NonceStore. The conformance suite's live mode runs against it (tests/conformance/test_live.py):
//
//   node conformance/adapters/slicekit/server.mjs --port 0
//   erc8128 conformance --target http://127.0.0.1:PORT --profile legacy --post-path /api/echo
//
// Routes:
//   GET  /api/whoami            signed: 200 {"address", "chain_id", "label", "binding", "replay"}
//   POST /api/echo              signed, JSON body: 200 {"address", "body"}
//   GET  /.well-known/erc8128   the ERC-8128 §7 discovery document of the two routes
//
// Everything the SDK decides is the SDK's: the server adds only what an application must add
// around verifyRequest (the trusted origin, the HTTP answer of ERC-8128 §6: status,
// WWW-Authenticate challenge, application/problem+json with the stable code in `reason`, the
// SDK's own string in `sdk_reason`). The SDK takes only fetch Requests, so the target is parsed
// by the WHATWG URL parser, and the server routes on that parsed URL, as a fetch-style framework
// does. Headers are passed in wire order (fetch joins repeated fields with ", ").
//
// Policy: the SDK's defaults except clockSkewSec 30 (the SDK's default is 0; ERC-8128 §3.3.2
// "Verifiers SHOULD allow 30 seconds of clock skew") and maxValiditySec 300. The SDK has no
// served-chains option: it accepts every chain id.

import { createServer } from "node:http";
import { parseArgs } from "node:util";

import { Erc8128Error, verifyRequest } from "@slicekit/erc8128";
import { verifyMessage } from "viem";

import { THROWN_REASON, VERIFY_REASON, httpStatus } from "./reasons.mjs";

console.log = console.error;

const { values: args } = parseArgs({
  options: {
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: "8129" },
    "public-url": { type: "string" },
  },
});

const SKEW_SEC = 30;
const MAX_VALIDITY_SEC = 300;
const MAX_BODY_BYTES = 1024 * 1024;

// The replay state: key -> expiry (ms, real clock), a reservation per the SDK's
// NonceStore.consume(key, ttlSeconds) contract (like SET NX EX).
const nonces = new Map();
const nonceStore = {
  async consume(key, ttlSeconds) {
    const now = Date.now();
    const until = nonces.get(key);
    if (until !== undefined && now < until) return false;
    nonces.set(key, now + ttlSeconds * 1000);
    if (nonces.size > 100000) {
      for (const [k, t] of nonces) if (t <= now) nonces.delete(k);
    }
    return true;
  },
};

function discovery() {
  const policy = {
    max_validity_sec: MAX_VALIDITY_SEC,
    required_components: [],
    replay: "non-replayable",
    content_digest: "request-body",
  };
  return {
    max_validity_sec: MAX_VALIDITY_SEC,
    chains: ["eip155:1"],
    name: "@slicekit/erc8128 live conformance server",
    route_policies: {
      "/api/whoami": { methods: ["GET"], ...policy },
      "/api/echo": { methods: ["POST"], ...policy },
    },
  };
}

function send(res, status, document, headers = {}) {
  const body = Buffer.from(JSON.stringify(document));
  res.writeHead(status, { ...headers, "Content-Length": String(body.length) });
  res.end(body);
}

// ERC-8128 §6: the status of the code, "Every 401 response MUST include a challenge", and a
// problem+json body that "MUST include the same stable code in a `reason` extension".
function refuse(res, reason, sdkReason, detail) {
  const status = httpStatus(reason);
  send(res, status, { type: "about:blank", status, reason, sdk_reason: sdkReason, detail }, {
    "Content-Type": "application/problem+json",
    "WWW-Authenticate": `ERC8128 error="${reason}"`,
    "Cache-Control": "no-store",
  });
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on("data", (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error("body too large"));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

async function handle(req, res, origin) {
  const body = req.method === "GET" || req.method === "HEAD" ? null : await readBody(req);
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
  }
  let request;
  try {
    request = new Request(origin + req.url, {
      method: req.method,
      headers,
      body: body === null || body.length === 0 ? undefined : body,
    });
  } catch (err) {
    send(res, 400, { type: "about:blank", status: 400, reason: "bad_request", detail: String(err) },
      { "Content-Type": "application/problem+json" });
    return;
  }
  const path = new URL(request.url).pathname;
  if (path === "/.well-known/erc8128" && req.method === "GET") {
    send(res, 200, discovery(), { "Content-Type": "application/json", "Cache-Control": "max-age=300" });
    return;
  }
  const routes = { "/api/whoami": "GET", "/api/echo": "POST" };
  if (!(path in routes)) {
    send(res, 404, { type: "about:blank", status: 404, reason: "not_found" },
      { "Content-Type": "application/problem+json" });
    return;
  }
  if (routes[path] !== req.method) {
    send(res, 405, { type: "about:blank", status: 405, reason: "method_not_allowed" },
      { "Content-Type": "application/problem+json", Allow: routes[path] });
    return;
  }
  let result;
  try {
    result = await verifyRequest({
      request,
      verifyMessage,
      nonceStore,
      policy: { clockSkewSec: SKEW_SEC, maxValiditySec: MAX_VALIDITY_SEC },
    });
  } catch (err) {
    if (err instanceof Erc8128Error) {
      refuse(res, THROWN_REASON[err.code] ?? "signature_input_invalid", err.code, err.message);
    } else {
      // An exception escaping the SDK: what an application answers for an unhandled error.
      send(res, 500, { type: "about:blank", status: 500, reason: "sdk_exception",
        sdk_reason: err instanceof Error ? err.name : typeof err, detail: String(err) },
      { "Content-Type": "application/problem+json" });
    }
    return;
  }
  if (!result.ok) {
    refuse(res, VERIFY_REASON[result.reason] ?? "no_acceptable_signature", result.reason,
      result.detail);
    return;
  }
  const who = {
    address: result.address.toLowerCase(),
    chain_id: result.chainId,
    label: result.label,
    binding: result.binding,
    replay: result.replayable ? "replayable" : "non-replayable",
  };
  if (path === "/api/echo") {
    send(res, 200, { address: who.address, body: body.toString("utf8") },
      { "Content-Type": "application/json" });
    return;
  }
  send(res, 200, who, { "Content-Type": "application/json", "Cache-Control": "no-store" });
}

// 64 KiB of header section, so the SDK itself meets the 16 KiB Signature-Input limit checks
// (Node's default is 16 KiB for the whole section).
let origin = args["public-url"]?.replace(/\/$/, "");
const server = createServer({ maxHeaderSize: 65536 }, (req, res) => {
  handle(req, res, origin).catch((err) => {
    console.error(err);
    if (!res.headersSent) send(res, 500, { type: "about:blank", status: 500, reason: "server_error" });
  });
});

server.listen(Number(args.port), args.host, () => {
  const { address, port } = server.address();
  origin ??= `http://${address}:${port}`;
  process.stdout.write(`slicekit server: listening on http://${address}:${port}\n`);
});

for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => server.close(() => process.exit(0)));
