// The server's own HTTP API, same origin: JSON requests and SSE streams read over fetch (so
// they can carry the user's token), with the Agent Server's join semantics (Last-Event-ID).

/** Where the server is mounted (empty, or a proxy's path prefix). */
export const ROOT = document.querySelector('meta[name="tether-root"]')?.content ?? "";

const TOKEN_KEY = "tether.ui.token";
const HEADER_KEY = "tether.ui.tokenHeader";

/** The token the user set (stored in this browser only) and the header it goes in. */
export function getAuth() {
  return {
    token: localStorage.getItem(TOKEN_KEY) ?? "",
    header: localStorage.getItem(HEADER_KEY) ?? "authorization",
  };
}

export function setAuth(token, header) {
  if (token) localStorage.setItem(TOKEN_KEY, token);
  else localStorage.removeItem(TOKEN_KEY);
  localStorage.setItem(HEADER_KEY, header === "x-api-key" ? "x-api-key" : "authorization");
}

function authHeaders() {
  const { token, header } = getAuth();
  if (!token) return {};
  return header === "x-api-key" ? { "x-api-key": token } : { Authorization: `Bearer ${token}` };
}

/** An answer other than 2xx: `status` and the server's `detail`. */
export class ApiError extends Error {
  constructor(status, detail) {
    super(typeof detail === "string" ? detail : JSON.stringify(detail));
    this.status = status;
    this.detail = detail;
  }
}

const listeners = new Set();
/** Called with every ApiError (the app shows a banner for 401 and 403). */
export function onApiError(listener) {
  listeners.add(listener);
}

async function failure(response) {
  let detail = response.statusText || `HTTP ${response.status}`;
  try {
    const body = await response.json();
    if (body && body.detail !== undefined) detail = body.detail;
  } catch {
    // not JSON: keep the status text
  }
  const error = new ApiError(response.status, detail);
  for (const listener of listeners) listener(error);
  return error;
}

/** One JSON request; resolves to the parsed body (null when there is none). */
export async function api(method, path, body, { signal } = {}) {
  const headers = { Accept: "application/json", ...authHeaders() };
  const init = { method, headers, signal };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(ROOT + path, init);
  if (!response.ok) throw await failure(response);
  const text = await response.text();
  return text ? JSON.parse(text) : null;
}

// -- Server-sent events -------------------------------------------------------------------

/** Parses an SSE body (a ReadableStream of bytes) into `{event, data, id}` messages. */
export async function* readSSE(body) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let event = "";
  let data = [];
  let id = null;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      for (;;) {
        const match = /\r\n|\r|\n/.exec(buffer);
        if (!match) break;
        // A CR at the very end may be the first half of a CRLF split across chunks.
        if (match[0] === "\r" && match.index === buffer.length - 1) break;
        const line = buffer.slice(0, match.index);
        buffer = buffer.slice(match.index + match[0].length);
        if (line === "") {
          if (data.length || event) {
            yield { event: event || "message", data: data.join("\n"), id };
          }
          event = "";
          data = [];
          id = null;
          continue;
        }
        if (line.startsWith(":")) continue; // a comment: the heartbeat
        const colon = line.indexOf(":");
        const field = colon === -1 ? line : line.slice(0, colon);
        let text = colon === -1 ? "" : line.slice(colon + 1);
        if (text.startsWith(" ")) text = text.slice(1);
        if (field === "event") event = text;
        else if (field === "data") data.push(text);
        else if (field === "id") id = text;
      }
    }
  } finally {
    reader.releaseLock();
  }
}

/** Compares two event ids `<ms>-<seq>` as pairs of integers (never as strings). */
export function compareIds(a, b) {
  const [am, as = "0"] = String(a).split("-");
  const [bm, bs = "0"] = String(b).split("-");
  const ms = BigInt(am) - BigInt(bm);
  if (ms !== 0n) return ms < 0n ? -1 : 1;
  const seq = BigInt(as) - BigInt(bs);
  return seq === 0n ? 0 : seq < 0n ? -1 : 1;
}

function validId(id) {
  return typeof id === "string" && /^\d+(-\d+)?$/.test(id);
}

const sleep = (ms, signal) =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
  });

/**
 * Follows one run's events: joins `GET /threads/{tid}/runs/{rid}/stream` with `Last-Event-ID`
 * (`"0"`: from the start), reconnects with the last id it saw when the connection drops or
 * closes while the run is still going (as the official SDK does), and never hands an event
 * twice. `onEvent({event, data, id})`; `onStatus(state, detail)` with state
 * `connecting | live | reconnecting | ended | failed`.
 */
export class RunFollower {
  constructor(threadId, runId, { lastEventId = "0", onEvent, onStatus }) {
    this.threadId = threadId;
    this.runId = runId;
    this.lastEventId = validId(lastEventId) ? lastEventId : "0";
    this.onEvent = onEvent;
    this.onStatus = onStatus;
    this.controller = new AbortController();
    this.done = this.#follow();
  }

  stop() {
    this.controller.abort();
  }

  async #follow() {
    const { signal } = this.controller;
    const base = `/threads/${encodeURIComponent(this.threadId)}/runs/${encodeURIComponent(this.runId)}`;
    let failures = 0;
    while (!signal.aborted) {
      let brokenCursor = false;
      try {
        this.onStatus(failures ? "reconnecting" : "connecting");
        const headers = {
          Accept: "text/event-stream",
          "Cache-Control": "no-store",
          ...authHeaders(),
        };
        if (this.lastEventId) headers["Last-Event-ID"] = this.lastEventId;
        const response = await fetch(`${ROOT}${base}/stream`, { headers, signal });
        if (!response.ok) throw await failure(response);
        this.onStatus("live");
        let received = 0;
        for await (const message of readSSE(response.body)) {
          received += 1;
          failures = 0;
          if (message.id && this.lastEventId && compareIds(message.id, this.lastEventId) <= 0) {
            continue; // already handed on
          }
          if (message.id) this.lastEventId = message.id;
          let data = message.data;
          try {
            data = JSON.parse(message.data);
          } catch {
            // not JSON: hand the text on
          }
          if (message.event === "error" && !message.id) brokenCursor = true;
          this.onEvent({ event: message.event, data, id: message.id });
        }
        // The stream closed: the run ended, or the server went away while it runs.
        const run = await api("GET", base, undefined, { signal });
        if (run.status === "pending" || run.status === "running") {
          // An error without an id (a cursor the server no longer has) would repeat: go
          // on from now instead.
          if (brokenCursor) this.lastEventId = null;
          if (!received) {
            // Closed at once (a server shutting down?): wait before asking again.
            failures += 1;
            await sleep(Math.min(500 * 2 ** failures, 5000), signal);
          }
          continue;
        }
        this.onStatus("ended", run);
        return;
      } catch (error) {
        if (signal.aborted) return;
        if (error instanceof ApiError && error.status >= 400 && error.status < 500) {
          this.onStatus("failed", error);
          return;
        }
        failures += 1;
        this.onStatus("reconnecting", error);
        await sleep(Math.min(500 * 2 ** failures, 5000), signal);
      }
    }
  }
}
