// DBooster's workbench pages: the SQL editor (CodeMirror 6) and the table browser.
// Bundled by esbuild into static/build/workbench.js (`npm run build`); the page says which part runs
// through the "page" field of its JSON config (<script type="application/json" id="workbench-config">).
import { EditorView, basicSetup } from "codemirror";
import { keymap } from "@codemirror/view";
import { Prec } from "@codemirror/state";
import { sql, PostgreSQL } from "@codemirror/lang-sql";
import { setDiagnostics } from "@codemirror/lint";

import { api, cellText, csrfToken, data, el } from "./common.js";

// --- a results grid: one page at a time ------------------------------------------------------------
// The grid never holds more than the page on screen. `fetch({page, sort})` asks the server for a page (the SQL
// editor re-runs the read-only statement paged and ordered by the database); without it (the table browser) the
// caller pages and sorts through `sortBy`, which it replaces.

class Grid {
  constructor(root, { onEdit = null, fetch = null } = {}) {
    this.root = root;
    this.onEdit = onEdit;
    this.fetch = fetch;
    this.columns = [];
    this.rows = [];
    this.page = 1;
    this.pages = 1;
    this.sort = null;
    this.sortable = true;
    this.locked = new Set(); // columns whose cells are not edited here (masked values)
  }

  show(columns, rows, { page = 1, pages = 1, sort = null, sortable = true } = {}) {
    Object.assign(this, { columns, rows, page, pages, sort, sortable });
    this.render();
  }

  render() {
    const head = el("tr", {}, ...this.columns.map((column, index) => {
      const arrow = this.sort && this.sort.index === index ? (this.sort.descending ? " ▼" : " ▲") : "";
      return el("th", { class: this.sortable ? "sortable" : "", title: column.type || "",
        onclick: () => this.sortable && this.sortBy(index) }, column.name + arrow);
    }));
    const body = this.rows.map((row) =>
      el("tr", {}, ...row.map((value, index) => {
        const td = el("td", { class: value === null ? "null" : "" }, cellText(value));
        if (this.onEdit && !this.locked.has(index)) td.addEventListener("dblclick", () => this.edit(td, row, index));
        return td;
      })));
    const table = el("table", { class: "results" }, el("thead", {}, head), el("tbody", {}, ...body));
    const pager = el("p", { class: "pager" },
      el("button", { type: "button", class: "link", id: "grid-previous", onclick: () => this.go(-1) }, "← Previous"),
      el("span", { class: "muted grid-page" }, ` Page ${this.page} of ${this.pages} `),
      el("button", { type: "button", class: "link", id: "grid-next", onclick: () => this.go(1) }, "Next →"));
    this.root.replaceChildren(el("div", { class: "table-wrap" }, table), ...(this.fetch ? [pager] : []));
  }

  go(step) {
    const page = Math.min(this.pages, Math.max(1, this.page + step));
    if (page !== this.page) this.fetch({ page, sort: this.sort });
  }

  sortBy(index) {
    const descending = this.sort && this.sort.index === index ? !this.sort.descending : false;
    this.sort = { index, descending }; // at once: a second click before the page arrives turns it around
    this.fetch({ page: 1, sort: this.sort });
  }

  edit(td, row, index) {
    const input = el("input", { type: "text", class: "cell-input", "aria-label": `Edit ${this.columns[index].name}` });
    input.value = row[index] === null ? "" : cellText(row[index]);
    td.replaceChildren(input);
    input.focus();
    input.addEventListener("keydown", async (event) => {
      if (event.key === "Escape") return this.render();
      if (event.key !== "Enter") return;
      const saved = await this.onEdit(row, index, input.value);
      if (saved) row[index] = input.value;
      this.render();
    });
  }
}

// --- the SQL editor ------------------------------------------------------------------------------

function completionSchema(tables) {
  const schema = {};
  for (const [table, columns] of Object.entries(tables || {})) schema[table] = columns;
  return schema;
}

function positionToLineColumn(text, position) {
  const before = text.slice(0, Math.max(0, position - 1));
  const lines = before.split("\n");
  return { line: lines.length, column: lines[lines.length - 1].length + 1 };
}

