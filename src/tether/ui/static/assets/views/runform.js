// The form that starts a run: assistant, input JSON, stream modes; a new thread or a given one.

import { api } from "../api.js";
import { errorText, h, parseJsonField } from "../dom.js";

export const STREAM_MODES = ["values", "updates", "messages-tuple", "custom", "tasks", "checkpoints", "debug", "events"];
const DEFAULT_MODES = ["values", "updates", "messages-tuple", "custom"];

/** The body of a run the UI starts: resumable, so any page can replay it from the start. */
export function runBody(assistantId, fields) {
  return { assistant_id: assistantId, stream_resumable: true, ...fields };
}

/**
 * `assistants`: [{assistant_id, name, graph_id}] to choose from (one: no choice shown).
 * `threadId`: the thread to run on; none: a thread is created (or an id typed in is used).
 * `onStarted(run)` once the run exists.
 */
export function runForm({ assistants, assistantId, threadId = null, onStarted, inputHint = "" }) {
  const single = assistants.length === 1;
  const select = h(
    "select",
    { class: "input", name: "assistant", id: "run-assistant" },
    assistants.map((a) => h("option", { value: a.assistant_id }, `${a.name ?? a.graph_id} (${a.graph_id})`)),
  );
  if (assistantId) select.value = assistantId;
  const input = h("textarea", { class: "input mono", name: "input", id: "run-input", rows: 6, spellcheck: "false" }, "{}");
  const modeBoxes = STREAM_MODES.map((mode) => {
    const box = h("input", { type: "checkbox", value: mode, name: "stream_mode" });
    box.checked = DEFAULT_MODES.includes(mode);
    return h("label", { class: "check" }, box, mode);
  });
  const threadChoice = h("input", { class: "input mono", name: "thread", id: "run-thread", placeholder: "new thread (or paste a thread id)", autocomplete: "off" });
  const metadata = h("textarea", { class: "input mono", name: "metadata", id: "run-metadata", rows: 2, spellcheck: "false", placeholder: '{"user": "alice"}' });
  const error = h("div", { class: "form-error", role: "alert" });
  const submit = h("button", { type: "submit", class: "btn btn-primary", id: "run-start" }, "Start run");

  const form = h(
    "form",
    {
      class: "form",
      id: "run-form",
      onsubmit: async (event) => {
        event.preventDefault();
        error.textContent = "";
        let body;
        try {
          body = runBody(select.value, {
            input: parseJsonField(input.value, null),
            stream_mode: modeBoxes.map((l) => l.querySelector("input")).filter((b) => b.checked).map((b) => b.value),
          });
          const meta = parseJsonField(metadata.value, undefined);
          if (meta !== undefined) body.metadata = meta;
        } catch (e) {
          error.textContent = e.message;
          return;
        }
        if (!body.stream_mode.length) body.stream_mode = ["values"];
        submit.disabled = true;
        submit.textContent = "Starting…";
        try {
          let tid = threadId ?? threadChoice.value.trim();
          if (!tid) tid = (await api("POST", "/threads", { metadata: {} })).thread_id;
          const run = await api("POST", `/threads/${encodeURIComponent(tid)}/runs`, body);
          onStarted(run);
        } catch (e) {
          error.textContent = errorText(e);
        } finally {
          submit.disabled = false;
          submit.textContent = "Start run";
        }
      },
    },
    single ? null : h("label", { class: "field" }, h("span", {}, "Assistant"), select),
    threadId ? null : h("label", { class: "field" }, h("span", {}, "Thread"), threadChoice),
    h("label", { class: "field" }, h("span", {}, "Input (JSON)", inputHint ? h("span", { class: "hint" }, inputHint) : null), input),
    h("fieldset", { class: "field" }, h("legend", {}, "Stream modes"), h("div", { class: "checks" }, modeBoxes)),
    h("details", { class: "more" }, h("summary", {}, "Run metadata"), h("label", { class: "field" }, h("span", {}, "Metadata (JSON object)"), metadata)),
    error,
    h("div", { class: "row end" }, submit),
  );
  if (single) select.value = assistants[0].assistant_id;
  return form;
}

/** "Input keys: a, b" from an assistant's input schema (when it has one). */
export async function inputHintFor(assistantId) {
  try {
    const schemas = await api("GET", `/assistants/${encodeURIComponent(assistantId)}/schemas`);
    const keys = Object.keys(schemas?.input_schema?.properties ?? {});
    return keys.length ? `keys: ${keys.join(", ")}` : "";
  } catch {
    return "";
  }
}
