// Tether's web UI: a single page application on the server's own API. Paths:
//   /ui                      assistants and threads (search by metadata and status)
//   /ui/assistants/{id}      an assistant: its graph and a form to start a run
//   /ui/threads/{id}[?run=]  a thread: runs, live events, interrupt, state, history

import { ApiError, ROOT, api, getAuth, onApiError, setAuth } from "./api.js";
import { h, replace } from "./dom.js";
import { assistantView } from "./views/assistant.js";
import { homeView } from "./views/home.js";
import { threadView } from "./views/thread.js";

const main = document.getElementById("main");
const banner = document.getElementById("banner");
let cleanup = null;

/** Goes to `path` (under ROOT) without reloading the page. */
export function navigate(path, { replace: replaceState = false } = {}) {
  const url = ROOT + path;
  if (replaceState) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
  render();
}

function route() {
  const path = location.pathname.slice(ROOT.length).replace(/\/+$/, "") || "/ui";
  let match;
  if (path === "/ui" || path === "/ui/threads" || path === "/ui/assistants") return { view: homeView, params: {} };
  if ((match = /^\/ui\/assistants\/([^/]+)$/.exec(path))) return { view: assistantView, params: { assistantId: decodeURIComponent(match[1]) } };
  if ((match = /^\/ui\/threads\/([^/]+)$/.exec(path))) return { view: threadView, params: { threadId: decodeURIComponent(match[1]) } };
  return { view: notFound, params: { path } };
}

function notFound(container, { path }) {
  replace(
    container,
    h("div", { class: "empty-state" }, h("h2", {}, "Nothing here"), h("p", { class: "muted" }, `No page at ${path}.`), h("a", { href: `${ROOT}/ui`, "data-link": true, class: "btn" }, "Back to the overview")),
  );
}

function render() {
  if (cleanup) cleanup();
  cleanup = null;
  hideBanner();
  const { view, params } = route();
  const container = h("div", { class: "view" });
  replace(main, container);
  const query = new URLSearchParams(location.search);
  try {
    cleanup = view(container, { ...params, query, navigate }) ?? null;
  } catch (error) {
    replace(container, h("div", { class: "alert alert-error" }, String(error)));
  }
  window.scrollTo(0, 0);
}

// Links marked `data-link` move within the page.
document.addEventListener("click", (event) => {
  const link = event.target.closest?.("a[data-link]");
  if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const url = new URL(link.href, location.href);
  if (url.origin !== location.origin) return;
  event.preventDefault();
  if (url.pathname + url.search === location.pathname + location.search) return;
  history.pushState(null, "", url.pathname + url.search);
  render();
});
window.addEventListener("popstate", render);

// -- Banner and token -----------------------------------------------------------------------

function showBanner(...content) {
  replace(banner, ...content);
  banner.classList.remove("hidden");
}

function hideBanner() {
  banner.classList.add("hidden");
}

onApiError((error) => {
  if (error.status === 401 || error.status === 403) {
    const { token } = getAuth();
    showBanner(
      h("strong", {}, error.status === 401 ? "Authentication required. " : "Not allowed. "),
      token ? `The server refused the token (${error.message}). ` : "This server needs a token. ",
      h("button", { type: "button", class: "link-btn", onclick: openTokenDialog }, token ? "Change the token" : "Set a token"),
    );
  }
});

function updateTokenDot() {
  document.getElementById("token-dot").classList.toggle("on", Boolean(getAuth().token));
}

let dialog = null;
function openTokenDialog() {
  if (dialog) {
    dialog.remove();
    dialog = null;
    return;
  }
  const { token, header } = getAuth();
  const input = h("input", { type: "password", class: "input", id: "token-input", value: token, placeholder: "paste a token", autocomplete: "off", spellcheck: "false" });
  const select = h(
    "select",
    { class: "input", id: "token-header" },
    h("option", { value: "authorization" }, "Authorization: Bearer …"),
    h("option", { value: "x-api-key" }, "x-api-key: …"),
  );
  select.value = header;
  const close = () => {
    dialog?.remove();
    dialog = null;
  };
  const form = h(
    "form",
    {
      class: "popover",
      id: "token-dialog",
      role: "dialog",
      "aria-label": "API token",
      onsubmit: (event) => {
        event.preventDefault();
        setAuth(input.value.trim(), select.value);
        updateTokenDot();
        close();
        render();
      },
    },
    h("h3", {}, "API token"),
    h("p", { class: "muted small" }, "Sent with every request this page makes, when the server has authentication configured. Kept in this browser only (local storage)."),
    h("label", { class: "field" }, h("span", {}, "Header"), select),
    h("label", { class: "field" }, h("span", {}, "Token"), input),
    h(
      "div",
      { class: "row end" },
      h("button", { type: "button", class: "btn btn-ghost", onclick: () => ((input.value = ""), setAuth("", select.value), updateTokenDot(), close(), render()) }, "Clear"),
      h("button", { type: "submit", class: "btn btn-primary", id: "token-save" }, "Save"),
    ),
  );
  dialog = form;
  document.body.append(form);
  input.focus();
}

document.getElementById("token-button").addEventListener("click", openTokenDialog);
document.addEventListener("click", (event) => {
  if (dialog && !dialog.contains(event.target) && !event.target.closest("#token-button")) {
    dialog.remove();
    dialog = null;
  }
});
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && dialog) {
    dialog.remove();
    dialog = null;
  }
});
updateTokenDot();

api("GET", "/info")
  .then((info) => {
    document.getElementById("server-info").textContent = `v${info.version}`;
  })
  .catch((error) => {
    if (!(error instanceof ApiError)) console.warn(error);
  });

render();
