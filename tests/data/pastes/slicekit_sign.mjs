// Signs one request with the pinned @slicekit/erc8128 SDK (ERC-8128 February text = legacy
// profile) and prints it as a raw HTTP/1.1 request, the way a developer pastes one.
// Usage: node slicekit_sign.mjs KEY_HEX URL METHOD [BODY [console]], from
// conformance/adapters/slicekit (capture.py copies it there: ES modules resolve packages beside
// the script). With "console", the signed Request is printed by console.log instead, as a
// JavaScript author logs it.
import { signRequest } from "@slicekit/erc8128";
import { privateKeyToAccount } from "viem/accounts";

const [keyHex, url, method, body, form] = process.argv.slice(2);
const account = privateKeyToAccount("0x" + keyHex);
const signer = { chainId: 1, address: account.address,
                 signMessage: (message) => account.signMessage({ message: { raw: message } }) };
const init = { method, headers: body ? { "Content-Type": "application/json" } : {} };
if (body) init.body = body;
const signed = await signRequest(new Request(url, init), signer, {});
if (form === "console") {
  console.log(signed);
  process.exit(0);
}
const target = new URL(signed.url);
const lines = [`${method} ${target.pathname}${target.search} HTTP/1.1`, `Host: ${target.host}`];
for (const [name, value] of signed.headers) lines.push(`${name}: ${value}`);
const content = body ?? "";
if (content) lines.push(`Content-Length: ${Buffer.byteLength(content)}`);
process.stdout.write(lines.join("\r\n") + "\r\n\r\n" + content);
