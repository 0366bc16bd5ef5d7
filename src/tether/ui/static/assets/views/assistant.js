// `/ui/assistants/{id}`: an assistant, its graph, a form to start a run, its threads.

import { ROOT, api } from "../api.js";
import { badge, copyButton, errorText, formatTime, h, jsonTree, relativeTime, replace } from "../dom.js";
import { drawGraph } from "../graph.js";
import { inputHintFor, runForm } from "./runform.js";

export function assistantView(container, { assistantId, navigate }) {
  const controller = new AbortController();
  const { signal } = controller;
  replace(container, h("p", { class: "muted" }, "Loading…"));

  (async () => {
    let assistant;
    try {
      assistant = await api("GET", `/assistants/${encodeURIComponent(assistantId)}`, undefined, { signal });
    } catch (error) {
      if (!signal.aborted) replace(container, h("div", { class: "alert alert-error" }, `Assistant ${assistantId}: ${errorText(error)}`));
      return;
    }
    const graphBox = h("div", { class: "graph-box", id: "assistant-graph" }, h("p", { class: "muted" }, "Loading…"));
    const formBox = h("div", {});
    const threads = h("tbody", {});
    const threadsMessage = h("div", { class: "table-message" });
    replace(
      container,
      h(
        "nav",
        { class: "crumbs" },
        h("a", { href: `${ROOT}/ui`, "data-link": true }, "Overview"),
        h("span", {}, "/"),
        h("span", {}, "Assistants"),
      ),
      h(
        "div",
        { class: "page-head" },
        h(
          "div",
          {},
          h("h1", {}, assistant.name ?? assistant.graph_id),
          h(
            "p",
            { class: "muted mono small id-line" },
            assistant.assistant_id,
            copyButton(assistant.assistant_id, "Copy the assistant id"),
            h("span", { class: "sep" }, "·"),
            `graph ${assistant.graph_id}`,
            h("span", { class: "sep" }, "·"),
            `version ${assistant.version ?? 1}`,
          ),
          assistant.description ? h("p", {}, assistant.description) : null,
        ),
      ),
      h(
        "div",
        { class: "grid-2" },
        h("section", { class: "card" }, h("h2", { class: "card-h" }, "Start a run"), formBox),
        h("section", { class: "card" }, h("h2", { class: "card-h" }, "Graph"), graphBox),
      ),
      h(
        "div",
        { class: "grid-2" },
        h("section", { class: "card" }, h("h2", { class: "card-h" }, "Configuration"), jsonTree({ config: assistant.config ?? {}, context: assistant.context ?? {}, metadata: assistant.metadata ?? {} })),
        h(
          "section",
          { class: "card flush" },
          h("h2", { class: "card-h padded" }, "Recent threads"),
          h("table", { class: "table" }, h("thead", {}, h("tr", {}, ["Thread", "Status", "Updated"].map((c) => h("th", {}, c)))), threads),
          threadsMessage,
        ),
      ),
    );

    const hint = await inputHintFor(assistant.assistant_id);
    replace(
      formBox,
      runForm({
        assistants: [assistant],
        assistantId: assistant.assistant_id,
        inputHint: hint,
        onStarted: (run) => navigate(`/ui/threads/${encodeURIComponent(run.thread_id)}?run=${encodeURIComponent(run.run_id)}`),
      }),
    );

    api("GET", `/assistants/${encodeURIComponent(assistant.assistant_id)}/graph?xray=true`, undefined, { signal })
      .then((graph) => replace(graphBox, drawGraph(graph)))
      .catch((error) => signal.aborted || replace(graphBox, h("div", { class: "alert alert-error" }, errorText(error))));

    api("POST", "/threads/search", { metadata: { assistant_id: assistant.assistant_id }, limit: 10, sort_by: "updated_at", sort_order: "desc" }, { signal })
      .then((found) => {
        threads.append(
          ...found.map((t) =>
            h(
              "tr",
              {},
              h("td", {}, h("a", { href: `${ROOT}/ui/threads/${encodeURIComponent(t.thread_id)}`, "data-link": true, class: "mono" }, t.thread_id)),
              h("td", {}, badge(t.status)),
              h("td", { class: "nowrap", title: t.updated_at }, formatTime(t.updated_at), " ", h("span", { class: "muted small" }, relativeTime(t.updated_at))),
            ),
          ),
        );
        if (!found.length) replace(threadsMessage, h("div", { class: "empty" }, "No threads yet."));
      })
      .catch((error) => signal.aborted || replace(threadsMessage, h("div", { class: "alert alert-error" }, errorText(error))));
  })();

  return () => controller.abort();
}
