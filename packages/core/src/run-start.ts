import type * as restate from "@restatedev/restate-sdk";

/**
 * How a run writes its `dag_run` and `task_instances` state: 1, both at every change (every run parked by a runner
 * before this file); 2, each only when it changed, before the run waits or tells anyone.
 */
export type JournalVersion = 1 | 2;

/** The journal version runs started by this runner write. */
export const JOURNAL_VERSION: JournalVersion = 2;

/** What a run's first step journals from version 2 on; version 1 journaled the bare time. */
interface StartRecord {
  readonly at: number;
  readonly journal: JournalVersion;
}

/**
 * Reads when the run starts, as its first journaled step, and which journal version the run writes. Version 1 read
 * it with `ctx.date.now()`, an unnamed step whose result is a number: this is the same step (unnamed, first), so a run
 * parked by an older runner replays it without a mismatch and is known by the number it journaled, while a run
 * started here journals its version with the time and keeps it on every replay.
 */
export async function readStart(
  ctx: restate.WorkflowContext,
): Promise<{ at: string; journal: JournalVersion }> {
  const kept = await ctx.run((): StartRecord | number => ({
    at: Date.now(),
    journal: JOURNAL_VERSION,
  }));
  const record: StartRecord =
    typeof kept === "number" ? { at: kept, journal: 1 } : kept;
  return {
    at: new Date(record.at).toISOString(),
    journal: record.journal,
  };
}
