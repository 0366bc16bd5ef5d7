// Draws a graph from `GET /assistants/{id}/graph` (`{nodes: [{id, data}], edges: [{source,
// target, conditional, data}]}`) as a top-down layered SVG: layers by longest path from the
// start (back edges found by a depth-first walk do not count), order in a layer by the mean
// position of neighbours, a few sweeps.

import { svg } from "./dom.js";

const NODE_H = 34;
const LAYER_GAP = 62;
const NODE_GAP = 28;
const MARGIN = 20;

let measureContext = null;
function textWidth(text) {
  measureContext ??= document.createElement("canvas").getContext("2d");
  measureContext.font = "500 13px Arial, sans-serif";
  return measureContext.measureText(text).width;
}

function label(node) {
  if (node.id === "__start__") return "start";
  if (node.id === "__end__") return "end";
  const name = node.data?.name;
  return typeof name === "string" && name ? name : String(node.id);
}

/** Positions for every node and a route for every edge. */
export function layout(graph) {
  const nodes = (graph.nodes ?? []).map((n) => ({ ...n, id: String(n.id) }));
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const edges = (graph.edges ?? []).filter((e) => byId.has(String(e.source)) && byId.has(String(e.target)));
  const out = new Map(nodes.map((n) => [n.id, []]));
  for (const e of edges) out.get(String(e.source)).push(String(e.target));

  // Depth-first from the start (then any node not reached): an edge to a node on the
  // stack closes a cycle and is drawn as a back edge.
  const state = new Map();
  const order = [];
  const back = new Set();
  const visit = (id) => {
    state.set(id, "open");
    for (const next of out.get(id)) {
      if (state.get(next) === "open") back.add(`${id}\u0000${next}`);
      else if (!state.has(next)) visit(next);
    }
    state.set(id, "done");
    order.push(id);
  };
  if (byId.has("__start__")) visit("__start__");
  for (const n of nodes) if (!state.has(n.id) && n.id !== "__end__") visit(n.id);
  if (byId.has("__end__") && !state.has("__end__")) visit("__end__");
  order.reverse(); // a topological order of the forward edges

  const rank = new Map(nodes.map((n) => [n.id, 0]));
  for (const id of order) {
    for (const next of out.get(id)) {
      if (!back.has(`${id}\u0000${next}`)) rank.set(next, Math.max(rank.get(next), rank.get(id) + 1));
    }
  }
  if (byId.has("__end__")) {
    const deepest = Math.max(0, ...[...rank].filter(([id]) => id !== "__end__").map(([, r]) => r));
    rank.set("__end__", Math.max(rank.get("__end__"), deepest + 1));
  }

  const layers = [];
  for (const id of order) (layers[rank.get(id)] ??= []).push(id);
  for (let i = 0; i < layers.length; i++) layers[i] ??= [];
  const preds = new Map(nodes.map((n) => [n.id, []]));
  for (const e of edges) preds.get(String(e.target)).push(String(e.source));
  const position = new Map();
  const index = () => layers.forEach((layer) => layer.forEach((id, i) => position.set(id, i)));
  index();
  for (let sweep = 0; sweep < 4; sweep++) {
    const down = sweep % 2 === 0;
    const sequence = down ? layers.slice(1) : layers.slice(0, -1).reverse();
    for (const layer of sequence) {
      const weight = new Map(
        layer.map((id) => {
          const near = down ? preds.get(id) : out.get(id);
          const ps = near.filter((n) => rank.get(n) !== rank.get(id)).map((n) => position.get(n));
          return [id, ps.length ? ps.reduce((a, b) => a + b, 0) / ps.length : position.get(id)];
        }),
      );
      layer.sort((a, b) => weight.get(a) - weight.get(b));
      layer.forEach((id, i) => position.set(id, i));
    }
  }

  const boxes = new Map();
  for (const n of nodes) {
    const text = label(n);
    const terminal = n.id === "__start__" || n.id === "__end__";
    boxes.set(n.id, { id: n.id, text, terminal, w: Math.max(terminal ? 64 : 96, textWidth(text) + 32), h: NODE_H });
  }
  const widths = layers.map((layer) => layer.reduce((sum, id) => sum + boxes.get(id).w, 0) + NODE_GAP * Math.max(0, layer.length - 1));
  const inner = Math.max(120, ...widths);
  layers.forEach((layer, r) => {
    let x = MARGIN + (inner - widths[r]) / 2;
    for (const id of layer) {
      const box = boxes.get(id);
      box.x = x;
      box.y = MARGIN + r * (NODE_H + LAYER_GAP);
      x += box.w + NODE_GAP;
    }
  });

  let right = MARGIN + inner;
  const routes = edges.map((e, i) => {
    const a = boxes.get(String(e.source));
    const b = boxes.get(String(e.target));
    const isBack = back.has(`${a.id}\u0000${b.id}`) || rank.get(b.id) <= rank.get(a.id);
    let d;
    let mid;
    if (a === b) {
      const x = a.x + a.w;
      const y = a.y + a.h / 2;
      d = `M ${x} ${y - 8} C ${x + 34} ${y - 26}, ${x + 34} ${y + 26}, ${x} ${y + 8}`;
      mid = { x: x + 30, y };
      right = Math.max(right, x + 40);
    } else if (isBack) {
      const lane = MARGIN + inner + 18 + (i % 4) * 12;
      const x1 = a.x + a.w;
      const y1 = a.y + a.h / 2;
      const x2 = b.x + b.w;
      const y2 = b.y + b.h / 2;
      d = `M ${x1} ${y1} C ${lane} ${y1}, ${lane} ${y2}, ${x2 + 2} ${y2}`;
      mid = { x: lane - 6, y: (y1 + y2) / 2 };
      right = Math.max(right, lane + 10);
    } else {
      const x1 = a.x + a.w / 2;
      const y1 = a.y + a.h;
      const x2 = b.x + b.w / 2;
      const y2 = b.y - 2;
      const bend = Math.max(24, (y2 - y1) / 2);
      d = `M ${x1} ${y1} C ${x1} ${y1 + bend}, ${x2} ${y2 - bend}, ${x2} ${y2}`;
      mid = { x: (x1 + x2) / 2, y: (y1 + y2) / 2 };
    }
    const text = typeof e.data === "string" ? e.data : null;
    return { source: a.id, target: b.id, d, mid, conditional: Boolean(e.conditional), text };
  });
  const height = MARGIN * 2 + layers.length * NODE_H + Math.max(0, layers.length - 1) * LAYER_GAP;
  return { boxes: [...boxes.values()], routes, width: right + MARGIN, height };
}

