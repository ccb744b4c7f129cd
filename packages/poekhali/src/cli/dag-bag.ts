import type { Dag } from "@poekhali/core";
import { resolveConfig } from "../config.js";
import { loadDags, type LoadedDags } from "../dag-loader.js";
import { UsageError } from "./usage-error.js";

/**
 * The DAGs folder as the CLI reads it without a running app, as `airflow dags list` reads its DAG bag: import
 * errors are reported on stderr-like lines through `warn`, the DAGs that loaded are listed.
 */
export async function dagBag(
  warn: (line: string) => void,
): Promise<LoadedDags & { folder: string }> {
  const folder = resolveConfig().dagsFolder;
  const loaded = await loadDags(folder);
  for (const e of loaded.errors)
    warn(`poekhali: could not load ${e.path}: ${e.error}`);
  return { ...loaded, folder };
}

/** One DAG of the bag, or a usage error naming the DAGs there are. */
export function dagOf(bag: LoadedDags, dagId: string): Dag {
  const dag = bag.dags.get(dagId);
  if (!dag)
    throw new UsageError(
      `no DAG "${dagId}" in the DAGs folder; there are: ${[...bag.dags.keys()].join(", ") || "none"}`,
    );
  return dag;
}

/** A DAG as Graphviz DOT, as `airflow dags show` prints it: one node per task, an edge per dependency. */
export function dagDot(dag: Dag): string {
  const q = (s: string) => JSON.stringify(s);
  const lines = [`digraph ${q(dag.id)} {`, "  rankdir=LR;"];
  for (const t of dag.tasks) lines.push(`  ${q(t.taskId)};`);
  for (const t of dag.tasks)
    for (const up of t.upstreamTaskIds)
      lines.push(`  ${q(up)} -> ${q(t.taskId)};`);
  lines.push("}");
  return lines.join("\n");
}

/** The DAG's tasks as an indented tree from its roots down, as `airflow tasks list --tree` prints it. */
export function taskTree(dag: Dag): string {
  const lines: string[] = [];
  const walk = (taskId: string, depth: number) => {
    lines.push(`${"    ".repeat(depth)}<Task(${taskId})>`);
    for (const t of dag.tasks)
      if (t.upstreamTaskIds.includes(taskId)) walk(t.taskId, depth + 1);
  };
  for (const t of dag.tasks)
    if (t.upstreamTaskIds.length === 0) walk(t.taskId, 0);
  return lines.join("\n");
}
