// ERC-8128 signing in the browser: the RFC 9421 signature base and the RFC 9530 Content-Digest.
// The wallet does the rest: personal_sign computes the ERC-191 hash of the base and signs it.
// This file holds no key and reads no clock of its own; every input is a parameter.
//
// It builds the draft profile's strongest posture (ERC-8128 §3.2.1 "Request-Bound, and
// Non-Replayable"): @scheme @authority @method @path @query, plus content-digest and
// content-type whenever those fields are sent, and a fresh 128-bit nonce.

const encoder = new TextEncoder();

export function bytesToHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function hexToBytes(hex) {
  const digits = hex.startsWith("0x") ? hex.slice(2) : hex;
  if (digits.length % 2 !== 0 || /[^0-9a-fA-F]/.test(digits)) {
    throw new Error("expected hex digits, got " + JSON.stringify(hex));
  }
  const bytes = new Uint8Array(digits.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(digits.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

// RFC 4648 §4 base64 (with padding), as RFC 9651 Byte Sequences use it.
export function base64(bytes) {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

// RFC 4648 §5 base64url without padding: the nonce alphabet of erc8128.sign.new_nonce.
export function base64url(bytes) {
  return base64(bytes).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

// RFC 9651 §4.1.6: an sf-string is DQUOTE, the characters with \ and " escaped, DQUOTE.
export function sfString(text) {
  if (!/^[\x20-\x7e]*$/.test(text)) throw new Error("sf-string: only printable ASCII");
  return '"' + text.replace(/\\/g, "\\\\").replace(/"/g, '\\"') + '"';
}

// RFC 9651 §4.1.5 Integer, §4.1.6 String: the parameter values ERC-8128 uses.
function sfBareItem(value) {
  if (typeof value === "number") {
    if (!Number.isInteger(value)) throw new Error("sf-integer: expected an integer");
    return String(value);
  }
  return sfString(value);
}

// RFC 9421 §2.3: the Signature-Input member, ("c1" "c2");key=value;... in the given order.
export function signatureParams(components, params) {
  const list = "(" + components.map(sfString).join(" ") + ")";
  return list + params.map(([key, value]) => ";" + key + "=" + sfBareItem(value)).join("");
}

// RFC 9421 §2.2 derived components, and §2.1 header fields (the values of every line with
// that name, each trimmed, joined by ", "). url is the effective target URI: its scheme and
// authority are the server's public URL, never where the page was loaded from.
export function componentValue(name, request) {
  const url = new URL(request.url);
  switch (name) {
    case "@scheme": return url.protocol.slice(0, -1).toLowerCase();
    case "@authority": return url.host; // lowercase host, default port left out (§2.2.3)
    case "@method": return request.method;
    case "@path": return url.pathname;
    case "@query": return url.search === "" ? "?" : url.search;
    default: {
      const values = request.headers
        .filter(([field]) => field.toLowerCase() === name)
        .map(([, value]) => value.trim());
      if (values.length === 0) throw new Error("covered field is absent: " + name);
      return values.join(", ");
    }
  }
}

// RFC 9421 §2.5: one `"name": value` line per covered component, then the
// "@signature-params" line; lines joined by LF, no trailing newline.
export function signatureBase(request, components, paramsText) {
  const lines = components.map((name) => sfString(name) + ": " + componentValue(name, request));
  lines.push('"@signature-params": ' + paramsText);
  const base = lines.join("\n");
  if (!/^[\x20-\x7e\n]*$/.test(base)) throw new Error("the signature base must be ASCII");
  return base;
}

// RFC 9530 §2: Content-Digest: sha-256=:<base64 of SHA-256(content)>:
export async function contentDigest(bodyBytes) {
  if (!globalThis.crypto || !crypto.subtle) {
    throw new Error("WebCrypto is not available: open the page over https or on localhost");
  }
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bodyBytes));
  return "sha-256=:" + base64(digest) + ":";
}

export function newNonce() {
  return base64url(crypto.getRandomValues(new Uint8Array(16))); // 128 bits (ERC-8128 §3.1.2)
}

// Sign a request for the draft profile. `sign(base)` is the wallet: it returns the 65-byte
// signature r || s || v as 0x-hex. Returns the headers to send and every intermediate value.
export async function signRequest({ method, url, headers = [], body = null, address, chainId,
                                    created, validity = 60, nonce, sign, label = "eth" }) {
  const request = { method, url, headers: headers.slice() };
  const bodyBytes = body === null ? new Uint8Array() : encoder.encode(body);
  const components = ["@scheme", "@authority", "@method", "@path", "@query"];
  let digest = null;
  if (bodyBytes.length > 0) {
    // ERC-8128 §3.1.3: "A signer sending non-empty content MUST generate Content-Digest".
    digest = await contentDigest(bodyBytes);
    request.headers.push(["Content-Digest", digest]);
    components.push("content-digest");
  }
  if (request.headers.some(([field]) => field.toLowerCase() === "content-type")) {
    components.push("content-type"); // §3.1.1: "Whenever Content-Type is received"
  }
  const keyid = "eip155:" + chainId + ":" + address.toLowerCase();
  const params = [["created", created], ["expires", created + validity], ["nonce", nonce],
                  ["keyid", keyid], ["tag", "erc8128"]];
  const paramsText = signatureParams(components, params);
  const base = signatureBase(request, components, paramsText);
  const signature = normaliseV(hexToBytes(await sign(base)));
  request.headers.push(["Signature-Input", label + "=" + paramsText]);
  request.headers.push(["Signature", label + "=:" + base64(signature) + ":"]);
  return { headers: request.headers, body: bodyBytes.length > 0 ? body : null, base, keyid,
           contentDigest: digest, signature: "0x" + bytesToHex(signature) };
}

// ERC-8128 §3.4.3 wants v as 27 or 28; some wallets answer 0 or 1 (decision D59).
function normaliseV(signature) {
  if (signature.length !== 65) throw new Error("expected a 65-byte signature from the wallet");
  if (signature[64] < 27) signature[64] += 27;
  return signature;
}

// personal_sign takes the message as 0x-hex of its bytes (EIP-1193 wallets; ERC-191).
export function personalSignParams(base, address) {
  return ["0x" + bytesToHex(encoder.encode(base)), address];
}

// ---- H, the signature's fingerprint (SPEC.md D9) ----------------------------------------------
// Keccak-256 as Ethereum uses it (the original Keccak padding 0x01 ... 0x80, not SHA3's 0x06),
// written from the Keccak reference (FIPS 202 §3.2 step mappings, rate 1088 bits). Lanes are
// BigInts: slow, but the console hashes a few hundred bytes per action.
const MASK64 = (1n << 64n) - 1n;
const RATE_BYTES = 136;

// ι round constants from the LFSR x^8 + x^6 + x^5 + x^4 + 1 (FIPS 202 §3.2.5 rc(t)).
const ROUND_CONSTANTS = (() => {
  const constants = [];
  let lfsr = 1;
  for (let round = 0; round < 24; round++) {
    let constant = 0n;
    for (let j = 0; j < 7; j++) {
      if (lfsr & 1) constant |= 1n << BigInt((1 << j) - 1);
      lfsr = lfsr & 0x80 ? ((lfsr << 1) ^ 0x71) & 0xff : (lfsr << 1) & 0xff;
    }
    constants.push(constant);
  }
  return constants;
})();

// ρ offsets (FIPS 202 §3.2.2): (t+1)(t+2)/2 mod 64 along the walk (x, y) -> (y, 2x+3y).
const ROTATIONS = (() => {
  const offsets = new Array(25).fill(0);
  let x = 1, y = 0;
  for (let t = 0; t < 24; t++) {
    offsets[x + 5 * y] = ((t + 1) * (t + 2) / 2) % 64;
    [x, y] = [y, (2 * x + 3 * y) % 5];
  }
  return offsets;
})();

function rotl(lane, bits) {
  if (bits === 0) return lane;
  const n = BigInt(bits);
  return ((lane << n) | (lane >> (64n - n))) & MASK64;
}

function keccakF(state) {
  for (let round = 0; round < 24; round++) {
    const c = [0, 1, 2, 3, 4].map((x) =>
      state[x] ^ state[x + 5] ^ state[x + 10] ^ state[x + 15] ^ state[x + 20]);
    for (let x = 0; x < 5; x++) {                                         // θ
      const d = c[(x + 4) % 5] ^ rotl(c[(x + 1) % 5], 1);
      for (let y = 0; y < 5; y++) state[x + 5 * y] ^= d;
    }
    const b = new Array(25);
    for (let x = 0; x < 5; x++) {                                         // ρ and π
      for (let y = 0; y < 5; y++) {
        b[y + 5 * ((2 * x + 3 * y) % 5)] = rotl(state[x + 5 * y], ROTATIONS[x + 5 * y]);
      }
    }
    for (let y = 0; y < 5; y++) {                                         // χ
      for (let x = 0; x < 5; x++) {
        state[x + 5 * y] = b[x + 5 * y] ^ (~b[(x + 1) % 5 + 5 * y] & MASK64 & b[(x + 2) % 5 + 5 * y]);
      }
    }
    state[0] ^= ROUND_CONSTANTS[round];                                   // ι
  }
}

export function keccak256(bytes) {
  const padded = new Uint8Array((Math.floor(bytes.length / RATE_BYTES) + 1) * RATE_BYTES);
  padded.set(bytes);
  padded[bytes.length] ^= 0x01;
  padded[padded.length - 1] ^= 0x80;
  const state = new Array(25).fill(0n);
  for (let offset = 0; offset < padded.length; offset += RATE_BYTES) {
    for (let lane = 0; lane < RATE_BYTES / 8; lane++) {
      let value = 0n;
      for (let k = 7; k >= 0; k--) value = (value << 8n) | BigInt(padded[offset + 8 * lane + k]);
      state[lane] ^= value; // lanes are little-endian
    }
    keccakF(state);
  }
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = Number((state[i >> 3] >> BigInt(8 * (i & 7))) & 0xffn);
  return out;
}

// H = keccak256("\x19Ethereum Signed Message:\n" || decimal(byteLength(M)) || M) (ERC-191, as
// personal_sign computes it); the fingerprint is "0x" + hex(H), what /api/signatures/invalidate
// takes.
export function fingerprint(base) {
  const message = encoder.encode(base);
  const prefix = encoder.encode("\x19Ethereum Signed Message:\n" + message.length);
  const joined = new Uint8Array(prefix.length + message.length);
  joined.set(prefix);
  joined.set(message, prefix.length);
  return "0x" + bytesToHex(keccak256(joined));
}
