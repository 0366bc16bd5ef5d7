// The events of one run: rendered as they arrive, and kept in sessionStorage with the id of the
// last one, so a reload shows them again and joins the stream after that id.

import { RunFollower } from "../api.js";
import { eventTime, h, jsonTree, preview, replace } from "../dom.js";

const KEEP = 500; // events kept per run in sessionStorage
const SHOW = 1500; // rows kept on the page
const PREFIX = "tether.ui.events.";

function load(runId) {
  try {
    const saved = JSON.parse(sessionStorage.getItem(PREFIX + runId) ?? "null");
    if (saved && Array.isArray(saved.events)) return saved;
  } catch {
    // unreadable: start over
  }
  return null;
}

function save(runId, record) {
  const text = JSON.stringify(record);
  try {
    sessionStorage.setItem(PREFIX + runId, text);
  } catch {
    // Full: drop the other runs' events, then keep only the cursor if still too big.
    for (let i = sessionStorage.length - 1; i >= 0; i--) {
      const key = sessionStorage.key(i);
      if (key?.startsWith(PREFIX) && key !== PREFIX + runId) sessionStorage.removeItem(key);
    }
    try {
      sessionStorage.setItem(PREFIX + runId, text);
    } catch {
      try {
        sessionStorage.setItem(PREFIX + runId, JSON.stringify({ lastId: record.lastId, events: [], dropped: record.dropped + record.events.length }));
      } catch {
        // storage unavailable: a reload replays from the start
      }
    }
  }
}

function summary(event) {
  const { data } = event;
  if (event.event === "messages" && Array.isArray(data) && data[0] && typeof data[0] === "object") {
    const [message, meta] = data;
    const who = meta?.langgraph_node ? `${meta.langgraph_node} · ` : "";
    const content = typeof message.content === "string" ? JSON.stringify(message.content) : message.content;
    return `${who}${message.type ?? "message"} ${preview(content, 140)}`;
  }
  if (event.event === "updates" && data && typeof data === "object" && !Array.isArray(data)) {
    const nodes = Object.keys(data);
    if (nodes.length === 1) return `${nodes[0]} → ${preview(data[nodes[0]], 140)}`;
  }
  if (event.event === "error" && data && typeof data === "object") return `${data.error}: ${data.message}`;
  return preview(data, 160);
}

function eventKind(name) {
  const base = name.split("|")[0].split("/")[0];
  return ["metadata", "values", "updates", "messages", "custom", "error", "debug", "tasks", "checkpoints", "events"].includes(base) ? base : "other";
}

function row(event) {
  const details = h("details", { class: `event kind-${eventKind(event.event)}`, "data-event": event.event, "data-id": event.id ?? "" });
  details.append(
    h(
      "summary",
      {},
      h("span", { class: "event-time mono" }, eventTime(event.id)),
      h("span", { class: "event-name" }, event.event),
      h("span", { class: "event-preview mono" }, summary(event)),
    ),
  );
  details.addEventListener(
    "toggle",
    () => {
      if (details.open && details.childElementCount === 1) {
        details.append(h("div", { class: "event-body" }, event.id ? h("div", { class: "muted small mono" }, `id ${event.id}`) : null, jsonTree(event.data, { open: 3 })));
      }
    },
    { once: false },
  );
  return details;
}

/**
 * A live list of a run's events. `onStatus(state, detail)` as RunFollower's; `onEvent(event)`
 * for every new event (after it is shown). Returns {element, stop, restart}.
 */
export function eventList(threadId, runId, { onStatus, onEvent }) {
  const list = h("div", { class: "events", id: "events", "aria-live": "polite" });
  const notice = h("div", { class: "events-notice" });
  const count = h("span", { class: "events-count", id: "events-count" }, "0 events");
  let record = load(runId) ?? { lastId: null, events: [], dropped: 0 };
  let total = record.dropped + record.events.length;
  let pending = [];
  let frame = 0;
  let saveTimer = 0;
  let follower = null;

  const showCount = () => (count.textContent = `${total} event${total === 1 ? "" : "s"}`);
  const flush = () => {
    frame = 0;
    // Follow the tail, unless the reader scrolled up to look at something.
    const following = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    const fragment = document.createDocumentFragment();
    for (const event of pending.slice(-SHOW)) fragment.append(row(event));
    pending = [];
    list.append(fragment);
    while (list.childElementCount > SHOW) list.firstElementChild.remove();
    if (following) list.scrollTop = list.scrollHeight;
    showCount();
  };
  const persist = () => {
    saveTimer = 0;
    save(runId, record);
  };

  const onPageHide = () => saveTimer && (clearTimeout(saveTimer), persist());

  function start() {
    window.addEventListener("pagehide", onPageHide);
    replace(list);
    replace(
      notice,
      record.dropped
        ? h("span", {}, `${record.dropped} earlier event${record.dropped === 1 ? "" : "s"} not shown. `, h("button", { type: "button", class: "link-btn", onclick: restart }, "Replay all"))
        : null,
    );
    pending = record.events.slice();
    flush();
    follower = new RunFollower(threadId, runId, {
      lastEventId: record.lastId ?? "0",
      onStatus,
      onEvent: (event) => {
        total += 1;
        record.events.push(event);
        if (record.events.length > KEEP) {
          record.dropped += record.events.length - KEEP;
          record.events.splice(0, record.events.length - KEEP);
        }
        if (event.id) record.lastId = event.id;
        pending.push(event);
        frame ||= requestAnimationFrame(flush);
        saveTimer ||= setTimeout(persist, 250);
        onEvent?.(event);
      },
    });
  }

  function stop() {
    window.removeEventListener("pagehide", onPageHide);
    follower?.stop();
    if (frame) cancelAnimationFrame(frame);
    if (saveTimer) {
      clearTimeout(saveTimer);
      persist();
    }
  }

  /** Forgets what was kept and replays the run from its first event. */
  function restart() {
    stop();
    sessionStorage.removeItem(PREFIX + runId);
    record = { lastId: null, events: [], dropped: 0 };
    total = 0;
    start();
  }

  start();
  return { list, notice, count, stop, restart, events: () => record.events };
}
