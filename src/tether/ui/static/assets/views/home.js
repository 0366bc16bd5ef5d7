// `/ui`: the assistants, and the threads with a search by metadata and status.

import { ROOT, api } from "../api.js";
import { badge, errorText, formatTime, h, preview, relativeTime, replace, shortId } from "../dom.js";

const PAGE = 25;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `a=1, b=x` or a JSON object → a metadata filter. */
export function parseMetadataFilter(text) {
  const trimmed = text.trim();
  if (!trimmed) return {};
  if (trimmed.startsWith("{")) {
    const value = JSON.parse(trimmed);
    if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Error("The metadata filter must be a JSON object");
    return value;
  }
  const filter = {};
  for (const part of trimmed.split(/[,\n]/)) {
    if (!part.trim()) continue;
    const eq = part.indexOf("=");
    if (eq < 1) throw new Error(`Write key=value pairs or a JSON object (not "${part.trim()}")`);
    const key = part.slice(0, eq).trim();
    const raw = part.slice(eq + 1).trim();
    let value = raw;
    try {
      value = JSON.parse(raw); // numbers, booleans, quoted strings
    } catch {
      // a bare word is a string
    }
    filter[key] = value;
  }
  return filter;
}

function metadataChips(metadata, skip = [], empty = "—") {
  const entries = Object.entries(metadata ?? {}).filter(([k]) => !skip.includes(k));
  if (!entries.length) return h("span", { class: "muted" }, empty);
  return h(
    "span",
    { class: "chips" },
    entries.slice(0, 4).map(([k, v]) => h("span", { class: "chip", title: `${k}: ${preview(v, 400)}` }, h("span", { class: "chip-key" }, k), preview(v, 28))),
    entries.length > 4 ? h("span", { class: "chip muted" }, `+${entries.length - 4}`) : null,
  );
}