function startEditor() {
  const config = data("workbench-config");
  const status = document.getElementById("run-status");
  const errorBox = document.getElementById("run-error");
  const notices = document.getElementById("run-notices");
  const PAGE_SIZE = 50;
  let shown = null; // the run on screen: its pages are asked for by its history id
  const grid = new Grid(document.getElementById("results"), { fetch: showPage });
  const historyList = document.getElementById("history");
  const snippetList = document.getElementById("snippets");
  const base = `/projects/${config.project}`;

  const view = new EditorView({
    doc: config.initial || "",
    parent: document.getElementById("sql-editor"),
    extensions: [
      basicSetup,
      sql({ dialect: PostgreSQL, schema: completionSchema(config.tables), upperCaseKeywords: true }),
      Prec.highest(keymap.of([{ key: "Mod-Enter", run: () => { run(); return true; } }])),
      EditorView.lineWrapping,
    ],
  });
  window.workbenchEditor = view; // tests and the console reach the editor through it

  const statement = () => view.state.doc.toString();
  const connection = () => {
    const select = document.getElementById("connection");
    return select && select.value ? Number(select.value) : null;
  };

  function showError(body, text) {
    const position = body.position || (body.run && body.run.error_position);
    let where = "";
    if (position) {
      const { line, column } = positionToLineColumn(text, position);
      where = ` (line ${line}, column ${column})`;
      const from = Math.min(position - 1, view.state.doc.length);
      const wordEnd = text.slice(from).search(/[\s,;()]|$/);
      const to = Math.min(view.state.doc.length, from + Math.max(1, wordEnd));
      view.dispatch(setDiagnostics(view.state, [{ from, to, severity: "error", message: body.detail }]));
      view.dispatch({ selection: { anchor: from, head: to }, scrollIntoView: true });
    }
    errorBox.hidden = false;
    errorBox.dataset.position = position || "";
    errorBox.textContent = `${body.detail}${where}`;
  }

  function paged(body, sort = null) {
    grid.show(body.columns, body.rows, { page: body.page, pages: body.pages, sort,
      sortable: body.run.statement_kind === "select" });
  }

  let asked = 0;
  async function showPage({ page, sort }) {
    if (!shown) return;
    const mine = ++asked;
    const payload = { page, page_size: PAGE_SIZE, row_cap: shown.row_cap };
    if (sort) Object.assign(payload, { sort_column: sort.index, sort_order: sort.descending ? "desc" : "asc" });
    status.textContent = "Loading…";
    const { ok, body } = await api("POST", `${base}/sql/history/${shown.run.id}/page`, payload);
    if (mine !== asked) return; // a later page or order was asked for meanwhile
    if (!ok) { status.textContent = body.detail; return; }
    paged(body, sort);
    status.textContent = summary(body);
  }

  function summary(body) {
    const capped = body.truncated ? ` — first ${body.row_cap} rows only (row cap)` : "";
    return `${body.row_count} row${body.row_count === 1 ? "" : "s"} in ${body.duration_ms.toFixed(1)} ms${capped}`;
  }

  function showResult(body) {
    view.dispatch(setDiagnostics(view.state, []));
    errorBox.hidden = true;
    shown = body;
    paged(body);
    status.textContent = summary(body);
    notices.replaceChildren(...body.notices.map((n) => el("li", {}, n)));
  }

  async function submit(url, payload, text) {
    status.textContent = "Running…";
    const { ok, body } = await api("POST", url, payload);
    if (ok) showResult(body);
    else { status.textContent = ""; showError(body, text); }
    loadHistory();
  }

  function run() {
    const text = statement();
    const commit = document.getElementById("commit");
    return submit(`${base}/sql/run`, {
      sql: text, connection: connection(), commit: !!(commit && commit.checked), page_size: PAGE_SIZE,
    }, text);
  }

  async function loadHistory() {
    const { ok, body } = await api("GET", `${base}/sql/history?page_size=30`);
    if (!ok) return;
    historyList.replaceChildren(...body.results.map((entry) => el("li", { class: `history-${entry.status}` },
      el("code", { class: "history-sql", title: entry.sql }, entry.sql.slice(0, 120)),
      el("span", { class: "muted" }, ` ${entry.status}${entry.row_count !== null ? ` · ${entry.row_count} rows` : ""}` +
        `${entry.duration_ms !== null ? ` · ${entry.duration_ms.toFixed(1)} ms` : ""} · ${entry.user ? entry.user.email : ""}` +
        ` · ${entry.created_at.slice(0, 19).replace("T", " ")}`),
      entry.error_message ? el("div", { class: "error-text" }, entry.error_message) : "",
      el("button", { type: "button", class: "link", onclick: () => {
        view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: entry.sql } });
      } }, "Load"),
      " ",
      config.canRun ? el("button", { type: "button", class: "link", onclick: () => {
        view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: entry.sql } });
        submit(`${base}/sql/history/${entry.id}/rerun`, { page_size: PAGE_SIZE }, entry.sql);
      } }, "Re-run") : "")));
  }

  async function loadSnippets() {
    const { ok, body } = await api("GET", `${base}/sql/snippets?page_size=100`);
    if (!ok) return;
    snippetList.replaceChildren(...body.results.map((snippet) => el("li", {},
      el("button", { type: "button", class: "link snippet-name", onclick: () => {
        view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: snippet.sql } });
      } }, snippet.name))));
  }

  async function saveSnippet() {
    const name = document.getElementById("snippet-name").value.trim();
    if (!name) return;
    const { ok, body } = await api("POST", `${base}/sql/snippets`, { name, sql: statement() });
    document.getElementById("snippet-status").textContent = ok ? `Saved “${name}”.` : body.detail;
    loadSnippets();
  }

  function openWith(url) {
    window.location.href = url + encodeURIComponent(statement());
  }

  document.getElementById("run")?.addEventListener("click", run);
  document.getElementById("save-snippet")?.addEventListener("click", saveSnippet);
  document.getElementById("explain").addEventListener("click", () => openWith(`/app/projects/${config.project}/explain/?query=`));
  document.getElementById("optimize").addEventListener("click", () => openWith(`/app/optimize/?project=${config.project}&query=`));
  document.getElementById("export-csv").addEventListener("click", () => download("csv"));
  document.getElementById("export-json").addEventListener("click", () => download("json"));

  async function download(format) {
    const response = await fetch(`${base}/sql/export`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      credentials: "same-origin",
      body: JSON.stringify({ sql: statement(), connection: connection(), format }),
    });
    if (!response.ok) return showError(await response.json(), statement());
    const link = el("a", { href: URL.createObjectURL(await response.blob()), download: `result.${format}` });
    link.click();
  }

  loadHistory();
  loadSnippets();
}

