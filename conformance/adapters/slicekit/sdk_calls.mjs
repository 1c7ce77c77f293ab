// Calling @slicekit/erc8128 under the vectors' conditions, shared by adapter.mjs,
// vectors.test.mjs and bench_verify.mjs: the SDK's clock pinned to a vector's time, and the
// Content-Digest and signature base the SDK builds for a request, captured.

import { signRequest, verifyRequest } from "@slicekit/erc8128";

// Run `fn` with Date.now pinned to `seconds` (the SDK's only clock is Date.now).
export async function atTime(seconds, fn) {
  const realNow = Date.now;
  Date.now = () => seconds * 1000;
  try {
    return await fn();
  } finally {
    Date.now = realNow;
  }
}

// The SDK has no signature-base function: it builds the base inside verifyRequest and hands it
// to verifyMessage (as ERC-191 `message.raw`, 0x-hex) or, for a Replayable signature, to
// replayableInvalidated. Every gate unrelated to the base is opened as far as the public policy
// allows. Returns { base, result }: base is the latin1 text of the first base seen (null when
// none was built), result is what verifyRequest answered. What verifyRequest throws propagates.
export async function captureSignatureBase(request, label) {
  let base = null;
  const capture = (raw) => {
    if (base === null) base = Buffer.from(raw).toString("latin1");
  };
  const far = Number.MAX_SAFE_INTEGER;
  const result = await atTime(0, () =>
    verifyRequest({
      request,
      verifyMessage: ({ message }) => {
        const hex = message.raw.startsWith("0x") ? message.raw.slice(2) : message.raw;
        capture(Buffer.from(hex, "hex"));
        return false;
      },
      nonceStore: { consume: async () => true },
      policy: {
        label,
        strictLabel: true,
        now: () => 0,
        clockSkewSec: far,
        maxValiditySec: far,
        replayable: true,
        replayableNotBefore: () => null,
        replayableInvalidated: ({ signatureBase }) => {
          capture(signatureBase);
          return true;
        },
        classBoundPolicies: [["@authority"]],
        maxSignatureVerifications: 64,
      },
    }),
  );
  return { base, result };
}

// The SDK exports no digest function; its signRequest computes one (contentDigest "recompute"),
// here with a placeholder signer. Returns the Content-Digest value for `body` (bytes).
export async function contentDigestOf(body) {
  const signer = { chainId: 1, address: `0x${"00".repeat(20)}`, signMessage: async () => "0x00" };
  const signed = await atTime(1, () =>
    signRequest(new Request("https://content-digest.invalid/", { method: "POST", body }), signer, {
      binding: "class-bound",
      components: ["@authority", "content-digest"],
      contentDigest: "recompute",
      replay: "replayable",
      created: 1,
      expires: 2,
    }),
  );
  return signed.headers.get("content-digest");
}
