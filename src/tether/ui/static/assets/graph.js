// Draws a graph from `GET /assistants/{id}/graph` (`{nodes: [{id, data}], edges: [{source,
// target, conditional, data}]}`) as a top-down layered SVG (the Sugiyama way, small): layers by
// longest path from the start (edges that close a cycle, found by a depth-first walk, do not
// count and are drawn on the side), an edge across several layers gets a waypoint in each, and
// a few sweeps order every layer by the mean position of its neighbours.

import { svg } from "./dom.js";

const NODE_H = 34;
const LAYER_GAP = 58;
const NODE_GAP = 28;
const WAYPOINT_W = 10;
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

/** Positions for every node and a path for every edge. */
export function layout(graph) {
  const nodes = (graph.nodes ?? []).map((n) => ({ ...n, id: String(n.id) }));
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const edges = (graph.edges ?? [])
    .map((e) => ({ ...e, source: String(e.source), target: String(e.target) }))
    .filter((e) => byId.has(e.source) && byId.has(e.target));
  const out = new Map(nodes.map((n) => [n.id, []]));
  for (const e of edges) out.get(e.source).push(e.target);

  // Depth-first from the start (then from any node not reached): an edge to a node still on
  // the stack closes a cycle.
  const state = new Map();
  const order = [];
  const closing = new Set();
  const visit = (id) => {
    state.set(id, "open");
    for (const next of out.get(id)) {
      if (state.get(next) === "open") closing.add(`${id}\u0000${next}`);
      else if (!state.has(next)) visit(next);
    }
    state.set(id, "done");
    order.push(id);
  };
  if (byId.has("__start__")) visit("__start__");
  for (const n of nodes) if (!state.has(n.id) && n.id !== "__end__") visit(n.id);
  if (byId.has("__end__") && !state.has("__end__")) visit("__end__");
  order.reverse(); // a topological order of the other edges

  const rank = new Map(nodes.map((n) => [n.id, 0]));
  for (const id of order) {
    for (const next of out.get(id)) {
      if (!closing.has(`${id}\u0000${next}`)) rank.set(next, Math.max(rank.get(next), rank.get(id) + 1));
    }
  }
  if (byId.has("__end__")) {
    const deepest = Math.max(0, ...[...rank].filter(([id]) => id !== "__end__").map(([, r]) => r));
    rank.set("__end__", Math.max(rank.get("__end__"), deepest + 1));
  }
  const forward = (e) => e.source !== e.target && rank.get(e.target) > rank.get(e.source);

  // Layers, with a waypoint for each layer a forward edge crosses.
  const layers = [];
  const place = (id) => (layers[rank.get(id)] ??= []).push(id);
  order.forEach(place);
  const down = new Map(nodes.map((n) => [n.id, []]));
  const up = new Map(nodes.map((n) => [n.id, []]));
  const chains = edges.map((e, i) => {
    if (!forward(e)) return null;
    const chain = [e.source];
    for (let r = rank.get(e.source) + 1; r < rank.get(e.target); r++) {
      const id = `\u0000${i}:${r}`;
      rank.set(id, r);
      down.set(id, []);
      up.set(id, []);
      place(id);
      chain.push(id);
    }
    chain.push(e.target);
    for (let k = 0; k + 1 < chain.length; k++) {
      down.get(chain[k]).push(chain[k + 1]);
      up.get(chain[k + 1]).push(chain[k]);
    }
    return chain;
  });
  for (let r = 0; r < layers.length; r++) layers[r] ??= [];

  const position = new Map();
  layers.forEach((layer) => layer.forEach((id, i) => position.set(id, i)));
  for (let sweep = 0; sweep < 6; sweep++) {
    const downward = sweep % 2 === 0;
    const sequence = downward ? layers.slice(1) : layers.slice(0, -1).reverse();
    for (const layer of sequence) {
      const weight = new Map(
        layer.map((id) => {
          const near = (downward ? up : down).get(id).map((n) => position.get(n));
          return [id, near.length ? near.reduce((a, b) => a + b, 0) / near.length : position.get(id)];
        }),
      );
      layer.sort((a, b) => weight.get(a) - weight.get(b));
      layer.forEach((id, i) => position.set(id, i));
    }
  }

  const boxes = new Map();
  for (const layer of layers) {
    for (const id of layer) {
      const node = byId.get(id);
      if (!node) {
        boxes.set(id, { id, waypoint: true, w: WAYPOINT_W, h: NODE_H });
        continue;
      }
      const text = label(node);
      const terminal = id === "__start__" || id === "__end__";
      boxes.set(id, { id, text, terminal, w: Math.max(terminal ? 64 : 96, textWidth(text) + 32), h: NODE_H });
    }
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

  // Edges leaving (or entering) one node start (end) apart, in the order of their other ends.
  const ports = new Map();
  const spread = (end, other) => {
    const groups = new Map();
    chains.forEach((chain, i) => {
      if (!chain) return;
      const id = end(chain);
      if (!groups.has(id)) groups.set(id, []);
      groups.get(id).push(i);
    });
    for (const [id, group] of groups) {
      const box = boxes.get(id);
      group.sort((x, y) => boxes.get(other(chains[x])).x - boxes.get(other(chains[y])).x);
      const span = Math.min(box.w * 0.6, 16 * (group.length - 1));
      group.forEach((i, k) => ports.set(`${id}>${i}`, box.x + box.w / 2 - span / 2 + (group.length > 1 ? (span * k) / (group.length - 1) : 0)));
    }
  };
  spread((c) => c[0], (c) => c[1]);
  spread((c) => c[c.length - 1], (c) => c[c.length - 2]);

  let right = MARGIN + inner;
  const routes = edges.map((e, i) => {
    const a = boxes.get(e.source);
    const b = boxes.get(e.target);
    let d;
    let mid;
    if (a === b) {
      const x = a.x + a.w;
      const y = a.y + a.h / 2;
      d = `M ${x} ${y - 8} C ${x + 34} ${y - 26}, ${x + 34} ${y + 26}, ${x} ${y + 8}`;
      mid = { x: x + 30, y };
      right = Math.max(right, x + 40);
    } else if (!chains[i]) {
      // Back to an earlier layer: out of the right side, round the layers between.
      const lane = Math.max(a.x + a.w, b.x + b.w) + 26 + (i % 4) * 10;
      const y1 = a.y + a.h / 2;
      const y2 = b.y + b.h / 2;
      d = `M ${a.x + a.w} ${y1} C ${lane} ${y1}, ${lane} ${y2}, ${b.x + b.w + 2} ${y2}`;
      mid = { x: lane - 6, y: (y1 + y2) / 2 };
      right = Math.max(right, lane + 10);
    } else {
      const chain = chains[i];
      const points = [{ x: ports.get(`${e.source}>${i}`), y: a.y + a.h }];
      for (const id of chain.slice(1, -1)) {
        const w = boxes.get(id);
        points.push({ x: w.x + w.w / 2, y: w.y }, { x: w.x + w.w / 2, y: w.y + w.h });
      }
      points.push({ x: ports.get(`${e.target}>${i}`), y: b.y - 2 });
      d = `M ${points[0].x} ${points[0].y}`;
      for (let k = 1; k < points.length; k++) {
        const p = points[k - 1];
        const q = points[k];
        if (p.x === q.x) d += ` L ${q.x} ${q.y}`;
        else {
          const bend = (q.y - p.y) / 2;
          d += ` C ${p.x} ${p.y + bend}, ${q.x} ${q.y - bend}, ${q.x} ${q.y}`;
        }
      }
      const m = Math.floor((points.length - 1) / 2);
      mid = { x: (points[m].x + points[m + 1].x) / 2, y: (points[m].y + points[m + 1].y) / 2 };
    }
    const text = typeof e.data === "string" ? e.data : null;
    return { source: e.source, target: e.target, d, mid, conditional: Boolean(e.conditional), text };
  });
  const height = MARGIN * 2 + layers.length * NODE_H + Math.max(0, layers.length - 1) * LAYER_GAP;
  return { boxes: [...boxes.values()].filter((b) => !b.waypoint), routes, width: right + MARGIN, height };
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
    root.append(svg("path", { d: route.d, class: `graph-edge${route.conditional ? " conditional" : ""}`, "marker-end": "url(#arrow)", "data-edge": `${route.source}>${route.target}` }));
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
