import type { TaskState } from "./task-instance.js";

/** Airflow's trigger rules: when a task runs, given how its upstream tasks ended. */
export const TRIGGER_RULES = [
  "all_success",
  "all_failed",
  "all_done",
  "all_done_min_one_success",
  "all_skipped",
  "one_success",
  "one_failed",
  "one_done",
  "none_failed",
  "none_failed_min_one_success",
  "none_skipped",
  "always",
] as const;

/** One of Airflow's trigger rules; `all_success` unless a task says otherwise. */
export type TriggerRule = (typeof TRIGGER_RULES)[number];

/** What a task waiting on its upstream does next. */
export type Readiness = "wait" | "run" | "skipped" | "upstream_failed";

/**
 * Airflow's TriggerRuleDep for one task: from its upstream tasks' states (those not yet ended count as not done),
 * whether it runs, waits, or ends skipped or upstream_failed without running. Decisions that do not need every
 * upstream task to end (a failure under `all_success`, a success under `one_success`) are made at once.
 */
export function readiness(
  rule: TriggerRule,
  upstream: readonly (TaskState | undefined)[],
): Readiness {
  let success = 0;
  let failed = 0;
  let skipped = 0;
  for (const s of upstream) {
    if (s === "success") success++;
    else if (s === "failed" || s === "upstream_failed") failed++;
    else if (s === "skipped") skipped++;
  }
  const all = upstream.length;
  const done = success + failed + skipped === all;
  // With nothing upstream every rule is met: a root task runs.
  if (all === 0) return "run";
  switch (rule) {
    case "all_success":
      if (failed > 0) return "upstream_failed";
      if (skipped > 0) return "skipped";
      return done ? "run" : "wait";
    case "all_failed":
      if (success > 0 || skipped > 0) return "skipped";
      return done ? "run" : "wait";
    case "all_done":
      return done ? "run" : "wait";
    case "all_done_min_one_success":
      if (!done) return "wait";
      if (success > 0) return "run";
      return failed > 0 ? "upstream_failed" : "skipped";
    case "all_skipped":
      if (success > 0 || failed > 0) return "skipped";
      return done ? "run" : "wait";
    case "one_success":
      if (success > 0) return "run";
      if (!done) return "wait";
      return failed > 0 ? "upstream_failed" : "skipped";
    case "one_failed":
      if (failed > 0) return "run";
      return done ? "skipped" : "wait";
    case "one_done":
      if (success > 0 || failed > 0) return "run";
      return done ? "skipped" : "wait";
    case "none_failed":
      if (failed > 0) return "upstream_failed";
      return done ? "run" : "wait";
    case "none_failed_min_one_success":
      if (failed > 0) return "upstream_failed";
      if (!done) return "wait";
      return success > 0 ? "run" : "skipped";
    case "none_skipped":
      if (skipped > 0) return "skipped";
      return done ? "run" : "wait";
    case "always":
      return "run";
  }
}
