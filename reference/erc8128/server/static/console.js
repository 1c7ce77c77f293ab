// The owner console: every action is an ERC-8128 signed request (see erc8128.js) signed by the
// owner's EIP-1193 wallet. The page keeps only what the server answered, in memory.
import { newNonce, personalSignParams, signRequest } from "./erc8128.js";

const $ = (id) => document.getElementById(id);
const state = {
  address: null, chainId: null, publicUrl: location.origin, chains: [], listening: false,
  projects: new Map(), project: null, agents: [], audit: [], auditPage: 0,
};
const AUDIT_PAGE_SIZE = 10;

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
  await loadProjects();
}

function walletSign(base) {
  return window.ethereum.request({ method: "personal_sign",
                                   params: personalSignParams(base, state.address) });
}

// ---- one signed request ----------------------------------------------------------------------
async function signedFetch(method, path, content) {
  if (!state.address) throw new Error("connect a wallet first");
  const body = content === undefined ? null : JSON.stringify(content);
  const headers = body === null ? [] : [["Content-Type", "application/json"]];
  say("Waiting for the wallet to sign " + method + " " + path + " …");
  const signed = await signRequest({
    method, url: state.publicUrl + path, headers, body, address: state.address,
    chainId: state.chainId, created: Math.floor(Date.now() / 1000), nonce: newNonce(),
    sign: walletSign,
  });
  const answer = await fetch(path, { method, headers: signed.headers, body: signed.body,
                                     credentials: "omit", cache: "no-store" });
  const result = await answer.json().catch(() => ({}));
  logRequest(method, path, signed, answer.status, result);
  if (!answer.ok) {
    const reason = result.reason || answer.status;
    say(method + " " + path + " refused: " + reason + (result.detail ? " (" + result.detail + ")" : ""), true);
    const error = new Error(String(reason));
    error.shown = true; // already in the status line
    throw error;
  }
  say(method + " " + path + ": " + answer.status);
  return result;
}

function logRequest(method, path, signed, status, result) {
  const item = document.createElement("li");
  const details = document.createElement("details");
  const summary = document.createElement("summary");
  summary.textContent = method + " " + path + " → " + status + (result.reason ? " " + result.reason : "");
  const pre = document.createElement("pre");
  pre.textContent = "Signature base M (what the wallet signed):\n" + signed.base +
    "\n\nheaders sent:\n" + signed.headers.map(([n, v]) => n + ": " + v).join("\n");
  details.append(summary, pre);
  item.append(details);
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
    button.addEventListener("click", () => openProject(project.id));
    item.append(button);
    list.append(item);
  }
}

async function createProject(event) {
  event.preventDefault();
  const project = await signedFetch("POST", "/api/projects", {
    name: $("project-name").value, auto_approve: $("project-auto").checked,
    public: $("project-public").checked,
  });
  state.projects.set(project.id, project);
  renderProjects();
  await openProject(project.id);
}

async function openProject(id) {
  state.project = id;
  state.agents = [];
  state.audit = [];
  $("current-project").textContent = id;
  $("invite-code").textContent = "";
  $("project-panel").hidden = false;
  renderAgents();
  renderAudit();
  await refreshAgents();
}

// ---- invites -----------------------------------------------------------------------------------
async function createInvite(event) {
  event.preventDefault();
  const invite = await signedFetch("POST", "/api/projects/" + state.project + "/invites", {
    uses: Number($("invite-uses").value), expires_in: Number($("invite-expires").value),
  });
  $("invite-code").textContent = invite.code;
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
  const wanted = $("agents-filter").value;
  for (const agent of state.agents) {
    if (wanted && agent.status !== wanted) continue;
    const row = body.insertRow();
    row.dataset.address = agent.address;
    cell(row, agent.name);
    cell(row, agent.address, "mono");
    cell(row, agent.status, "status-" + agent.status);
    const actions = row.insertCell();
    for (const action of ["approve", "deny", "revoke"]) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = action;
      button.dataset.action = action;
      button.setAttribute("aria-label", action + " " + agent.name);
      button.addEventListener("click", () => setStatus(agent.address, action));
      actions.append(button);
    }
  }
}

async function setStatus(address, action) {
  await signedFetch("POST", "/api/projects/" + state.project + "/agents/" + address + "/" + action);
  await refreshAgents();
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
async function invalidate(event) {
  event.preventDefault();
  const wanted = {};
  const notBefore = $("invalidate-not-before").value;
  const fingerprint = $("invalidate-fingerprint").value.trim();
  if (notBefore !== "") wanted.not_before = Number(notBefore);
  if (fingerprint !== "") wanted.fingerprint = fingerprint.toLowerCase();
  const result = await signedFetch("POST", "/api/signatures/invalidate", wanted);
  $("invalidate-result").textContent = JSON.stringify(result);
}

// Every handler reports its failure in the status line instead of an unhandled rejection.
function guarded(handler) {
  return (event) => handler(event).catch((error) => {
    if (!error.shown) say(error.message, true);
  });
}

function main() {
  $("connect").addEventListener("click", guarded(connect));
  $("create-project-form").addEventListener("submit", guarded(createProject));
  $("open-project-form").addEventListener("submit", guarded(async (event) => {
    event.preventDefault();
    await openProject($("project-id-input").value.trim());
  }));
  $("invite-form").addEventListener("submit", guarded(createInvite));
  $("agents-refresh").addEventListener("click", guarded(refreshAgents));
  $("agents-filter").addEventListener("change", renderAgents);
  $("audit-refresh").addEventListener("click", guarded(refreshAudit));
  $("audit-agent").addEventListener("input", () => { state.auditPage = 0; renderAudit(); });
  $("audit-outcome").addEventListener("change", () => { state.auditPage = 0; renderAudit(); });
  $("audit-prev").addEventListener("click", () => { state.auditPage -= 1; renderAudit(); });
  $("audit-next").addEventListener("click", () => { state.auditPage += 1; renderAudit(); });
  $("invalidate-form").addEventListener("submit", guarded(invalidate));
  $("invalidate-not-before").value = String(Math.floor(Date.now() / 1000));
  loadDiscovery().catch((error) => say("Cannot read /.well-known/erc8128: " + error.message, true));
  document.body.dataset.ready = "true";
}

main();
