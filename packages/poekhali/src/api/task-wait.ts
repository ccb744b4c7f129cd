import {
  DeferrableOperator,
  DeferrableSensor,
  resolveArg,
  resolveArgs,
  toMillis,
  type Dag,
  type Json,
  type TaskInstance,
  type TryRecord,
} from "@poekhali/core";

/** What a deferrable task waits for, in words, and when its wait times out (ISO 8601 UTC, null for never). */
export interface TaskWait {
  readonly for: string;
  readonly until: string | null;
}

type AnyDeferrable = DeferrableOperator<object, Json, Json>;

/** Reads a task's kept output (its XCom), or null when it has none. */
export type OutputOf = (taskId: string) => Promise<{ value: unknown } | null>;

/**
 * What a deferrable task's try waits for and until when, worked out as its run worked it out: the task's arguments
 * resolved from the run's params and its upstream outputs, its timeout from its start. Null for a task that does not
 * defer, has not started, or whose arguments cannot be resolved (an upstream output is gone).
 */
export async function taskWait(
  dag: Dag,
  conf: Record<string, unknown>,
  ti: Pick<TaskInstance, "task_id" | "start_date">,
  outputOf: OutputOf,
): Promise<TaskWait | null> {
  const op = dag.task(ti.task_id);
  if (!(op instanceof DeferrableOperator) || !ti.start_date) return null;
  const deferrable = op as AnyDeferrable;
  try {
    const outputs = new Map<string, Json>();
    for (const id of op.upstreamTaskIds) {
      const kept = await outputOf(id);
      outputs.set(id, (kept?.value ?? null) as Json);
    }
    const scope = { outputs, params: dag.parseConf(conf) };
    const args = resolveArgs(deferrable.args, scope);
    const timeout =
      deferrable instanceof DeferrableSensor
        ? resolveArg(deferrable.timeout, scope)
        : deferrable.executionTimeout;
    return {
      for: deferrable.waitsFor(args),
      until:
        timeout === null
          ? null
          : new Date(
              Date.parse(ti.start_date) + toMillis(timeout),
            ).toISOString(),
    };
  } catch {
    // The page and the log say less rather than fail: the wait is still real, only its words are missing.
    return null;
  }
}

// What a try that ended this way did, as its log's last line says it.
const ENDINGS: Record<string, [level: string, words: string]> = {
  // Not "the event came": a task marked success by hand ends its wait too.
  success: ["INFO", "the wait ended: the task succeeded"],
  failed: ["ERROR", "the task failed"],
  skipped: ["WARN", "the task was skipped"],
  upstream_failed: ["ERROR", "an upstream task failed"],
  up_for_retry: ["WARN", "the try failed and will be retried"],
};

/**
 * The log lines of a deferrable task's try, which its run keeps none of (its wait runs in no step): when it parked,
 * what it waited for and until when, and how the wait ended, each stamped with the time the run recorded, in the
 * kept log's line format. None for a task that does not defer.
 */
export function deferralLines(
  dag: Dag,
  taskId: string,
  attempt: Pick<TryRecord, "state" | "start_date" | "end_date" | "note">,
  wait: TaskWait | null,
): string[] {
  const op = dag.task(taskId);
  if (!(op instanceof DeferrableOperator) || !attempt.start_date) return [];
  const parked =
    op.parkedState === "awaiting_input" ? "awaiting input" : "deferred";
  const what = wait
    ? `: waiting for ${wait.for}${wait.until ? `; times out at ${wait.until}` : ", without a timeout"}`
    : "";
  const lines = [`${attempt.start_date} INFO ${parked}${what}`];
  const ending = ENDINGS[attempt.state];
  if (attempt.end_date && ending) {
    const [level, words] = ending;
    lines.push(
      `${attempt.end_date} ${level} ${words}${attempt.note ? `: ${attempt.note}` : ""}`,
    );
  }
  return lines;
}
