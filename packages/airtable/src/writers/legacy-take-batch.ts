import {
  MAX_BATCH,
  identityFields,
  type QueuedItem,
  type QueuedRow,
} from "./queue.js";

function identity(row: QueuedRow): string {
  return JSON.stringify(
    identityFields(row.mode).map((f) => row.fields[f] ?? null),
  );
}

/**
 * The batching rule of the writer before the inboxes (commit db017ea, `takeBatch`), unchanged: `drain` must pick the
 * same batch as the `drain` in flight at an upgrade did, or its journal no longer replays. The oldest item; every
 * schema check waiting; a look-up or a row marked solo alone; else up to 10 rows for the same table and mode, solo
 * rows left out, never two with the same identity, a run's rows split at the batch's edge.
 */
export function legacyTakeBatch(queue: readonly QueuedItem[]): QueuedItem[] {
  const head = queue[0];
  if (!head) return [];
  if (head.kind === "schema")
    return queue.filter((item) => item.kind === "schema");
  if (head.kind === "find" || head.solo) return [head];
  const key = `${head.table}\u0000${JSON.stringify(head.mode)}`;
  const seen = new Set<string>();
  const batch: QueuedRow[] = [];
  for (const item of queue) {
    if (batch.length === MAX_BATCH) break;
    if (
      item.kind !== "row" ||
      item.solo ||
      `${item.table}\u0000${JSON.stringify(item.mode)}` !== key
    )
      continue;
    const id = identity(item);
    if (seen.has(id)) continue;
    seen.add(id);
    batch.push(item);
  }
  return batch;
}
