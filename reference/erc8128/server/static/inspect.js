// The request inspector: sends the pasted request to POST /api/inspect (the reference verifier's
// own step trace, against a fresh replay store) and shows what came back. The build tab asks
// POST /api/build to sign a request with the public test key or a throwaway key.
import { base64url, bytesToHex } from "./erc8128.js";

const $ = (id) => document.getElementById(id);
const MAX_RAW_BYTES = 64 * 1024; // the server's limit (decision D57), checked here first
const encoder = new TextEncoder();
let examples = [];
let throwawayKey = null;
let lastBuild = null;

function element(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

async function postJson(path, document) {
  const answer = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" },
                                     body: JSON.stringify(document), credentials: "omit" });
  const result = await answer.json().catch(() => ({}));
  if (!answer.ok) {
    const error = new Error((result.reason || "HTTP " + answer.status) + ": " + (result.detail || ""));
    error.reason = result.reason;
    throw error;
  }
  return result;
}

// ---- the form and the permalink (the request lives in the URL fragment only) ---------------
function formState() {
  return {
    raw: $("raw").value, public_url: $("public-url").value.trim(), profile: $("profile").value,
    now: $("now").value === "" ? null : Number($("now").value),
    class_bound: $("class-bound").checked, replayable: $("replayable").checked,
    replay: $("replay").checked,
  };
}

function setFormState(s) {
  $("raw").value = s.raw || "";
  $("public-url").value = s.public_url || "";
  $("profile").value = s.profile || "draft";
  $("now").value = s.now === null || s.now === undefined ? "" : String(s.now);
  $("class-bound").checked = Boolean(s.class_bound);
  $("replayable").checked = Boolean(s.replayable);
  $("replay").checked = Boolean(s.replay);
}

function permalink(s) {
  return "#r=" + base64url(encoder.encode(JSON.stringify(s)));
}

