// Building the page: elements from data (text only, never HTML from the server), JSON trees,
// times and statuses.

/** `h("div", {class: "x", onclick: f}, "text", child, [more])`: an element. */
export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  return fill(element, attrs, children);
}

const SVG_NS = "http://www.w3.org/2000/svg";

/** The same for SVG elements. */
export function svg(tag, attrs = {}, ...children) {
  return fill(document.createElementNS(SVG_NS, tag), attrs, children);
}

function fill(element, attrs, children) {
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2), value);
    } else if (name === "dataset") {
      Object.assign(element.dataset, value);
    } else if (name === "value" && "value" in element) {
      element.value = value;
    } else {
      element.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(element, child);
    else element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces an element's children. */
export function replace(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

// -- JSON --------------------------------------------------------------------------------

function scalar(value) {
  if (value === null) return h("span", { class: "j-null" }, "null");
  switch (typeof value) {
    case "string":
      return h("span", { class: "j-str" }, JSON.stringify(value));
    case "number":
      return h("span", { class: "j-num" }, String(value));
    case "boolean":
      return h("span", { class: "j-bool" }, String(value));
    default:
      return h("span", {}, String(value));
  }
}

/** A collapsible JSON tree; levels below `open` start folded. */
export function jsonTree(value, { open = 2 } = {}) {
  return h("div", { class: "json" }, node(value, null, 0, open, true));
}

function node(value, key, depth, open, last) {
  const label = key === null ? null : h("span", { class: "j-key" }, `${JSON.stringify(key)}: `);
  const comma = last ? "" : ",";
  if (value === null || typeof value !== "object") {
    return h("div", { class: "j-line" }, label, scalar(value), comma);
  }
  const isArray = Array.isArray(value);
  const entries = isArray ? value.map((v, i) => [i, v]) : Object.entries(value);
  const [start, end] = isArray ? ["[", "]"] : ["{", "}"];
  if (entries.length === 0) return h("div", { class: "j-line" }, label, start + end, comma);
  const details = h("details", { class: "j-node" });
  details.open = depth < open && entries.length <= 200;
  const count = `${entries.length} ${isArray ? (entries.length === 1 ? "item" : "items") : entries.length === 1 ? "key" : "keys"}`;
  details.append(
    h("summary", {}, label, start, h("span", { class: "j-fold" }, ` ${count} ${end}${comma}`)),
    h(
      "div",
      { class: "j-children" },
      entries.map(([k, v], i) => node(v, isArray ? null : k, depth + 1, open, i === entries.length - 1)),
    ),
    h("div", { class: "j-line j-close" }, end + comma),
  );
  return details;
}

/** One line of JSON, cut to `max` characters. */
export function preview(value, max = 160) {
  let text;
  try {
    text = typeof value === "string" ? value : JSON.stringify(value);
  } catch {
    text = String(value);
  }
  if (text === undefined) text = "";
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

// -- Times, ids, statuses ---------------------------------------------------------------

/** `01a2…ab425f` : UUIDv7 ids of one moment share their first digits (the time), so the
 * end (random) tells them apart. */
export function shortId(id) {
  const text = String(id ?? "");
  return text.length > 12 ? `${text.slice(0, 4)}…${text.slice(-6)}` : text;
}

const pad = (n, width = 2) => String(n).padStart(width, "0");

/** `15:09:37` (today) or `2026-11-30 15:09` (another day), local time. */
export function formatTime(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const now = new Date();
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  if (d.toDateString() === now.toDateString()) return time;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time.slice(0, 5)}`;
}

/** An event id's time (`<ms>-<seq>`) as `15:09:37.326`. */
export function eventTime(id) {
  const ms = Number(String(id ?? "").split("-")[0]);
  if (!ms) return "";
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

export function formatDuration(ms) {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return "—";
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

export function relativeTime(iso) {
  const ms = Date.now() - new Date(iso).getTime();
  if (Number.isNaN(ms)) return "";
  if (ms < 45_000) return "just now";
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min ago`;
  if (ms < 86_400_000) return `${Math.round(ms / 3_600_000)} h ago`;
  return `${Math.round(ms / 86_400_000)} d ago`;
}

export const ACTIVE = new Set(["pending", "running"]);

/** A status pill (`run` or `thread` statuses). */
export function badge(status) {
  return h(
    "span",
    { class: `badge status-${status}`, "data-status": status },
    h("span", { class: "dot" }),
    status,
  );
}

function copyIcon() {
  return svg(
    "svg",
    { viewBox: "0 0 16 16", width: 13, height: 13, "aria-hidden": "true" },
    svg("rect", { x: 5.5, y: 5.5, width: 8, height: 8, rx: 1.5, fill: "none", stroke: "currentColor", "stroke-width": 1.4 }),
    svg("path", { d: "M10.5 3.5v-.5a1.5 1.5 0 0 0-1.5-1.5H4A1.5 1.5 0 0 0 2.5 3v5A1.5 1.5 0 0 0 4 9.5h.5", fill: "none", stroke: "currentColor", "stroke-width": 1.4 }),
  );
}

/** A button that copies `text`. */
export function copyButton(text, title = "Copy") {
  const button = h("button", { type: "button", class: "icon-btn", title, "aria-label": title }, copyIcon());
  button.addEventListener("click", async (event) => {
    event.preventDefault();
    event.stopPropagation();
    try {
      await navigator.clipboard.writeText(text);
      button.replaceChildren("✓");
    } catch {
      button.replaceChildren("✗");
    }
    setTimeout(() => button.replaceChildren(copyIcon()), 1200);
  });
  return button;
}

/** Parses JSON typed by the user; an empty field is `empty`. Throws a readable message. */
export function parseJsonField(text, empty = undefined) {
  if (!text.trim()) return empty;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new Error(`Not valid JSON: ${error.message}`);
  }
}

/** An error's message for the page. */
export function errorText(error) {
  if (error?.status) return `${error.status}: ${error.message}`;
  return error?.message ?? String(error);
}
