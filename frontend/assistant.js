// DBooster's assistant page: ask in a conversation, read the answer as it streams (server-sent events over a
// POST, read with fetch's stream reader), run, explain or optimize each SQL block inline, accept or cancel the
// changes the assistant proposed. Bundled by esbuild into static/build/assistant.js (`npm run build`).

import { api, cellText, csrfToken, data, el } from "./common.js";

const config = data("assistant-config");
const log = document.getElementById("chat-log");
const errorBox = document.getElementById("chat-error");
const base = `/projects/${config.project}`;
let conversation = config.conversation;

function showError(text) {
  errorBox.textContent = text || "";
  errorBox.hidden = !text;
}

// --- results, plans and advice, inline ------------------------------------------------------------

function resultTable(result) {
  const names = result.columns.map((c) => (typeof c === "string" ? c : c.name));
  const table = el("table", { class: "results" },
    el("thead", {}, el("tr", {}, ...names.map((n) => el("th", {}, n)))),
    el("tbody", {}, ...result.rows.map((row) => el("tr", {}, ...row.map((v) => el("td", {}, cellText(v)))))));
  const note = `${result.row_count} row${result.row_count === 1 ? "" : "s"}${result.truncated ? " (capped)" : ""}`;
  return el("div", { class: "inline-result" }, el("p", { class: "muted" }, note), el("div", { class: "table-wrap" }, table));
}

function planSummary(analysis) {
  const nodes = (analysis.summary?.nodes || []).slice(0, 8);
  return el("div", { class: "inline-result" },
    el("p", {}, `Estimated cost ${analysis.total_cost}`, " · ",
      el("a", { href: `/app/analyses/${analysis.id}/` }, "full plan")),
    el("ul", { class: "plain" }, ...nodes.map((n) => el("li", {}, `${"  ".repeat(n.depth || 0)}${n.label || n.node_type}`))));
}

function advice(run) {
  const items = (run.suggestions || []).map((s) => el("li", {}, el("strong", {}, s.kind), " ", el("code", {}, s.sql),
    s.speedup ? ` (×${Number(s.speedup).toFixed(1)})` : ""));
  const findings = (run.findings || []).slice(0, 5).map((f) => el("li", {}, f.message || f.rule_id));
  return el("div", { class: "inline-result" },
    el("p", {}, el("a", { href: `/app/optimize/${run.id}/` }, "Optimization"), ` · ${items.length} suggestion(s)`),
    el("ul", { class: "plain" }, ...items, ...findings));
}

async function sqlAction(kind, sql, out) {
  out.replaceChildren(el("p", { class: "muted" }, `${kind}…`));
  const calls = {
    Run: () => api("POST", `${base}/sql/run`, { sql, connection: config.connection }),
    Explain: () => api("POST", "/query/explain", { query: sql, project: config.project, analyze: false }),
    Optimize: () => api("POST", "/query/optimize", { query: sql, project: config.project, ai: false }),
  };
  const { ok, body } = await calls[kind]();
  if (!ok) { out.replaceChildren(el("p", { class: "msg error" }, body?.detail || "Failed.")); return; }
  out.replaceChildren(kind === "Run" ? resultTable(body) : kind === "Explain" ? planSummary(body) : advice(body));
}

// `runnable` false: a statement that writes (the SQL answer says so) is offered as a proposal, never a Run button.
function sqlBlock(sql, runnable = true) {
  const out = el("div", { class: "sql-out" });
  const buttons = (runnable ? ["Run", "Explain", "Optimize"] : ["Explain"]).map((kind) =>
    el("button", { type: "button", class: kind === "Run" ? "" : "secondary", "data-action": kind.toLowerCase(),
      onclick: () => sqlAction(kind, sql, out) }, kind));
  return el("div", { class: "sql-block" }, el("pre", {}, el("code", {}, sql)),
    config.canWrite && config.connection ? el("div", { class: "toolbar" }, ...buttons) : "", out);
}

// The answer's text with its ```sql blocks as SQL blocks.
function renderAnswer(target, text) {
  target.replaceChildren();
  const parts = text.split(/```(?:sql)?\n?([\s\S]*?)```/i);
  parts.forEach((part, i) => {
    if (i % 2 === 1) target.append(sqlBlock(part.trim()));
    else if (part.trim()) target.append(el("div", { class: "answer-text" }, part.trim()));
  });
}

// --- proposals -----------------------------------------------------------------------------------

// A data change's estimate (its EXPLAIN, never run): from the answer's event, or the proposal's evidence.
function rowsExpected(p) {
  const rows = p.estimated_rows ?? p.evidence?.estimated_rows;
  if (p.kind !== "data" || rows == null) return "";
  return el("p", { class: "muted", "data-estimated-rows": rows },
    `Expected to change about ${rows.toLocaleString()} row(s), by its plan (EXPLAIN; nothing was run).`);
}

