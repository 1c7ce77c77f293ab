// The owner console: every action is an ERC-8128 signed request (see erc8128.js) signed by the
// owner's EIP-1193 wallet. The page keeps only what the server answered, in memory.
//
// One wallet prompt per action: an action's own answer updates the page (an approved agent's
// row from the approve answer, a new project's empty agent list), and lists are fetched again
// only when the owner presses a Refresh button. Before each prompt the page shows what will be
// signed (origin, method, path), as ERC-8128 "Interactive signing" asks of clients.
import { fingerprint, newNonce, personalSignParams, signRequest } from "./erc8128.js";

const $ = (id) => document.getElementById(id);
const state = {
  address: null, chainId: null, publicUrl: location.origin, chains: [], listening: false,
  projects: new Map(), project: null, agents: null, audit: [], auditPage: 0,
};
const AUDIT_PAGE_SIZE = 10;
// The actions that fit each agent status (the server's four: handlers/agents.py).
const ACTIONS = {
  pending: ["approve", "deny"],
  approved: ["revoke"],
  denied: ["approve"],
  revoked: ["approve"],
};

function say(text, isError = false) {
  $("status").textContent = text;
  $("status").className = isError ? "error" : "";
}

function cell(row, text, className) {
  const td = row.insertCell();
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

// ---- the server: its public URL (what signatures are bound to) and served chains ----------
async function loadDiscovery() {
  const answer = await fetch("/.well-known/erc8128");
  const discovery = await answer.json();
  // The discovery document names the invalidation endpoint as an absolute URL on the public
  // origin (ERC-8128 §7); the signature covers that origin, not the one the page came from.
  if (discovery.invalidation_endpoint) state.publicUrl = new URL(discovery.invalidation_endpoint).origin;
  $("public-url").textContent = state.publicUrl;
  state.chains = discovery.chains || [];
  $("chains").textContent = state.chains.join(" ");
}

// ---- the wallet (EIP-1193) -----------------------------------------------------------------
async function connect() {
  say("");
  if (!window.ethereum) {
    say("No browser wallet found (window.ethereum). Install one, or use the CLI.", true);
    return;
  }
  const accounts = await window.ethereum.request({ method: "eth_requestAccounts" });
  state.address = accounts[0].toLowerCase();
  state.chainId = parseInt(await window.ethereum.request({ method: "eth_chainId" }), 16);
  $("account").textContent = "eip155:" + state.chainId + ":" + state.address;
  if (state.chains.length && !state.chains.includes("eip155:" + state.chainId)) {
    // The keyid names the wallet's chain; the server would answer unsupported_chain.
    say("Your wallet is on chain " + state.chainId + "; this server serves " +
        state.chains.join(", ") + ". Switch networks in the wallet, then connect again.", true);
  } else {
    say("Connected.");
  }
  if (window.ethereum.on && !state.listening) {
    // EIP-1193 events: sign as whatever account and chain the wallet now has.
    window.ethereum.on("accountsChanged", () => connect().catch((e) => say(e.message, true)));
    window.ethereum.on("chainChanged", () => connect().catch((e) => say(e.message, true)));
    state.listening = true;
  }
  await loadProjects(); // the public list: no signature
}

// Show what is about to be signed, then ask the wallet (one prompt).
async function walletSign(method, url, base) {
  const target = new URL(url);
  $("signing-origin").textContent = target.origin;
  $("signing-method").textContent = method;
  $("signing-path").textContent = target.pathname + target.search;
  $("signing-page").textContent = location.origin +
    (location.origin === target.origin ? " (the same origin)" : " (not the signed origin)");
  $("signing-base").textContent = base;
  $("signing").hidden = false;
  try {
    return await window.ethereum.request({ method: "personal_sign",
                                           params: personalSignParams(base, state.address) });
  } finally {
    $("signing").hidden = true;
  }
}

// ---- one signed request ----------------------------------------------------------------------
// Sign and send one request; a refusal throws an Error with the server's reason and detail.
async function signedFetch(method, path, content) {
  if (!state.address) throw new Error("connect a wallet first");
  const body = content === undefined ? null : JSON.stringify(content);
  const headers = body === null ? [] : [["Content-Type", "application/json"]];
  const url = state.publicUrl + path;
  const signed = await signRequest({
    method, url, headers, body, address: state.address,
    chainId: state.chainId, created: Math.floor(Date.now() / 1000), nonce: newNonce(),
    sign: (base) => walletSign(method, url, base),
  });
  const answer = await fetch(path, { method, headers: signed.headers, body: signed.body,
                                     credentials: "omit", cache: "no-store" });
  const result = await answer.json().catch(() => ({}));
  logRequest(method, path, signed, answer.status, result);
  if (!answer.ok) {
    const reason = result.reason || String(answer.status);
    throw new Error(method + " " + path + " refused (" + answer.status + " " + reason + ")" +
                      (result.detail ? ": " + result.detail : ""));
  }
  return result;
}

function logRequest(method, path, signed, status, result) {
  const h = fingerprint(signed.base);
  const item = document.createElement("li");
  item.dataset.fingerprint = h;
  const line = document.createElement("p");
  line.textContent = method + " " + path + " → " + status + (result.reason ? " " + result.reason : "");
  const hLine = document.createElement("p");
  hLine.className = "small";
  hLine.append("H = ");
  const code = document.createElement("code");
  code.className = "fingerprint";
  code.textContent = h;
  const use = document.createElement("button");
  use.type = "button";
  use.textContent = "invalidate this signature…";
  use.className = "use-fingerprint";
  use.setAttribute("aria-label", "fill the invalidation form with fingerprint " + h);
  use.addEventListener("click", () => {
    // Fills the form only: the owner reads it and presses Invalidate (one prompt).
    $("invalidate-fingerprint").value = h;
    $("invalidate-not-before").value = "";
    $("invalidate").focus();
  });
  hLine.append(code, " ", use);
  const details = document.createElement("details");
  const summary = document.createElement("summary");
  summary.textContent = "what was signed and sent";
  const pre = document.createElement("pre");
  pre.textContent = "Signature base M (what the wallet signed):\n" + signed.base +
    "\n\nheaders sent:\n" + signed.headers.map(([n, v]) => n + ": " + v).join("\n");
  details.append(summary, pre);
  item.append(line, hLine, details);
  $("log").prepend(item);
}

// ---- projects ----------------------------------------------------------------------------------
async function loadProjects() {
  const answer = await fetch("/api/projects", { cache: "no-store" });
  const listed = (await answer.json()).projects || [];
  for (const project of listed) {
    if (project.owner === state.address) state.projects.set(project.id, project);
  }
  renderProjects();
}

function renderProjects() {
  const list = $("project-list");
  list.replaceChildren();
  for (const project of state.projects.values()) {
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = project.name + " (" + project.id + ")";
    button.dataset.project = project.id;
    button.addEventListener("click", () => openProject(project.id, null));
    item.append(button);
    list.append(item);
  }
}

async function createProject() {
  const project = await signedFetch("POST", "/api/projects", {
    name: $("project-name").value, auto_approve: $("project-auto").checked,
    public: $("project-public").checked,
  });
  state.projects.set(project.id, project);
  renderProjects();
  openProject(project.id, []); // a new project has no agents: nothing to fetch
}

// Open a project; `agents` is its list when known (a new project's is empty), else null: the
// owner loads it with Refresh (one signature), never automatically.
function openProject(id, agents) {
  state.project = id;
  state.agents = agents;
  state.audit = [];
  $("current-project").textContent = id;
  $("invite").hidden = true;
  for (const area of ["invite-error", "agents-error", "audit-error"]) $(area).textContent = "";
  $("project-panel").hidden = false;
  renderAgents();
  renderAudit();
}

// ---- invites -----------------------------------------------------------------------------------
async function createInvite() {
  const invite = await signedFetch("POST", "/api/projects/" + state.project + "/invites", {
    uses: Number($("invite-uses").value), expires_in: Number($("invite-expires").value),
  });
  showInvite(invite);
}

function showInvite(invite) {
  const url = state.publicUrl + "/api/invites/" + invite.code + "/redeem";
  // The agent signs for a chain this server serves (the keyid's chain id).
  const served = state.chains.map((chain) => chain.split(":")[1]);
  const chain = served.length && !served.includes("1") ? " --chain-id " + served[0] : "";
  $("invite-code").textContent = invite.code;
  $("invite-terms").textContent = "(" + invite.uses + (invite.uses === 1 ? " use" : " uses") +
    ", valid until " + new Date(invite.expires_at * 1000).toISOString().replace(".000", "") + ")";
  $("invite-url").textContent = url;
  $("invite-command").textContent =
    "erc8128 keygen --out agent.key" + chain + "\n" +
    "erc8128 request -X POST -H 'Content-Type: application/json' \\\n" +
    "  -d '{\"name\": \"my-agent\"}' --key-file agent.key" + chain + " \\\n" +
    "  " + url;
  $("invite").hidden = false;
}

// ---- agents ------------------------------------------------------------------------------------
async function refreshAgents() {
  const result = await signedFetch("GET", "/api/projects/" + state.project + "/agents");
  state.agents = result.agents;
  renderAgents();
}

function renderAgents() {
  const body = $("agents-table").tBodies[0];
  body.replaceChildren();
  const agents = state.agents || [];
  $("agents-note").textContent = state.agents === null
    ? "Press Refresh agents to load this project's agents."
    : agents.length === 0 ? "No agents yet: make an invite, or press Refresh agents after an agent asked for access." : "";
  const wanted = $("agents-filter").value;
  for (const agent of agents) {
    if (wanted && agent.status !== wanted) continue;
    const row = body.insertRow();
    row.dataset.address = agent.address;
    row.dataset.status = agent.status;
    cell(row, agent.name);
    cell(row, agent.address, "mono");
    cell(row, agent.status, "status-" + agent.status);
    const actions = row.insertCell();
    const rowError = document.createElement("span");
    rowError.className = "error row-error";
    rowError.setAttribute("role", "alert");
    for (const action of ACTIONS[agent.status] || []) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = action;
      button.dataset.action = action;
      button.setAttribute("aria-label", action + " " + agent.name);
      button.addEventListener("click", () => setStatus(agent.address, action, rowError));
      actions.append(button, " ");
    }
    actions.append(rowError);
  }
}

