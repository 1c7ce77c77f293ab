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
  $("profile").value = s.profile || "auto";
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
async function inspect(event, entry) {
  if (event) event.preventDefault();
  const s = formState();
  $("inspect-error").textContent = "";
  $("result").replaceChildren();
  const size = encoder.encode(s.raw).length;
  if (s.raw.trim() === "") {
    $("inspect-error").textContent = "Paste a signed request first, or choose an example.";
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
  const ask = Object.assign({}, s);
  if (entry !== undefined && entry !== null) ask.entry = entry;
  let result;
  try {
    result = await postJson("/api/inspect", ask);
  } catch (error) {
    $("inspect-error").textContent = "Cannot inspect this: " + error.message;
    return;
  }
  if (result.verdict === "choose_entry") {
    $("result").append(element("p", result.message, "small"), entryChooser(result.entries, null));
    return;
  }
  renderResult(result);
}

// A HAR file's entries, to choose the one to inspect.
function entryChooser(entries, current) {
  const label = element("label", "HAR entry ");
  const select = element("select");
  select.id = "har-entry";
  select.append(element("option", "(choose an entry)"));
  select.firstChild.value = "";
  for (const e of entries) {
    const option = element("option", e.index + ": " + e.method + " " + e.url + (e.signed ? "  (signed)" : ""));
    option.value = String(e.index);
    if (e.index === current) option.selected = true;
    select.append(option);
  }
  select.addEventListener("change", () => {
    if (select.value !== "") inspect(null, Number(select.value));
  });
  label.append(select);
  return label;
}

// A button that copies one produced value.
function copyButton(value, what) {
  const button = element("button", "Copy", "copy");
  button.type = "button";
  button.setAttribute("aria-label", "Copy " + what);
  button.addEventListener("click", async () => {
    button.dataset.copied = "true";
    try {
      await navigator.clipboard.writeText(String(value));
      button.textContent = "Copied";
    } catch {
      button.textContent = "Select and copy";
    }
  });
  return button;
}

// "SPEC.md §4", "step 12" and "D57" become links into SPEC.md as this server serves it.
function linked(text) {
  const span = element("span");
  const pattern = /SPEC\.md §(\d+(?:\.\d+)?)|\b(D\d{1,3})\b/g;
  let last = 0;
  for (const match of String(text).matchAll(pattern)) {
    span.append(document.createTextNode(text.slice(last, match.index)));
    const a = element("a", match[0]);
    a.href = match[1] ? "/spec#sec-" + match[1].split(".")[0] : "/spec#" + match[2];
    span.append(a);
    last = match.index + match[0].length;
  }
  span.append(document.createTextNode(String(text).slice(last)));
  return span;
}

function renderResult(r) {
  const out = $("result");
  const verdict = element("p", null, "verdict " + (r.verdict === "verified" ? "pass" : "fail"));
  verdict.id = "verdict";
  verdict.dataset.verdict = r.verdict;
  verdict.textContent = r.verdict === "verified"
    ? "Verified (" + r.winner_profile + " signature): candidate " + JSON.stringify(r.winner) +
      ", " + r.binding + ", " + r.replay + "."
    : "Rejected: " + r.reason + " (HTTP " + r.status + "). " + r.message;
  out.append(verdict);
  if (r.server_answer) {
    // What the paste shows the server answered, and why this verdict may differ (SPEC.md D57).
    const answer = r.server_answer;
    const said = element("p", "The server answered " + answer.said + "." +
      (answer.why ? " The verdicts differ: " + answer.why + "." : ""), "small");
    said.id = "server-answer";
    out.append(said);
  }
  if (r.runs === 2) out.append(element("p", "Verified twice against the same fresh replay store; this is the second run.", "small"));
  if (r.entries && r.entries.length > 1) out.append(entryChooser(r.entries, r.entry));
  const origin = element("dl", null, "values");
  origin.id = "origin";
  const say = (name, value) => origin.append(element("dt", name), element("dd", value));
  say("read as", r.format_title + (r.entry !== null && r.entry !== undefined ? " (entry " + r.entry + ")" : ""));
  say("scheme", r.scheme + "  (" + r.scheme_from + ")");
  say("authority", r.authority + "  (" + r.authority_from + ")");
  if (r.scheme_note) say("scheme tried", r.scheme_note);
  say("profile", r.profiles.join(", ") + "  (" + r.profile_from + ")");
  for (const m of r.member_profiles) say("member " + m.label, m.kind);
  say("effective target URI", r.target_uri + (r.public_url_assumed
    ? "  (origin from the paste: a real verifier takes it from its configuration)" : ""));
  say("now", r.now + "  (" + r.now_date + ")");
  out.append(origin);
  out.append(renderRequest(r));

  const heading = element("h2");
  heading.append(linked("Verification steps (SPEC.md §4)"));
  out.append(heading);
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
    const number = element("a", String(step.step));
    number.href = "/spec#step-" + step.step;
    number.title = "SPEC.md §4, step " + step.step;
    row.insertCell().append(number);
    row.insertCell().textContent = step.title;
    row.insertCell().textContent = step.label === null ? "(whole message)" : step.label;
    const looked = row.insertCell();
    looked.className = "mono";
    looked.textContent = step.looked_at;
    const v = row.insertCell();
    v.className = "verdict-cell";
    v.textContent = step.verdict;
    row.insertCell().append(linked(step.reason ? step.reason + ": " + (step.detail || "") : ""));
    if (step.verdict === "fail") {
      row.id = row.id || "failing-step-" + step.step + "-" + (step.label || "");
      row.setAttribute("aria-label", "failed step " + step.step);
    }
  }
  wrap.append(table);
  out.append(wrap);

  for (const member of r.members) out.append(renderMember(member));
}