function proposalCard(p) {
  const state = el("span", { class: "badge", "data-state": p.state }, p.state);
  const note = el("p", { class: "muted" });
  const act = async (what) => {
    const { ok, body } = await api("POST", `${base}/assistant/proposals/${p.id}/${what}`);
    if (!ok) { note.textContent = body?.detail || "Failed."; return; }
    const proposal = body.proposal || body;
    state.textContent = proposal.state;
    note.replaceChildren(body.note || "", " ", el("a", { href: `/app/approvals/${p.id}/` }, "Open in approvals"));
    card.querySelectorAll("button").forEach((b) => { b.disabled = true; });
  };
  const buttons = p.state === "draft" && config.canWrite
    ? [el("button", { type: "button", "data-action": "accept", onclick: () => act("accept") }, "Accept"),
       el("button", { type: "button", class: "secondary", "data-action": "cancel", onclick: () => act("cancel") }, "Cancel")]
    : [];
  const card = el("div", { class: "card proposal", "data-proposal": p.id },
    el("p", {}, el("strong", {}, "Proposed change "), state, " ", p.title || ""),
    el("pre", {}, el("code", {}, p.sql)),
    p.reason ? el("p", { class: "muted" }, p.reason) : "",
    rowsExpected(p),
    el("div", { class: "toolbar" }, ...buttons), note);
  return card;
}

// --- the conversation ---------------------------------------------------------------------------

function bubble(role, text) {
  const body = el("div", { class: "bubble-body" });
  const node = el("div", { class: `bubble ${role}` }, el("div", { class: "muted" }, role === "user" ? "You" : "Assistant"), body);
  if (text) role === "user" ? body.append(text) : renderAnswer(body, text);
  log.append(node);
  return { node, body };
}

function toolLine(target, name, detail) {
  target.append(el("div", { class: "tool muted" }, `⚙ ${name}`, detail ? ` · ${detail}` : ""));
}

async function loadConversation(id) {
  const { ok, body } = await api("GET", `${base}/assistant/conversations/${id}`);
  if (!ok) { showError(body?.detail); return; }
  log.replaceChildren();
  const proposals = [];
  for (const m of body.messages) {
    if (m.role === "user") bubble("user", m.content);
    else if (m.role === "assistant" && (m.content || m.error) && !m.tool_calls.length) {
      const { node } = bubble("assistant", m.content);
      if (m.error) node.append(el("p", { class: "msg error" }, m.error));
      proposals.push(...m.proposals);
    }
  }
  for (const pid of [...new Set(proposals)]) {
    const { ok: found, body: p } = await api("GET", `/approvals/${pid}`);
    if (found) log.append(proposalCard(p));
  }
}

async function* sseEvents(response) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const fields = Object.fromEntries(block.split("\n").map((line) => [line.slice(0, line.indexOf(":")), line.slice(line.indexOf(":") + 2)]));
      yield { event: fields.event, data: JSON.parse(fields.data) };
    }
  }
}

async function ask(question) {
  showError("");
  bubble("user", question);
  const answer = bubble("assistant", "");
  answer.node.classList.add("streaming");
  const tools = el("div", { class: "tools" });
  const text = el("div", { class: "answer-text" });
  answer.body.append(tools, text);
  const response = await fetch(`${base}/assistant/messages`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(), Accept: "text/event-stream, application/json" },
    credentials: "same-origin",
    body: JSON.stringify({ question, conversation, connection: config.connection }),
  });
  if (!response.ok) {
    const body = await response.json().catch(() => ({}));
    answer.node.remove();
    showError(body.detail || `The assistant failed (HTTP ${response.status}).`);
    return;
  }
  let streamed = "";
  for await (const { event, data: d } of sseEvents(response)) {
    if (event === "conversation") conversation = d.id;
    else if (event === "delta") { streamed += d.text; text.textContent = streamed; }
    else if (event === "tool_call") toolLine(tools, d.name, "");
    else if (event === "tool_result") toolLine(tools, d.name, d.result.error ? `refused: ${d.result.error}` : `${d.elapsed_ms} ms`);
    else if (event === "proposal") log.append(proposalCard(d));
    else if (event === "done") { renderAnswer(text, d.content); answer.node.classList.remove("streaming"); }
    else if (event === "error") { answer.node.append(el("p", { class: "msg error" }, d.detail)); answer.node.classList.remove("streaming"); }
  }
  const url = new URL(window.location.href);
  url.searchParams.set("conversation", conversation);
  window.history.replaceState(null, "", url);
}

async function askSql(question) {
  showError("");
  bubble("user", question);
  const answer = bubble("assistant", "");
  const { ok, body } = await api("POST", `${base}/assistant/sql`, { question, connection: config.connection });
  if (!ok) { answer.node.remove(); showError(body?.detail); return; }
  answer.body.append(el("div", { class: "answer-text" }, body.explanation), sqlBlock(body.sql, body.read_only),
    el("p", { class: "muted" }, `Tables: ${body.tables.join(", ") || "none"} · ${body.attempts} attempt(s)`));
  if (body.proposal) log.append(proposalCard(body.proposal));
}

const form = document.getElementById("ask");
if (form) {
  const input = document.getElementById("question");
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const question = input.value.trim();
    if (!question) return;
    input.value = "";
    await ask(question);
  });
  document.getElementById("ask-sql").addEventListener("click", async () => {
    const question = input.value.trim();
    if (!question) return;
    input.value = "";
    await askSql(question);
  });
}
if (conversation) loadConversation(conversation);
