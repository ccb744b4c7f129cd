import { describe, expect, it } from "vitest";
import { readiness, type TriggerRule } from "./trigger-rule.js";
import type { TaskState } from "./task-instance.js";

const S = "success";
const F = "failed";
const UF = "upstream_failed";
const K = "skipped";
const R = "running";

/** Each rule against the upstream mixes that decide it, as Airflow's TriggerRuleDep decides them. */
const table: [TriggerRule, (TaskState | undefined)[], string][] = [
  ["all_success", [S, S], "run"],
  ["all_success", [S, R], "wait"],
  ["all_success", [F, R], "upstream_failed"],
  ["all_success", [K, S], "skipped"],
  ["all_success", [UF, K], "upstream_failed"],
  ["all_failed", [F, UF], "run"],
  ["all_failed", [F, R], "wait"],
  ["all_failed", [F, S], "skipped"],
  ["all_done", [F, K, S], "run"],
  ["all_done", [F, R], "wait"],
  ["all_done_min_one_success", [F, S], "run"],
  ["all_done_min_one_success", [F, K], "upstream_failed"],
  ["all_done_min_one_success", [K, K], "skipped"],
  ["all_skipped", [K, K], "run"],
  ["all_skipped", [K, S], "skipped"],
  ["one_success", [S, R], "run"],
  ["one_success", [F, R], "wait"],
  ["one_success", [F, K], "upstream_failed"],
  ["one_success", [K, K], "skipped"],
  ["one_failed", [UF, R], "run"],
  ["one_failed", [S, K], "skipped"],
  ["one_done", [R, S], "run"],
  ["one_done", [R, F], "run"],
  ["one_done", [K, K], "skipped"],
  ["none_failed", [S, K], "run"],
  ["none_failed", [K, K], "run"],
  ["none_failed", [S, UF], "upstream_failed"],
  ["none_failed_min_one_success", [S, K], "run"],
  ["none_failed_min_one_success", [K, K], "skipped"],
  ["none_failed_min_one_success", [K, R], "wait"],
  ["none_skipped", [S, F], "run"],
  ["none_skipped", [S, K], "skipped"],
  ["always", [R, undefined], "run"],
];

describe("trigger rules", () => {
  it.each(table)("%s with upstream %j: %s", (rule, upstream, expected) => {
    expect(readiness(rule, upstream)).toBe(expected);
  });

  it("runs a task with nothing upstream whatever its rule", () => {
    expect(readiness("all_failed", [])).toBe("run");
    expect(readiness("one_success", [])).toBe("run");
  });
});