// The request as the verifier received it; each line can be highlighted from a line of M.
function renderRequest(r) {
  const section = element("section", null, "request");
  section.append(element("h2", "The request as received"));
  const list = element("div", null, "received");
  list.id = "received";
  const line = element("div", r.request_line, "req-line mono");
  line.id = "req-line";
  list.append(line);
  const origin = element("div", "origin: " + r.scheme + "://" + r.authority, "req-origin mono");
  origin.id = "req-origin";
  list.append(origin);
  r.headers.forEach(([name, value], index) => {
    const row = element("div", null, "req-header mono");
    row.id = "req-h-" + index;
    row.textContent = name + ": " + value;
    list.append(row);
  });
  section.append(list);
  return section;
}

function highlight(source, on, label) {
  const ids = source.kind === "request-line" ? ["req-line"] : source.kind === "origin" ? ["req-origin"]
    : source.kind === "signature-input" ? ["params-" + label] : [];
  for (const index of source.headers) ids.push("req-h-" + index);
  for (const id of ids) {
    const node = $(id);
    if (node) node.classList.toggle("highlight", on);
  }
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
  if (m.uncovered && m.uncovered.length) {
    section.append(element("h3", "Present but not covered"));
    const list = element("ul", null, "uncovered");
    list.id = "uncovered-" + m.label;
    for (const u of m.uncovered) {
      list.append(element("li", u.name + " — not signed: an attacker may change it"));
      const row = $("req-h-" + u.index);
      if (row) { row.classList.add("unsigned"); row.title = "not signed: an attacker may change it"; }
    }
    section.append(list);
  }
  section.append(element("h3", "Parameters"));
  const params = element("dl", null, "values");
  params.id = "params-" + m.label;
  for (const p of m.params) {
    params.append(element("dt", p.name), element("dd", p.value + (p.date ? "  = " + p.date : "") + "   (" + p.meaning + ")"));
  }
  section.append(params);
  if (m.base) {
    section.append(element("h3", "Signature base M (RFC 9421 §2.5), line by line: hover or focus a line to see where it came from"));
    const base = element("div", null, "base");
    base.id = "base-" + m.label;
    m.base.forEach((line, index) => {
      const row = element("div", null, "base-line");
      row.tabIndex = 0;
      row.dataset.index = String(index);
      row.append(element("span", line.component, "component"), element("code", line.line));
      for (const kind of ["mouseenter", "focus"]) row.addEventListener(kind, () => highlight(line.source, true, m.label));
      for (const kind of ["mouseleave", "blur"]) row.addEventListener(kind, () => highlight(line.source, false, m.label));
      base.append(row);
    });
    section.append(base);
  } else if (m.base_error) {
    section.append(element("p", "M cannot be built: " + m.base_error, "error"));
  }
  const values = element("dl", null, "values");
  const add = (name, value, copy) => {
    const dd = element("dd", value);
    if (copy) dd.append(" ", copyButton(value, name));
    values.append(element("dt", name), dd);
  };
  if (m.base_escaped) add("M as one escaped string", m.base_escaped, true);
  if (m.base_bytes !== undefined) add("byteLength(M)", m.base_bytes + " bytes (written in decimal, no leading zeroes)");
  if (m.erc191_prefix) add("ERC-191 prefix (" + m.erc191_prefix_bytes + " bytes)", m.erc191_prefix, true);
  if (m.erc191_hex) add("prefix ‖ M, hex (what keccak256 hashes)", m.erc191_hex, true);
  if (m.message_hash) add('H = keccak256("\\x19Ethereum Signed Message:\\n" ‖ decimal(byteLength(M)) ‖ M)', m.message_hash, true);
  for (const d of m.digests || []) {
    add("Content-Digest received", d.received, true);
    add("Content-Digest recomputed", (d.recomputed || "(algorithm not supported)") +
      (d.match === null ? "" : d.match ? "  — matches" : "  — DIFFERS"), Boolean(d.recomputed));
  }
  if (m.signature) {
    add("S (" + m.signature.bytes + " bytes)", m.signature.hex, true);
    if (m.signature.r) { add("r", m.signature.r, true); add("s", m.signature.s, true); add("v", String(m.signature.v), true); }
  }
  if (m.keyid_address) add("keyid address", m.keyid_address + " on chain " + m.chain_id, false);
  if (m.recovered) {
    const note = m.address_match === true ? "  — equals the keyid address"
      : m.address_match === false ? "  — DIFFERS from the keyid address" : "  — (no keyid address to compare)";
    const dd = element("dd", m.recovered + note);
    dd.id = "recovered-" + m.label;
    dd.append(" ", copyButton(m.recovered, "recovered address"));
    values.append(element("dt", "recovered address"), dd);
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
  add("byteLength(M)", result.signature_base_bytes + " bytes");
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
