import { WRITER_NAME } from "@poekhali/airtable";
import type { RestateAdmin } from "./restate-admin.js";

/** Main-era `airtable_writer/enqueue` invocations still in flight on one base, pinned to one deployment. */
export interface StrandedEnqueues {
  readonly base: string;
  readonly deployment: string;
  readonly count: number;
}

/**
 * Finds `airtable_writer` `enqueue` invocations that started (they have a journal), have not completed and are pinned
 * to a deployment whose `airtable_writer` has no `pump` handler: the writer before the inboxes, whose exclusive
 * `enqueue` could write to Airtable inline. Today's shared `enqueue` cannot replay such a journal, and the
 * invocation holds the base's lock until it ends, so the base writes nothing meanwhile.
 */
export async function strandedAirtableEnqueues(
  admin: RestateAdmin,
): Promise<StrandedEnqueues[]> {
  const rows = await admin.query<{
    base: string;
    deployment: string;
    count: number;
  }>(
    `SELECT target_service_key AS base, pinned_deployment_id AS deployment, COUNT(*) AS count FROM sys_invocation WHERE target_service_name = '${WRITER_NAME}' AND target_handler_name = 'enqueue' AND status != 'completed' AND pinned_deployment_id IS NOT NULL AND journal_size > 0 GROUP BY target_service_key, pinned_deployment_id`,
  );
  const old = new Map<string, boolean>();
  const stranded: StrandedEnqueues[] = [];
  for (const row of rows) {
    if (!old.has(row.deployment))
      old.set(row.deployment, !(await servesPump(admin, row.deployment)));
    if (old.get(row.deployment))
      stranded.push({
        base: row.base,
        deployment: row.deployment,
        count: Number(row.count),
      });
  }
  return stranded;
}

/** Whether a deployment's `airtable_writer` has the `pump` handler of the writer with inboxes. */
async function servesPump(
  admin: RestateAdmin,
  deployment: string,
): Promise<boolean> {
  const res = await fetch(
    `${admin.adminUrl}/deployments/${encodeURIComponent(deployment)}`,
  );
  // A deployment gone from Restate: nothing can replay on it, whatever it served; say so rather than stay silent.
  if (!res.ok) return false;
  const body = (await res.json()) as {
    services?: { name: string; handlers?: { name: string }[] }[];
  };
  const writer = body.services?.find((s) => s.name === WRITER_NAME);
  return writer?.handlers?.some((h) => h.name === "pump") ?? false;
}

/** One warning line per base with stranded enqueues, saying what to do; none when there are none. */
export async function airtableUpgradeWarnings(
  admin: RestateAdmin,
): Promise<string[]> {
  return (await strandedAirtableEnqueues(admin)).map(
    ({ base, deployment, count }) =>
      `${count} Airtable write(s) of base ${base} started on the writer before the inboxes (deployment ${deployment}) are still in flight: this code cannot resume them, and the base writes nothing until they end. Serve that deployment's code again until they complete, or cancel them (restate invocations cancel) and re-run their DAG runs; see docs/operations.md, "Upgrading the Airtable writer (from before its inboxes)".`,
  );
}