export function homeView(container, { query, navigate }) {
  const controller = new AbortController();
  const { signal } = controller;
  let assistants = [];

  // -- assistants ----------------------------------------------------------------------
  const assistantFilter = h("input", { class: "input", type: "search", placeholder: "Filter by name, graph or metadata key=value", id: "assistant-filter" });
  const assistantGrid = h("div", { class: "cards", id: "assistants" }, h("p", { class: "muted" }, "Loading…"));

  function assistantCard(a) {
    const href = `${ROOT}/ui/assistants/${encodeURIComponent(a.assistant_id)}`;
    return h(
      "a",
      { class: "card card-link assistant-card", href, "data-link": true, "data-assistant": a.name ?? a.graph_id },
      h("div", { class: "card-title" }, h("span", { class: "assistant-icon" }, (a.name ?? a.graph_id ?? "?").slice(0, 1).toUpperCase()), h("span", {}, a.name ?? a.graph_id)),
      h("div", { class: "muted small mono" }, shortId(a.assistant_id), " · v", String(a.version ?? 1)),
      h("div", { class: "small" }, "graph ", h("code", {}, a.graph_id)),
      a.description ? h("p", { class: "small muted" }, a.description) : null,
      h("div", { class: "card-foot" }, metadataChips(a.metadata, ["created_by"], ""), h("span", { class: "card-action" }, "Run →")),
    );
  }

  function showAssistants() {
    let visible = assistants;
    const text = assistantFilter.value.trim();
    if (text) {
      let metadata = null;
      if (text.includes("=") || text.startsWith("{")) {
        try {
          metadata = parseMetadataFilter(text);
        } catch {
          metadata = null;
        }
      }
      visible = assistants.filter((a) => {
        if (metadata) return Object.entries(metadata).every(([k, v]) => JSON.stringify(a.metadata?.[k]) === JSON.stringify(v));
        const hay = `${a.name} ${a.graph_id} ${a.assistant_id} ${a.description ?? ""}`.toLowerCase();
        return hay.includes(text.toLowerCase());
      });
    }
    replace(assistantGrid, visible.length ? visible.map(assistantCard) : h("p", { class: "muted" }, assistants.length ? "No assistant matches." : "No assistants."));
  }
  assistantFilter.addEventListener("input", showAssistants);

  api("POST", "/assistants/search", { limit: 1000, sort_by: "name", sort_order: "asc" }, { signal })
    .then((found) => {
      assistants = found;
      showAssistants();
    })
    .catch((error) => signal.aborted || replace(assistantGrid, h("div", { class: "alert alert-error" }, errorText(error))));

  // -- threads -------------------------------------------------------------------------
  const status = h(
    "select",
    { class: "input", id: "thread-status", "aria-label": "Status" },
    h("option", { value: "" }, "Any status"),
    ["idle", "busy", "interrupted", "error"].map((s) => h("option", { value: s }, s)),
  );
  status.value = query.get("status") ?? "";
  const metadataInput = h("input", { class: "input grow", type: "search", id: "thread-metadata", placeholder: "Metadata: key=value, … or {\"key\": …}; or a thread id", value: query.get("metadata") ?? "" });
  const tableBody = h("tbody", {});
  const message = h("div", { class: "table-message" });
  const more = h("button", { type: "button", class: "btn btn-ghost hidden", id: "threads-more" }, "Load more");
  let offset = 0;
  let filter = {};

  function threadRow(t) {
    const href = `${ROOT}/ui/threads/${encodeURIComponent(t.thread_id)}`;
    const graph = t.metadata?.graph_id;
    const row = h(
      "tr",
      { class: "clickable", "data-thread": t.thread_id },
      h("td", {}, h("a", { href, "data-link": true, class: "mono" }, t.thread_id)),
      h("td", {}, badge(t.status)),
      h("td", {}, graph ? h("code", {}, graph) : h("span", { class: "muted" }, "—")),
      h("td", {}, metadataChips(t.metadata, ["graph_id", "assistant_id"])),
      h("td", { class: "nowrap", title: t.updated_at }, formatTime(t.updated_at), h("div", { class: "muted small" }, relativeTime(t.updated_at))),
      h("td", { class: "nowrap muted", title: t.created_at }, formatTime(t.created_at)),
    );
    row.addEventListener("click", (event) => {
      if (event.target.closest("a")) return;
      navigate(`/ui/threads/${encodeURIComponent(t.thread_id)}`);
    });
    return row;
  }

  let generation = 0; // a newer search makes the answers of older ones moot
  async function search(reset) {
    if (reset) generation += 1;
    const mine = generation;
    if (reset) {
      offset = 0;
      const text = metadataInput.value.trim();
      if (UUID.test(text)) {
        navigate(`/ui/threads/${text}`);
        return;
      }
      try {
        filter = parseMetadataFilter(text);
      } catch (error) {
        replace(message, h("div", { class: "alert alert-error" }, error.message));
        return;
      }
      const params = new URLSearchParams();
      if (status.value) params.set("status", status.value);
      if (text) params.set("metadata", text);
      const qs = params.toString();
      history.replaceState(null, "", `${ROOT}/ui${qs ? `?${qs}` : ""}`);
      replace(tableBody);
      replace(message, h("span", { class: "muted" }, "Loading…"));
    }
    const body = { limit: PAGE + 1, offset, sort_by: "updated_at", sort_order: "desc" };
    if (Object.keys(filter).length) body.metadata = filter;
    if (status.value) body.status = status.value;
    try {
      const found = await api("POST", "/threads/search", body, { signal });
      if (mine !== generation) return;
      const page = found.slice(0, PAGE);
      tableBody.append(...page.map(threadRow));
      offset += page.length;
      more.classList.toggle("hidden", found.length <= PAGE);
      replace(message, offset === 0 ? h("div", { class: "empty" }, Object.keys(filter).length || status.value ? "No thread matches." : "No threads yet. Start a run on an assistant above.") : null);
    } catch (error) {
      if (!signal.aborted && mine === generation) replace(message, h("div", { class: "alert alert-error" }, errorText(error)));
    }
  }
  more.addEventListener("click", () => search(false));
  const searchForm = h(
    "form",
    { class: "toolbar", id: "thread-search", onsubmit: (event) => (event.preventDefault(), search(true)) },
    status,
    metadataInput,
    h("button", { type: "submit", class: "btn" }, "Search"),
  );
  status.addEventListener("change", () => search(true));

  replace(
    container,
    h("div", { class: "page-head" }, h("div", {}, h("h1", {}, "Overview"), h("p", { class: "muted" }, "Assistants of this server and the threads they ran."))),
    h("section", { class: "section" }, h("div", { class: "section-head" }, h("h2", {}, "Assistants"), assistantFilter), assistantGrid),
    h(
      "section",
      { class: "section" },
      h("div", { class: "section-head" }, h("h2", {}, "Threads")),
      h(
        "div",
        { class: "card flush" },
        searchForm,
        h(
          "table",
          { class: "table", id: "threads" },
          h("thead", {}, h("tr", {}, ["Thread", "Status", "Graph", "Metadata", "Updated", "Created"].map((c) => h("th", {}, c)))),
          tableBody,
        ),
        message,
        h("div", { class: "table-foot" }, more),
      ),
    ),
  );
  search(true);
  return () => controller.abort();
}