// One prompt: the answer carries the agent's new record, which replaces its row.
async function setStatus(address, action, errorArea) {
  errorArea.textContent = "";
  try {
    const result = await signedFetch(
      "POST", "/api/projects/" + state.project + "/agents/" + address + "/" + action);
    state.agents = (state.agents || []).map((agent) =>
      agent.address === result.agent.address ? result.agent : agent);
    renderAgents();
  } catch (error) {
    errorArea.textContent = error.message;
  }
}

// ---- audit log: newest first, filtered and paged in the page ---------------------------------
async function refreshAudit() {
  const result = await signedFetch("GET", "/api/projects/" + state.project + "/audit");
  state.audit = result.entries.slice().reverse();
  state.auditPage = 0;
  renderAudit();
}

function filteredAudit() {
  const agent = $("audit-agent").value.trim().toLowerCase();
  const outcome = $("audit-outcome").value;
  return state.audit.filter((entry) =>
    (!agent || (entry.agent || "").includes(agent)) && (!outcome || entry.outcome === outcome));
}

function renderAudit() {
  const entries = filteredAudit();
  const pages = Math.max(1, Math.ceil(entries.length / AUDIT_PAGE_SIZE));
  state.auditPage = Math.min(state.auditPage, pages - 1);
  const first = state.auditPage * AUDIT_PAGE_SIZE;
  const body = $("audit-table").tBodies[0];
  body.replaceChildren();
  for (const entry of entries.slice(first, first + AUDIT_PAGE_SIZE)) {
    const row = body.insertRow();
    cell(row, new Date(entry.time * 1000).toISOString().replace("T", " ").slice(0, 19));
    cell(row, entry.agent || "(not verified)", "mono");
    cell(row, entry.method + " " + entry.path, "mono");
    cell(row, String(entry.status));
    cell(row, entry.outcome, "outcome-" + entry.outcome);
    cell(row, entry.reason || "");
  }
  $("audit-info").textContent = entries.length === 0 ? "no entries" :
    "entries " + (first + 1) + "–" + Math.min(first + AUDIT_PAGE_SIZE, entries.length) +
    " of " + entries.length + " (newest first)";
  $("audit-prev").disabled = state.auditPage === 0;
  $("audit-next").disabled = state.auditPage >= pages - 1;
}