// --- the table browser ---------------------------------------------------------------------------

function startTableBrowser() {
  const config = data("workbench-config");
  const base = `/projects/${config.project}/tables/${encodeURIComponent(config.table)}`;
  const query = new URLSearchParams({ schema: config.schema });
  if (config.connection) query.set("connection", config.connection);
  const status = document.getElementById("table-status");
  const cursors = [null];
  let current = 0;
  let next = null;
  let sort = null;
  let descending = false;

  const grid = new Grid(document.getElementById("rows"), { onEdit: config.editable ? saveCell : null });
  // Sorting asks the server (keyset on the primary key, or by the chosen column).
  grid.sortBy = (index) => {
    const name = grid.columns[index].name;
    descending = sort === name ? !descending : false;
    sort = name;
    cursors.length = 1;
    current = 0;
    load();
  };

  async function saveCell(row, index, value) {
    const key = {};
    for (const column of config.primaryKey) key[column] = row[grid.columns.findIndex((c) => c.name === column)];
    const { ok, body } = await api("PATCH", `${base}/rows?${query}`, {
      key, values: { [grid.columns[index].name]: value === "" ? null : value },
    });
    status.textContent = ok ? `Saved row ${JSON.stringify(key)}.` : body.detail;
    return ok;
  }

  async function load() {
    const params = new URLSearchParams(query);
    params.set("limit", "50");
    if (sort) { params.set("sort", sort); params.set("order", descending ? "desc" : "asc"); }
    const cursor = cursors[current];
    if (cursor && cursor.after) params.set("after", JSON.stringify(cursor.after));
    if (cursor && cursor.offset) params.set("offset", cursor.offset);
    const column = document.getElementById("filter-column").value;
    const value = document.getElementById("filter-value").value;
    if (column) {
      params.set("filter_column", column);
      params.set("filter_op", document.getElementById("filter-op").value);
      params.set("filter_value", value);
    }
    const { ok, body } = await api("GET", `${base}?${params}`);
    if (!ok) { status.textContent = body.detail; return; }
    const index = body.columns.indexOf(sort);
    grid.locked = new Set(body.masked_columns.map((name) => body.columns.indexOf(name)));
    grid.show(body.columns.map((name) => ({ name })), body.rows, { sort: index < 0 ? null : { index, descending } });
    next = body.next_after ? { after: body.next_after } : body.next_offset ? { offset: body.next_offset } : null;
    document.getElementById("page-next").disabled = !next;
    document.getElementById("page-previous").disabled = current === 0;
    status.textContent = `${body.rows.length} rows${body.has_more ? " (more on the next page)" : ""}` +
      (body.editable ? " · double-click a cell to edit it" : ` · read-only: ${body.read_only_reason}`);
  }

  document.getElementById("sensitive-form")?.addEventListener("submit", async (event) => {
    event.preventDefault();
    const columns = [...event.target.querySelectorAll("input[name=sensitive]:checked")].map((box) => box.value);
    const { ok, body } = await api("PUT", `/projects/${config.project}/tables/${encodeURIComponent(config.table)}/sensitive-columns?${query}`, { columns });
    document.getElementById("sensitive-status").textContent = ok
      ? `Sensitive: ${body.columns.join(", ") || "none"}.` : body.detail;
  });
  document.getElementById("page-next").addEventListener("click", () => {
    if (!next) return;
    cursors[current + 1] = next;
    current += 1;
    load();
  });
  document.getElementById("page-previous").addEventListener("click", () => {
    current = Math.max(0, current - 1);
    load();
  });
  document.getElementById("filter").addEventListener("submit", (event) => {
    event.preventDefault();
    cursors.length = 1;
    current = 0;
    load();
  });
  load();
}


