import type { Dag } from "@poekhali/core";
import { esc } from "./layout.js";
import { stateKey } from "./theme.js";

const NODE_W = 170;
const NODE_H = 44;
const GAP_X = 60;
const GAP_Y = 22;

/** Each task's layer: 0 for tasks without upstream, else one more than its deepest upstream task. */
export function layers(dag: Dag): Map<string, number> {
  const byId = new Map(dag.tasks.map((t) => [t.taskId, t]));
  const layer = new Map<string, number>();
  const visit = (id: string, path: Set<string>): number => {
    const known = layer.get(id);
    if (known !== undefined) return known;
    // A DAG has no cycles; the guard keeps a broken one from recursing forever.
    if (path.has(id)) return 0;
    path.add(id);
    const ups = byId.get(id)?.upstreamTaskIds ?? [];
    const depth = ups.reduce(
      (d, up) => (byId.has(up) ? Math.max(d, visit(up, path) + 1) : d),
      0,
    );
    path.delete(id);
    layer.set(id, depth);
    return depth;
  };
  for (const t of dag.tasks) visit(t.taskId, new Set());
  return layer;
}

/**
 * The DAG as an SVG graph, layered left to right with an edge per upstream dependency, each node coloured by its
 * state in the selected run (`states`, task id → state; absent: no status).
 */
export function dagGraph(
  dag: Dag,
  states: ReadonlyMap<string, string>,
  runLabel: string,
): string {
  const layerOf = layers(dag);
  const columns: string[][] = [];
  for (const t of dag.tasks)
    (columns[layerOf.get(t.taskId) ?? 0] ??= []).push(t.taskId);
  const at = new Map<string, { x: number; y: number }>();
  columns.forEach((ids, col) =>
    ids.forEach((id, row) =>
      at.set(id, {
        x: 8 + col * (NODE_W + GAP_X),
        y: 8 + row * (NODE_H + GAP_Y),
      }),
    ),
  );
  const width = 16 + columns.length * NODE_W + (columns.length - 1) * GAP_X;
  const height =
    16 +
    Math.max(1, ...columns.map((c) => c.length)) * (NODE_H + GAP_Y) -
    GAP_Y;
  const edges = dag.tasks
    .flatMap((t) =>
      t.upstreamTaskIds.flatMap((up) => {
        const [a, b] = [at.get(up), at.get(t.taskId)];
        if (!a || !b) return [];
        const [x1, y1, x2, y2] = [
          a.x + NODE_W,
          a.y + NODE_H / 2,
          b.x - 4,
          b.y + NODE_H / 2,
        ];
        const mid = (x1 + x2) / 2;
        return [
          `<path class="edge" d="M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}" marker-end="url(#arrow)"/>`,
        ];
      }),
    )
    .join("");
  const nodes = dag.tasks
    .map((t) => {
      const p = at.get(t.taskId);
      if (!p) return "";
      const state = states.get(t.taskId) ?? "none";
      const label =
        t.taskId.length > 20 ? `${t.taskId.slice(0, 19)}…` : t.taskId;
      return `<g class="node s-${stateKey(state)}" data-node="${esc(t.taskId)}" data-state="${esc(state)}" role="listitem" aria-label="${esc(`${t.taskId}, ${state}`)}">
<title>${esc(`${t.taskId} (${t.title}): ${state}`)}</title><rect x="${p.x}" y="${p.y}" width="${NODE_W}" height="${NODE_H}" rx="8"/>
<text x="${p.x + 12}" y="${p.y + 18}">${esc(label)}</text><text class="node-state" x="${p.x + 12}" y="${p.y + 35}">${esc(state)}</text></g>`;
    })
    .join("");
  return `<div class="scroll graph-box"><svg class="graph" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="list" aria-label="${esc(`Graph of ${dag.id}, tasks coloured by ${runLabel}`)}">
<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z" class="arrow"/></marker></defs>
${edges}${nodes}</svg></div>`;
}