// ---- early invalidation (ERC-8128 §5.2) --------------------------------------------------------
async function invalidate() {
  const wanted = {};
  const notBefore = $("invalidate-not-before").value;
  const fingerprintText = $("invalidate-fingerprint").value.trim();
  if (notBefore !== "") wanted.not_before = Number(notBefore);
  if (fingerprintText !== "") wanted.fingerprint = fingerprintText.toLowerCase();
  if (!("not_before" in wanted) && !("fingerprint" in wanted)) {
    throw new Error("give a not-before time, a fingerprint, or both (nothing was signed)");
  }
  const result = await signedFetch("POST", "/api/signatures/invalidate", wanted);
  $("invalidate-result").textContent = JSON.stringify(result);
}

// Each action clears its own result and error areas first, and reports a failure next to the
// control that caused it (never an unhandled rejection, never a shared status line).
function action(handler, { error, results = [], form = true }) {
  return (event) => {
    if (form) event.preventDefault();
    $(error).textContent = "";
    for (const id of results) $(id).textContent = "";
    return handler(event).catch((failure) => { $(error).textContent = failure.message; });
  };
}

function main() {
  $("connect").addEventListener("click", () => connect().catch((e) => say(e.message, true)));
  $("create-project-form").addEventListener("submit",
    action(createProject, { error: "project-error" }));
  $("open-project-form").addEventListener("submit", action(async () => {
    openProject($("project-id-input").value.trim(), null);
  }, { error: "project-error" }));
  $("invite-form").addEventListener("submit", action(async () => {
    $("invite").hidden = true;
    await createInvite();
  }, { error: "invite-error" }));
  $("agents-refresh").addEventListener("click", action(refreshAgents,
    { error: "agents-error", form: false }));
  $("agents-filter").addEventListener("change", renderAgents);
  $("audit-refresh").addEventListener("click", action(refreshAudit,
    { error: "audit-error", form: false }));
  $("audit-agent").addEventListener("input", () => { state.auditPage = 0; renderAudit(); });
  $("audit-outcome").addEventListener("change", () => { state.auditPage = 0; renderAudit(); });
  $("audit-prev").addEventListener("click", () => { state.auditPage -= 1; renderAudit(); });
  $("audit-next").addEventListener("click", () => { state.auditPage += 1; renderAudit(); });
  $("invalidate-form").addEventListener("submit", action(invalidate,
    { error: "invalidate-error", results: ["invalidate-result"] }));
  $("invalidate-not-before").value = String(Math.floor(Date.now() / 1000));
  loadDiscovery().catch((error) => say("Cannot read /.well-known/erc8128: " + error.message, true));
  document.body.dataset.ready = "true";
}

main();
