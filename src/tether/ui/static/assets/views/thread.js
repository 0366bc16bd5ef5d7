// `/ui/threads/{id}[?run={run_id}]`: the thread's runs with their timings, the events of the
// selected run as they happen, a pending interrupt with a form to resume it, the current
// state, the checkpoint history and the graph.

import { ROOT, api } from "../api.js";
import { ACTIVE, badge, copyButton, errorText, eventTime, formatDuration, formatTime, h, jsonTree, parseJsonField, preview, replace, shortId } from "../dom.js";
import { drawGraph } from "../graph.js";
import { eventList } from "./events.js";
import { runBody, runForm } from "./runform.js";

const POLL_MS = 2000;

function duration(run) {
  const start = new Date(run.created_at).getTime();
  const end = ACTIVE.has(run.status) ? Date.now() : new Date(run.updated_at).getTime();
  return formatDuration(end - start);
}

function field(label, ...value) {
  return h("div", { class: "fact" }, h("dt", {}, label), h("dd", {}, ...value));
}

export function threadView(container, { threadId, query, navigate }) {
  const controller = new AbortController();
  const { signal } = controller;
  const path = `/threads/${encodeURIComponent(threadId)}`;
  const get = (p) => api("GET", path + p, undefined, { signal });

  let thread = null;
  let runs = [];
  let assistants = [];
  let state = null;
  let selected = query.get("run");
  let pinned = Boolean(selected);
  let events = null; // the selected run's event list
  let streamState = "";
  let attempt = null;
  let timer = 0;
  let stopped = false;
  let graphFor = null;
  let doneNodes = new Set(); // nodes the selected run finished (its `updates` events)

  // -- skeleton ------------------------------------------------------------------------
  const head = h("div", { class: "page-head" });
  const interruptBox = h("section", { class: "card interrupt hidden", id: "interrupt" });
  const runsBody = h("tbody", {});
  const runsMessage = h("div", { class: "table-message" });
  const newRunBox = h("div", { class: "hidden", id: "new-run" });
  const newRunButton = h("button", { type: "button", class: "btn btn-sm", id: "new-run-button" }, "New run");
  const runBox = h("section", { class: "card run-detail", id: "run-detail" });
  const tabs = {
    state: h("div", { class: "tab-panel", id: "tab-state" }),
    history: h("div", { class: "tab-panel hidden", id: "tab-history" }),
    graph: h("div", { class: "tab-panel hidden", id: "tab-graph" }),
  };
  const tabButtons = Object.keys(tabs).map((name) =>
    h("button", { type: "button", role: "tab", class: `tab${name === "state" ? " active" : ""}`, "data-tab": name, onclick: () => showTab(name) }, name === "state" ? "State" : name === "history" ? "Checkpoints" : "Graph"),
  );
  function showTab(name) {
    for (const [key, panel] of Object.entries(tabs)) panel.classList.toggle("hidden", key !== name);
    for (const button of tabButtons) button.classList.toggle("active", button.dataset.tab === name);
    if (name === "history") loadHistory();
    if (name === "graph") loadGraph();
  }
  newRunButton.addEventListener("click", () => {
    newRunBox.classList.toggle("hidden");
    if (!newRunBox.classList.contains("hidden")) newRunBox.querySelector("textarea")?.focus();
  });

  replace(
    container,
    h("nav", { class: "crumbs" }, h("a", { href: `${ROOT}/ui`, "data-link": true }, "Overview"), h("span", {}, "/"), h("span", {}, "Threads"), h("span", {}, "/"), h("span", { class: "mono" }, shortId(threadId))),
    head,
    interruptBox,
    h(
      "div",
      { class: "grid-runs" },
      h(
        "div",
        { class: "stack" },
        h(
          "section",
          { class: "card flush" },
          h("div", { class: "card-h padded row between" }, h("h2", {}, "Runs"), newRunButton),
          newRunBox,
          h("table", { class: "table runs", id: "runs" }, h("thead", {}, h("tr", {}, ["Run", "Status", "Created", "Duration"].map((c) => h("th", {}, c)))), runsBody),
          runsMessage,
        ),
      ),
      runBox,
    ),
    h("section", { class: "card" }, h("div", { class: "tabs", role: "tablist" }, tabButtons), tabs.state, tabs.history, tabs.graph),
  );
  replace(head, h("div", {}, h("h1", {}, "Thread"), h("p", { class: "muted mono" }, threadId)));

  // -- header --------------------------------------------------------------------------
  function renderHead() {
    const meta = Object.entries(thread.metadata ?? {});
    replace(
      head,
      h(
        "div",
        { class: "grow" },
        h("div", { class: "title-row" }, h("h1", {}, "Thread"), h("span", { id: "thread-status" }, badge(thread.status))),
        h("p", { class: "muted mono small id-line" }, thread.thread_id, copyButton(thread.thread_id, "Copy the thread id")),
        thread.status === "error" && thread.error ? h("div", { class: "alert alert-error thread-error" }, h("strong", {}, "The last run failed: "), `${thread.error.error ?? "Error"}: ${thread.error.message ?? ""}`) : null,
        h(
          "dl",
          { class: "facts" },
          field("Graph", thread.metadata?.graph_id ? h("code", {}, thread.metadata.graph_id) : "—"),
          field("Created", h("span", { title: thread.created_at }, formatTime(thread.created_at))),
          field("Updated", h("span", { title: thread.updated_at }, formatTime(thread.updated_at))),
          field(
            "Metadata",
            meta.length
              ? h("span", { class: "chips" }, meta.map(([k, v]) => h("span", { class: "chip", title: preview(v, 400) }, h("span", { class: "chip-key" }, k), preview(v, 40))))
              : h("span", { class: "muted" }, "—"),
          ),
        ),
      ),
    );
  }

  // -- runs ----------------------------------------------------------------------------
  function renderRuns() {
    replace(
      runsBody,
      runs.map((run) => {
        const tr = h(
          "tr",
          { class: `clickable${run.run_id === selected ? " selected" : ""}`, "data-run": run.run_id, onclick: () => select(run.run_id, true) },
          h("td", { class: "mono", title: run.run_id }, shortId(run.run_id)),
          h("td", {}, badge(run.status)),
          h("td", { class: "nowrap", title: run.created_at }, formatTime(run.created_at)),
          h("td", { class: "nowrap" }, duration(run)),
        );
        return tr;
      }),
    );
    replace(runsMessage, runs.length ? null : h("div", { class: "empty" }, "No runs on this thread yet."));
  }

  function currentRun() {
    return runs.find((r) => r.run_id === selected) ?? null;
  }

  function assistantName(id) {
    const a = assistants.find((x) => x.assistant_id === id);
    return a ? a.name ?? a.graph_id : shortId(id);
  }

  function renderRunDetail() {
    const run = currentRun();
    if (!selected) {
      replace(runBox, h("div", { class: "empty-state small" }, h("h3", {}, "No run selected"), h("p", { class: "muted" }, "Start a run, or pick one from the list.")));
      return;
    }
    const indicator = h("span", { class: `stream-state state-${streamState || "idle"}`, id: "stream-state" }, streamLabel());
    const cancel = run && ACTIVE.has(run.status) ? h("button", { type: "button", class: "btn btn-sm btn-danger", id: "cancel-run", onclick: () => cancelRun(run) }, "Cancel run") : null;
    const stamps = events?.events() ?? [];
    const first = stamps.find((e) => e.id);
    const last = [...stamps].reverse().find((e) => e.id);
    const kwargs = run?.kwargs ?? {};
    const scrolled = events?.list.scrollTop ?? 0; // moving the list resets its scroll
    replace(
      runBox,
      h(
        "div",
        { class: "card-h row between" },
        h("div", {}, h("h2", {}, "Run ", h("span", { class: "mono" }, shortId(selected))), h("p", { class: "muted mono small id-line" }, selected, copyButton(selected, "Copy the run id"))),
        h("div", { class: "row" }, run ? h("span", { id: "run-status" }, badge(run.status)) : null, cancel),
      ),
      run
        ? h(
            "dl",
            { class: "facts" },
            field("Assistant", assistantName(run.assistant_id)),
            field("Created", h("span", { title: run.created_at }, formatTime(run.created_at))),
            field(ACTIVE.has(run.status) ? "Updated" : "Ended", h("span", { title: run.updated_at }, formatTime(run.updated_at))),
            field("Duration", duration(run)),
            first ? field("First event", eventTime(first.id)) : null,
            last && !ACTIVE.has(run.status) ? field("Last event", eventTime(last.id)) : null,
            field("Attempt", attempt ?? "—"),
            field("Stream modes", (kwargs.stream_mode ?? []).join(", ") || "—"),
            field("Multitask", run.multitask_strategy ?? "—"),
            kwargs.command ? field("Command", h("span", { class: "mono small" }, preview(kwargs.command, 60))) : field("Input", h("span", { class: "mono small" }, preview(kwargs.input, 60))),
          )
        : null,
      h("div", { class: "events-head row between" }, h("h3", {}, "Events"), h("div", { class: "row" }, events?.count, indicator, h("button", { type: "button", class: "btn btn-ghost btn-sm", title: "Replay every event of the run from its start", onclick: () => events?.restart() }, "Replay"))),
      events?.notice,
      events?.list,
    );
    if (events) events.list.scrollTop = scrolled;
  }

  function streamLabel() {
    return { connecting: "connecting…", live: "live", reconnecting: "reconnecting…", ended: "ended", failed: "failed" }[streamState] ?? "";
  }

  function updateIndicator() {
    const el = runBox.querySelector("#stream-state");
    if (el) {
      el.className = `stream-state state-${streamState || "idle"}`;
      el.textContent = streamLabel();
    }
  }

  function select(runId, byUser) {
    if (byUser) pinned = true;
    if (runId === selected && events) return;
    events?.stop();
    events = null;
    selected = runId;
    doneNodes = new Set();
    markGraph();
    attempt = null;
    streamState = "";
    const url = `${ROOT}/ui/threads/${encodeURIComponent(threadId)}${runId ? `?run=${encodeURIComponent(runId)}` : ""}`;
    if (location.pathname + location.search !== url) history.replaceState(null, "", url);
    if (runId) {
      events = eventList(threadId, runId, {
        onStatus: (s, detail) => {
          streamState = s;
          if (s === "ended") {
            const i = runs.findIndex((r) => r.run_id === runId);
            if (i >= 0) runs[i] = detail;
            refresh(true);
          } else if (s === "failed") {
            streamState = "failed";
            events?.notice.replaceChildren(h("div", { class: "alert alert-error" }, errorText(detail)));
          }
          updateIndicator();
        },
        onEvent: (event) => {
          if (event.event === "metadata" && event.data?.attempt) {
            attempt = event.data.attempt;
          }
          if (event.event === "error" || event.event === "metadata") scheduleDetail();
          if (event.event === "updates" && event.data && typeof event.data === "object") {
            for (const node of Object.keys(event.data)) if (!node.startsWith("__")) doneNodes.add(node);
            markGraph();
          }
        },
      });
    }
    renderRuns();
    renderRunDetail();
  }

  let detailFrame = 0;
  function scheduleDetail() {
    detailFrame ||= requestAnimationFrame(() => {
      detailFrame = 0;
      renderRunDetail();
    });
  }

  async function cancelRun(run) {
    try {
      await api("POST", `${path}/runs/${encodeURIComponent(run.run_id)}/cancel`);
    } catch (error) {
      alertIn(runBox, error);
    }
    refresh(true);
  }

  function alertIn(box, error) {
    box.prepend(h("div", { class: "alert alert-error" }, errorText(error)));
  }

  // -- interrupt -----------------------------------------------------------------------
  function renderInterrupt() {
    const interrupts = state?.interrupts ?? [];
    const paused = thread?.status === "interrupted";
    if (!paused || (!interrupts.length && !(state?.next ?? []).length)) {
      interruptBox.classList.add("hidden");
      replace(interruptBox);
      return;
    }
    const latest = runs[0];
    const assistantId = latest?.assistant_id ?? thread.metadata?.assistant_id;
    const modes = latest?.kwargs?.stream_mode ?? ["values", "updates"];
    const error = h("div", { class: "form-error", role: "alert" });
    const fields = interrupts.map((item, i) => ({
      item,
      input: h("textarea", { class: "input mono resume-value", rows: 3, spellcheck: "false", placeholder: "a JSON value, e.g. true or {\"approved\": true}", id: `resume-value-${i}` }),
    }));
    const submit = h("button", { type: "submit", class: "btn btn-primary", id: "resume-submit" }, interrupts.length ? "Resume" : "Continue");
    const form = h(
      "form",
      {
        class: "form",
        id: "resume-form",
        onsubmit: async (event) => {
          event.preventDefault();
          error.textContent = "";
          let body;
          try {
            if (!fields.length) body = runBody(assistantId, { input: null, stream_mode: modes });
            else {
              const values = fields.map((f) => parseJsonField(f.input.value, null));
              const resume = fields.length === 1 ? values[0] : Object.fromEntries(fields.map((f, i) => [f.item.id, values[i]]));
              body = runBody(assistantId, { command: { resume }, stream_mode: modes });
            }
          } catch (e) {
            error.textContent = e.message;
            return;
          }
          submit.disabled = true;
          try {
            const run = await api("POST", `${path}/runs`, body);
            interruptBox.classList.add("hidden");
            runs.unshift(run);
            select(run.run_id, false);
            pinned = false;
            refresh(true);
          } catch (e) {
            error.textContent = errorText(e);
          } finally {
            submit.disabled = false;
          }
        },
      },
      fields.map(({ item, input }) =>
        h(
          "div",
          { class: "interrupt-item" },
          h("div", { class: "interrupt-value" }, h("div", { class: "muted small" }, "The graph asks", item.id ? h("span", { class: "mono" }, ` · ${shortId(item.id)}`) : null), jsonTree(item.value, { open: 3 })),
          h("label", { class: "field" }, h("span", {}, "Your answer (JSON)"), input),
        ),
      ),
      fields.length ? null : h("p", { class: "muted" }, `Paused before ${(state.next ?? []).join(", ")}. Continue runs the graph from here.`),
      error,
      h("div", { class: "row end" }, submit),
    );
    interruptBox.classList.remove("hidden");
    replace(interruptBox, h("div", { class: "card-h" }, h("h2", {}, interrupts.length ? "Waiting for input" : "Paused"), h("p", { class: "muted small" }, interrupts.length ? "The graph called interrupt(). Answer to resume it (a run with Command(resume=…))." : "The graph stopped at a breakpoint.")), form);
  }

  // -- state, history, graph -----------------------------------------------------------
  function renderState() {
    if (!state) return;
    replace(
      tabs.state,
      h(
        "dl",
        { class: "facts" },
        field("Next", (state.next ?? []).length ? state.next.map((n) => h("code", {}, n)) : h("span", { class: "muted" }, "— (done)")),
        field("Checkpoint", state.checkpoint?.checkpoint_id ? h("span", { class: "mono small" }, state.checkpoint.checkpoint_id) : "—"),
        field("Step", state.metadata?.step ?? "—"),
        field("At", state.created_at ? h("span", { title: state.created_at }, formatTime(state.created_at)) : "—"),
      ),
      conversation(state.values?.messages),
      h("h3", {}, "Values"),
      h("div", { id: "state-values" }, jsonTree(state.values ?? {}, { open: 2 })),
      (state.tasks ?? []).length ? [h("h3", {}, "Tasks"), jsonTree(state.tasks, { open: 1 })] : null,
    );
  }

  function conversation(messages) {
    if (!Array.isArray(messages) || !messages.length || !messages.every((m) => m && typeof m === "object" && "content" in m)) return null;
    return [
      h("h3", {}, "Messages"),
      h(
        "div",
        { class: "messages", id: "state-messages" },
        messages.map((m) => {
          const role = m.type ?? m.role ?? "message";
          const text = typeof m.content === "string" ? m.content : preview(m.content, 2000);
          const calls = (m.tool_calls ?? []).map((c) => h("div", { class: "tool-call mono small" }, `${c.name}(${preview(c.args, 200)})`));
          return h("div", { class: `message role-${role}` }, h("div", { class: "message-role" }, m.name ? `${role} · ${m.name}` : role), text ? h("div", { class: "message-text" }, text) : null, calls);
        }),
      ),
    ];
  }

  async function loadHistory() {
    try {
      const checkpoints = await api("POST", `${path}/history`, { limit: 50 }, { signal });
      replace(
        tabs.history,
        checkpoints.length
          ? h(
              "div",
              { class: "history", id: "history" },
              checkpoints.map((c) => {
                const item = h("details", { class: "checkpoint" });
                item.append(
                  h(
                    "summary",
                    {},
                    h("span", { class: "step" }, `step ${c.metadata?.step ?? "?"}`),
                    h("span", { class: `source source-${c.metadata?.source}` }, c.metadata?.source ?? ""),
                    h("span", { class: "mono small" }, c.checkpoint?.checkpoint_id ?? ""),
                    h("span", { class: "muted small" }, (c.next ?? []).length ? `next: ${c.next.join(", ")}` : "end"),
                    h("span", { class: "muted small push", title: c.created_at }, formatTime(c.created_at)),
                  ),
                );
                item.addEventListener("toggle", () => {
                  if (item.open && item.childElementCount === 1) item.append(h("div", { class: "checkpoint-body" }, jsonTree({ values: c.values, metadata: c.metadata, tasks: c.tasks }, { open: 1 })));
                });
                return item;
              }),
            )
          : h("div", { class: "empty" }, "No checkpoints yet."),
      );
    } catch (error) {
      if (!signal.aborted) replace(tabs.history, h("div", { class: "alert alert-error" }, errorText(error)));
    }
  }

  function markGraph() {
    for (const node of tabs.graph.querySelectorAll(".graph-node")) node.classList.toggle("done", doneNodes.has(node.dataset.node));
  }

  async function loadGraph() {
    const assistantId = runs[0]?.assistant_id ?? thread?.metadata?.assistant_id;
    if (!assistantId) {
      replace(tabs.graph, h("div", { class: "empty" }, "This thread has no assistant yet."));
      return;
    }
    const key = `${assistantId}:${(state?.next ?? []).join(",")}`;
    if (graphFor === key) return;
    graphFor = key;
    try {
      const graph = await api("GET", `/assistants/${encodeURIComponent(assistantId)}/graph?xray=true`, undefined, { signal });
      replace(
        tabs.graph,
        h("div", { class: "graph-box" }, drawGraph(graph, { highlight: state?.next ?? [] })),
        h("p", { class: "legend muted small" }, h("span", { class: "swatch done" }), "ran in the selected run", h("span", { class: "swatch next" }), "runs next"),
      );
      markGraph();
    } catch (error) {
      graphFor = null;
      if (!signal.aborted) replace(tabs.graph, h("div", { class: "alert alert-error" }, errorText(error)));
    }
  }

  // -- loading -------------------------------------------------------------------------
  let lastSnapshot = "";
  let refreshes = 0; // a newer refresh makes the answers of older ones moot
  async function refresh(full = false) {
    const mine = ++refreshes;
    try {
      const [t, r] = await Promise.all([get(""), get("/runs?limit=50")]);
      if (mine !== refreshes) return;
      thread = t;
      const known = new Set(runs.map((x) => x.run_id));
      runs = r;
      const snapshot = JSON.stringify([t.status, t.updated_at, r.map((x) => [x.run_id, x.status, x.updated_at])]);
      const changed = snapshot !== lastSnapshot;
      lastSnapshot = snapshot;
      renderHead();
      // A run started elsewhere: follow it, unless the user picked an older one.
      const fresh = r.find((x) => !known.has(x.run_id));
      if (!selected && r.length) select(r[0].run_id, false);
      else if (fresh && known.size && !pinned && fresh.run_id !== selected) select(fresh.run_id, false);
      renderRuns();
      if (changed || full) {
        const fetched = await get("/state");
        if (mine !== refreshes) {
          lastSnapshot = ""; // the newer refresh must draw the state too
          return;
        }
        state = fetched;
        renderState();
        renderInterrupt();
        renderRunDetail();
        if (!tabs.history.classList.contains("hidden")) loadHistory();
        if (!tabs.graph.classList.contains("hidden")) loadGraph();
      } else if (runs.some((x) => ACTIVE.has(x.status))) {
        renderRuns(); // durations tick
      }
    } catch (error) {
      if (signal.aborted) return;
      if (!thread) {
        replace(container, h("div", { class: "alert alert-error" }, `Thread ${threadId}: ${errorText(error)}`), h("p", {}, h("a", { href: `${ROOT}/ui`, "data-link": true }, "Back to the overview")));
        stopped = true;
      }
    }
  }

  async function poll() {
    if (stopped) return;
    if (!document.hidden) await refresh(false);
    if (!stopped) timer = setTimeout(poll, POLL_MS);
  }

  (async () => {
    try {
      assistants = await api("POST", "/assistants/search", { limit: 1000, sort_by: "name", sort_order: "asc" }, { signal });
    } catch {
      assistants = [];
    }
    await refresh(true);
    if (stopped) return;
    if (selected && !events) select(selected, pinned);
    const assistantId = runs[0]?.assistant_id ?? thread?.metadata?.assistant_id ?? assistants[0]?.assistant_id;
    if (assistants.length) {
      replace(
        newRunBox,
        h(
          "div",
          { class: "inset" },
          runForm({
            assistants,
            assistantId,
            threadId,
            onStarted: (run) => {
              newRunBox.classList.add("hidden");
              runs.unshift(run);
              pinned = false;
              select(run.run_id, false);
              refresh(true);
            },
          }),
        ),
      );
    }
    timer = setTimeout(poll, POLL_MS);
  })();

  return () => {
    stopped = true;
    clearTimeout(timer);
    controller.abort();
    events?.stop();
  };
}