// --- the schema-change builder -------------------------------------------------------------------

const LABELS = {
  create_table: "Create a table", alter_table: "Alter a table", drop_table: "Drop a table",
  rename_table: "Rename a table", create_index: "Create an index", drop_index: "Drop an index",
  rename_index: "Rename an index", add_column: "Add a column", drop_column: "Drop a column",
  rename_column: "Rename a column", alter_column_type: "Change a column's type", set_not_null: "Set NOT NULL",
  drop_not_null: "Drop NOT NULL", set_default: "Set a default", drop_default: "Drop the default",
  add_constraint: "Add a constraint", drop_constraint: "Drop a constraint",
};

function options(select, values, labels = {}, selected = "") {
  select.replaceChildren(...values.map((value) => {
    const option = el("option", { value }, labels[value] || value);
    if (value === selected) option.selected = true;
    return option;
  }));
  return select;
}

function field(label, input) {
  input.setAttribute("aria-label", label);
  return el("label", { class: "builder-field" }, label + " ", input);
}

const input = (attrs = {}) => el("input", { type: "text", ...attrs });
const checkbox = () => el("input", { type: "checkbox" });
const list = (text) => text.split(",").map((v) => v.trim()).filter(Boolean);

function startBuilder() {
  const config = data("workbench-config");
  const base = `/projects/${config.project}/schema-changes`;
  const action = options(document.getElementById("builder-action"), config.actions, LABELS, config.initial.action);
  const fields = document.getElementById("builder-fields");
  const sqlBox = document.getElementById("builder-sql");
  const review = document.getElementById("builder-review");
  const errorBox = document.getElementById("builder-error");
  const tableKey = (t) => (t.schema === "public" ? t.name : `${t.schema}.${t.name}`);
  const tableBy = (key) => config.tables.find((t) => tableKey(t) === key);
  const { schema, table } = config.initial;
  const initialTable = schema && schema !== "public" ? `${schema}.${table}` : table;
  let read = () => ({}); // reads the current form into a change
  let timer = null;

  function tableSelect(label, selected) {
    return field(label, options(el("select", { class: "builder-table" }), config.tables.map(tableKey), {}, selected));
  }
  function tableOf(key) {
    const t = tableBy(key);
    return t ? (t.schema === "public" ? { table: t.name } : { table: t.name, schema: t.schema }) : { table: key };
  }

  function columnRow(removable = true) {
    const row = el("div", { class: "row-form builder-column" },
      field("Column name", input({ class: "col-name" })), field("Type", input({ class: "col-type", value: "text" })),
      field("Nullable", Object.assign(checkbox(), { className: "col-nullable", checked: true })),
      field("Default", input({ class: "col-default" })),
      ...(removable ? [field("Primary key", Object.assign(checkbox(), { className: "col-pk" })),
        el("button", { type: "button", class: "link", onclick: () => { row.remove(); changed(); } }, "Remove column")] : []));
    return row;
  }
  const readColumn = (row) => {
    const column = { name: row.querySelector(".col-name").value, type: row.querySelector(".col-type").value,
      nullable: row.querySelector(".col-nullable").checked };
    const value = row.querySelector(".col-default").value;
    if (value) column.default = value;
    const pk = row.querySelector(".col-pk");
    if (pk && pk.checked) column.primary_key = true;
    return column;
  };

  // One ALTER TABLE operation: its own kind and the fields that kind needs.
  function operationRow(columns) {
    const op = options(el("select", { class: "op-kind" }), config.operations, LABELS);
    const body = el("div", { class: "op-fields" });
    const row = el("fieldset", { class: "builder-operation" }, field("Operation", op), body,
      el("button", { type: "button", class: "link", onclick: () => { row.remove(); changed(); } }, "Remove operation"));
    const columnSelect = () => field("Column", options(el("select", { class: "op-column" }), columns()));
    const parts = {
      add_column: () => [columnRow(false)],
      drop_column: () => [columnSelect(), field("Cascade", Object.assign(checkbox(), { className: "op-cascade" }))],
      rename_column: () => [columnSelect(), field("New name", input({ class: "op-new-name" }))],
      alter_column_type: () => [columnSelect(), field("New type", input({ class: "op-type" })),
        field("Using", input({ class: "op-using" }))],
      set_not_null: () => [columnSelect()], drop_not_null: () => [columnSelect()], drop_default: () => [columnSelect()],
      set_default: () => [columnSelect(), field("Default", input({ class: "op-default" }))],
      add_constraint: () => [
        field("Constraint type", options(el("select", { class: "con-type" }), config.constraintTypes)),
        field("Constraint name", input({ class: "con-name", placeholder: "generated" })),
        field("Columns", input({ class: "con-columns", placeholder: "a, b" })),
        field("Check expression", input({ class: "con-expression" })),
        tableSelect("References table"), field("Referred columns", input({ class: "con-ref-columns", placeholder: "its primary key" })),
        field("On delete", options(el("select", { class: "con-on-delete" }), ["", ...config.referentialActions])),
        field("Not valid", Object.assign(checkbox(), { className: "con-not-valid" }))],
      drop_constraint: () => [field("Constraint name", input({ class: "op-name" }))],
    };
    const show = () => { body.replaceChildren(...parts[op.value]()); changed(); };
    op.addEventListener("change", show);
    show();
    row.read = () => {
      const value = (cls) => { const node = row.querySelector(cls); return node ? node.value : ""; };
      const spec = { op: op.value };
      if (op.value === "add_column") spec.column = readColumn(row.querySelector(".builder-column"));
      else if (op.value === "drop_constraint") spec.name = value(".op-name");
      else if (op.value === "add_constraint") {
        const constraint = { type: value(".con-type"), columns: list(value(".con-columns")) };
        if (value(".con-name")) constraint.name = value(".con-name");
        if (constraint.type === "check") constraint.expression = value(".con-expression");
        if (constraint.type === "foreign_key") {
          constraint.references = tableOf(value(".builder-table"));
          const referred = list(value(".con-ref-columns"));
          if (referred.length) constraint.references.columns = referred;
          if (value(".con-on-delete")) constraint.on_delete = value(".con-on-delete");
        }
        if (row.querySelector(".con-not-valid").checked) constraint.not_valid = true;
        spec.constraint = constraint;
      } else {
        spec.column = value(".op-column");
        if (op.value === "drop_column" && row.querySelector(".op-cascade").checked) spec.cascade = true;
        if (op.value === "rename_column") spec.new_name = value(".op-new-name");
        if (op.value === "alter_column_type") { spec.type = value(".op-type"); if (value(".op-using")) spec.using = value(".op-using"); }
        if (op.value === "set_default") spec.default = value(".op-default");
      }
      return spec;
    };
    return row;
  }

  const forms = {
    create_table() {
      const name = input({ id: "builder-table-name" });
      const columns = el("div", { id: "builder-columns" }, columnRow());
      const add = el("button", { type: "button", class: "secondary", onclick: () => { columns.append(columnRow()); } }, "Add column");
      fields.replaceChildren(field("Table name", name), columns, add);
      return () => ({ action: "create_table", table: name.value,
        columns: [...columns.querySelectorAll(".builder-column")].map(readColumn) });
    },
    alter_table() {
      const table = tableSelect("Table", initialTable);
      const select = table.querySelector("select");
      const columns = () => (tableBy(select.value) || { columns: [] }).columns;
      const operations = el("div", { id: "builder-operations" }, operationRow(columns));
      const add = el("button", { type: "button", class: "secondary", onclick: () => { operations.append(operationRow(columns)); } },
        "Add operation");
      select.addEventListener("change", () => { operations.replaceChildren(operationRow(columns)); });
      fields.replaceChildren(table, operations, add);
      return () => ({ action: "alter_table", ...tableOf(select.value),
        operations: [...operations.children].map((row) => row.read()) });
    },
    drop_table() {
      const table = tableSelect("Table", initialTable);
      const cascade = checkbox();
      fields.replaceChildren(table, field("Cascade", cascade));
      return () => ({ action: "drop_table", ...tableOf(table.querySelector("select").value), cascade: cascade.checked });
    },
    rename_table() {
      const table = tableSelect("Table", initialTable);
      const name = input({ id: "builder-new-name" });
      fields.replaceChildren(table, field("New name", name));
      return () => ({ action: "rename_table", ...tableOf(table.querySelector("select").value), new_name: name.value });
    },
    create_index() {
      const table = tableSelect("Table", initialTable);
      const columns = input({ placeholder: "a, b" });
      const name = input({ placeholder: "generated" });
      const unique = checkbox();
      const method = options(el("select"), config.indexMethods);
      const where = input();
      fields.replaceChildren(table, field("Index columns", columns), field("Index name", name), field("Unique", unique),
        field("Method", method), field("Only rows where", where));
      return () => {
        const change = { action: "create_index", ...tableOf(table.querySelector("select").value),
          columns: list(columns.value), unique: unique.checked, method: method.value };
        if (name.value) change.name = name.value;
        if (where.value) change.where = where.value;
        return change;
      };
    },
    drop_index() { return indexForm("drop_index"); },
    rename_index() { return indexForm("rename_index"); },
  };

  function indexForm(kind) {
    const keys = config.indexes.map((i) => (i.schema === "public" ? i.name : `${i.schema}.${i.name}`));
    const index = options(el("select"), keys, {}, config.initial.name);
    const name = input({ id: "builder-new-name" });
    fields.replaceChildren(field("Index", index), ...(kind === "rename_index" ? [field("New name", name)] : []));
    return () => {
      const found = config.indexes.find((i) => (i.schema === "public" ? i.name : `${i.schema}.${i.name}`) === index.value);
      const change = { action: kind, name: found ? found.name : index.value };
      if (found && found.schema !== "public") change.schema = found.schema;
      if (kind === "rename_index") change.new_name = name.value;
      return change;
    };
  }

  function body() {
    return { change: read(), connection: config.connection };
  }

  let asked = 0;
  async function preview() {
    const mine = ++asked;
    const { ok, body: result } = await api("POST", `${base}/preview`, body());
    if (mine !== asked) return; // a later preview is on its way: this one is stale
    errorBox.hidden = ok;
    if (!ok) {
      errorBox.textContent = result.detail;
      sqlBox.textContent = "";
      review.replaceChildren();
      return;
    }
    sqlBox.textContent = result.sql;
    const findings = result.safety_review.findings || [];
    const locks = (result.safety_review.statements || []).map((s) =>
      el("li", { class: "muted" }, `Statement ${s.index + 1}: ${s.lock || "no table lock"} — blocks ${s.blocks}` +
        (s.rewrites_table ? " (rewrites the table)" : "")));
    review.replaceChildren(...locks, ...findings.map((f) => el("li", { class: `finding finding-${f.severity}` },
      el("strong", {}, `${f.severity} · ${f.rule}`), " ", f.message || f.title || "",
      f.safer ? el("code", { class: "wrap history-sql" }, f.safer) : "")));
    if (!findings.length) review.append(el("li", { class: "muted" }, "No rule flags this change."));
  }

  function changed() {
    clearTimeout(timer);
    timer = setTimeout(preview, 250);
  }

  function pick() {
    read = forms[action.value]();
    changed();
  }

  document.getElementById("builder").addEventListener("input", changed);
  document.getElementById("builder").addEventListener("change", changed);
  document.getElementById("builder").addEventListener("submit", (event) => event.preventDefault());
  action.addEventListener("change", pick);
  document.getElementById("builder-propose")?.addEventListener("click", async () => {
    const status = document.getElementById("builder-status");
    const reason = document.getElementById("builder-reason").value;
    const { ok, body: result } = await api("POST", base, { ...body(), reason });
    if (!ok) { status.textContent = result.detail; return; }
    status.replaceChildren("Proposed: ", el("a", { href: `/app/approvals/${result.id}/`, id: "builder-proposal" }, result.title));
  });
  pick();
}

const page = (data("workbench-config") || {}).page;
if (page === "editor") startEditor();
if (page === "table") startTableBrowser();
if (page === "builder") startBuilder();