/** The SVG of `graph`; nodes named in `highlight` are marked (the thread's next nodes). */
export function drawGraph(graph, { highlight = [] } = {}) {
  const { boxes, routes, width, height } = layout(graph);
  const marked = new Set(highlight);
  const root = svg("svg", {
    class: "graph",
    viewBox: `0 0 ${width} ${height}`,
    width,
    height,
    role: "img",
    "aria-label": "Graph of the assistant",
  });
  root.append(
    svg(
      "defs",
      {},
      svg(
        "marker",
        { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" },
        svg("path", { d: "M 0 0 L 10 5 L 0 10 z", class: "graph-arrow" }),
      ),
    ),
  );
  for (const route of routes) {
    root.append(svg("path", { d: route.d, class: `graph-edge${route.conditional ? " conditional" : ""}`, "marker-end": "url(#arrow)" }));
    if (route.text) {
      root.append(svg("text", { x: route.mid.x + 6, y: route.mid.y + 4, class: "graph-edge-label" }, route.text));
    }
  }
  for (const box of boxes) {
    const classes = ["graph-node"];
    if (box.terminal) classes.push("terminal");
    if (marked.has(box.id)) classes.push("next");
    root.append(
      svg(
        "g",
        { class: classes.join(" "), "data-node": box.id },
        svg("title", {}, box.id),
        svg("rect", { x: box.x, y: box.y, width: box.w, height: box.h, rx: box.terminal ? box.h / 2 : 8 }),
        svg("text", { x: box.x + box.w / 2, y: box.y + box.h / 2 + 4.5, "text-anchor": "middle" }, box.text),
      ),
    );
  }
  return root;
}