function fromFragment() {
  const match = /^#r=([A-Za-z0-9_-]+)$/.exec(location.hash);
  if (!match) return null;
  try {
    const b64 = match[1].replace(/-/g, "+").replace(/_/g, "/");
    const bytes = Uint8Array.from(atob(b64 + "===".slice((b64.length + 3) % 4)), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return null;
  }
}

// ---- inspect ---------------------------------------------------------------------------------
async function inspect(event) {
  if (event) event.preventDefault();
  const s = formState();
  $("inspect-error").textContent = "";
  $("result").replaceChildren();
  const size = encoder.encode(s.raw).length;
  if (s.raw.trim() === "") {
    $("inspect-error").textContent = "Paste a raw HTTP request first, or choose an example.";
    return;
  }
  if (size > MAX_RAW_BYTES) {
    $("inspect-error").textContent = "This request is " + size.toLocaleString("en") +
      " bytes; the inspector takes at most " + MAX_RAW_BYTES.toLocaleString("en") +
      " bytes (a signed request's header fields are limited to 16 KiB each anyway).";
    return;
  }
  history.replaceState(null, "", permalink(s));
  $("permalink").href = permalink(s);
  let result;
  try {
    result = await postJson("/api/inspect", s);
  } catch (error) {
    $("inspect-error").textContent = "Cannot inspect this: " + error.message;
    return;
  }
  renderResult(result);
}

function renderResult(r) {
  const out = $("result");
  const verdict = element("p", null, "verdict " + (r.verdict === "verified" ? "pass" : "fail"));
  verdict.id = "verdict";
  verdict.dataset.verdict = r.verdict;
  verdict.textContent = r.verdict === "verified"
    ? "Verified: candidate " + JSON.stringify(r.winner) + ", " + r.binding + ", " + r.replay + "."
    : "Rejected: " + r.reason + " (HTTP " + r.status + "). " + r.message;
  out.append(verdict);
  if (r.runs === 2) out.append(element("p", "Verified twice against the same fresh replay store; this is the second run.", "small"));
  out.append(element("p", "Effective target URI: " + r.target_uri + (r.public_url_assumed
    ? "  (public URL assumed from Host: trust that only in tests)" : "") + "; now = " + r.now, "small mono"));

  out.append(element("h2", "Verification steps (SPEC.md §4)"));
  const wrap = element("div", null, "scroll");
  const table = element("table");
  table.id = "steps";
  const head = table.createTHead().insertRow();
  for (const title of ["Step", "What", "Candidate", "Looked at", "Verdict", "Reason"]) {
    const th = element("th", title);
    th.scope = "col";
    head.append(th);
  }
  const body = table.createTBody();
  for (const step of r.steps) {
    const row = body.insertRow();
    row.className = step.verdict;
    row.dataset.step = step.step;
    row.insertCell().textContent = step.step;
    row.insertCell().textContent = step.title;
    row.insertCell().textContent = step.label === null ? "(whole message)" : step.label;
    const looked = row.insertCell();
    looked.className = "mono";
    looked.textContent = step.looked_at;
    const v = row.insertCell();
    v.className = "verdict-cell";
    v.textContent = step.verdict;
    row.insertCell().textContent = step.reason ? step.reason + ": " + (step.detail || "") : "";
    if (step.verdict === "fail") {
      row.id = row.id || "failing-step-" + step.step + "-" + (step.label || "");
      row.setAttribute("aria-label", "failed step " + step.step);
    }
  }
  wrap.append(table);
  out.append(wrap);

  for (const member of r.members) out.append(renderMember(member));
}

function renderMember(m) {
  const section = element("section", null, "member");
  section.dataset.label = m.label;
  section.append(element("h2", "Signature-Input member " + JSON.stringify(m.label) + ": " +
    (m.candidate ? m.candidate + " candidate" : "not a candidate for this profile (ignored)")));
  if (m.components.length) {
    section.append(element("h3", "Covered components"));
    const list = element("ul");
    for (const c of m.components) list.append(element("li", c.identifier + " — " + c.meaning));
    section.append(list);
  }
  section.append(element("h3", "Parameters"));
  const params = element("dl", null, "values");
  for (const p of m.params) {
    params.append(element("dt", p.name), element("dd", p.value + "   (" + p.meaning + ")"));
  }
  section.append(params);
  if (m.base) {
    section.append(element("h3", "Signature base M (RFC 9421 §2.5), line by line"));
    const base = element("div", null, "base");
    base.id = "base-" + m.label;
    for (const line of m.base) {
      const row = element("div", null, "base-line");
      row.append(element("span", line.component, "component"), element("code", line.line));
      base.append(row);
    }
    section.append(base);
  } else if (m.base_error) {
    section.append(element("p", "M cannot be built: " + m.base_error, "error"));
  }
  const values = element("dl", null, "values");
  const add = (name, value) => values.append(element("dt", name), element("dd", value));
  if (m.base_bytes !== undefined) add("len(M)", m.base_bytes + " bytes");
  if (m.message_hash) add('H = keccak256("\\x19Ethereum Signed Message:\\n" ‖ len(M) ‖ M)', m.message_hash);
  if (m.signature) {
    add("S (" + m.signature.bytes + " bytes)", m.signature.hex);
    if (m.signature.r) { add("r", m.signature.r); add("s", m.signature.s); add("v", m.signature.v); }
  }
  if (m.keyid_address) add("keyid address", m.keyid_address + " on chain " + m.chain_id);
  if (m.recovered) {
    const same = m.keyid_address && m.recovered === m.keyid_address;
    add("recovered address", m.recovered + (same ? "  — equals the keyid address" : "  — DIFFERS from the keyid address"));
  }
  for (const key of ["keyid_error", "signature_error", "recover_error"]) if (m[key]) add(key.replace("_", " "), m[key]);
  section.append(values);
  return section;
}

// ---- examples --------------------------------------------------------------------------------
async function loadExamples() {
  const answer = await fetch("/api/examples");
  examples = (await answer.json()).examples;
  for (const example of examples) {
    const option = element("option", example.title);
    option.value = example.id;
    $("example").append(option);
  }
}

function chooseExample() {
  const example = examples.find((e) => e.id === $("example").value);
  if (!example) return;
  setFormState({ raw: example.raw, public_url: example.public_url, profile: example.profile,
                 now: example.now, class_bound: example.class_bound, replay: example.replay,
                 replayable: example.class_bound });
  $("example-note").textContent = example.note;
  inspect();
}

// ---- build -----------------------------------------------------------------------------------
function headerPairs(text) {
  const pairs = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    const colon = line.indexOf(":");
    if (colon < 1) throw new Error("expected Name: value, got " + JSON.stringify(line));
    pairs.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  return pairs;
}

function keyChoice() {
  if ($("build-key-test").checked) return "test";
  if (!throwawayKey) {
    throwawayKey = "0x" + bytesToHex(crypto.getRandomValues(new Uint8Array(32)));
  }
  $("throwaway").textContent = "Throwaway key made in this page: " + throwawayKey;
  return throwawayKey;
}

async function build(event) {
  event.preventDefault();
  $("build-error").textContent = "";
  $("build-result").replaceChildren();
  let result;
  try {
    result = await postJson("/api/build", {
      method: $("build-method").value.trim(), url: $("build-url").value.trim(),
      headers: headerPairs($("build-headers").value), body: $("build-body").value,
      profile: $("build-profile").value, replayable: $("build-replayable").checked,
      key: keyChoice(), created: Math.floor(Date.now() / 1000),
    });
  } catch (error) {
    $("build-error").textContent = "Cannot build this: " + error.message;
    return;
  }
  lastBuild = result;
  const values = element("dl", null, "values");
  values.id = "build-values";
  const add = (name, value) => values.append(element("dt", name), element("dd", value));
  add("signer", result.address + (result.test_key ? "  (the PUBLIC test key)" : "  (throwaway key)"));
  add("keyid", result.keyid);
  if (result.content_digest) add("Content-Digest (RFC 9530)", result.content_digest);
  add("Signature-Input", result.signature_input);
  add("len(M)", result.signature_base_bytes + " bytes");
  add("H", result.message_hash);
  add("r", result.r);
  add("s", result.s);
  add("v", result.v);
  add("Signature", result.signature_field);
  const base = element("pre", result.signature_base);
  base.id = "build-base";
  const raw = element("pre", result.raw);
  raw.id = "build-raw";
  $("build-result").append(values, element("h3", "Signature base M"), base,
                           element("h3", "The signed request"), raw);
  $("build-inspect").disabled = false;
}

function inspectBuilt() {
  if (!lastBuild) return;
  setFormState({ raw: lastBuild.raw, public_url: lastBuild.public_url, now: lastBuild.created,
                 profile: $("build-profile").value, replayable: $("build-replayable").checked });
  selectTab("inspect");
  inspect();
}

// ---- tabs --------------------------------------------------------------------------------------
function selectTab(name) {
  for (const tab of ["inspect", "build"]) {
    const selected = tab === name;
    $("tab-" + tab).setAttribute("aria-selected", String(selected));
    $("panel-" + tab).hidden = !selected;
  }
}

function main() {
  $("inspect-form").addEventListener("submit", inspect);
  $("example").addEventListener("change", chooseExample);
  $("use-now").addEventListener("click", () => { $("now").value = String(Math.floor(Date.now() / 1000)); });
  $("tab-inspect").addEventListener("click", () => selectTab("inspect"));
  $("tab-build").addEventListener("click", () => selectTab("build"));
  for (const tab of ["inspect", "build"]) {
    // WAI-ARIA tabs: the arrow keys move between the two tabs.
    $("tab-" + tab).addEventListener("keydown", (event) => {
      if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
      const other = tab === "inspect" ? "build" : "inspect";
      selectTab(other);
      $("tab-" + other).focus();
    });
  }
  $("build-form").addEventListener("submit", build);
  $("build-inspect").addEventListener("click", inspectBuilt);
  $("build-key-new").addEventListener("change", keyChoice);
  $("now").value = String(Math.floor(Date.now() / 1000));
  const loaded = loadExamples().catch((error) => {
    $("inspect-error").textContent = "Cannot load the examples: " + error.message;
  });
  const linked = fromFragment();
  if (linked) {
    setFormState(linked);
    inspect();
  }
  loaded.then(() => { document.body.dataset.ready = "true"; });
}

main();
