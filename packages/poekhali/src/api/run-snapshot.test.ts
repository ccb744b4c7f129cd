import { describe, expect, it } from "vitest";
import type { DagRun } from "@poekhali/core";
import { snapshotOf } from "./dag-runs.js";

const kept = (state: DagRun["state"]): { run: DagRun } => ({
  run: {
    dag_id: "d",
    dag_run_id: "r",
    state,
    conf: {},
    logical_date: "2026-11-27T00:00:00.000Z",
    start_date: "2026-11-27T00:00:00.000Z",
    end_date: state === "running" ? null : "2026-11-27T00:00:01.000Z",
  },
});
const row = (status: string, completion_result: string | null = null) => ({
  run_id: "r",
  id: "inv_1",
  status,
  completion_result,
  created_at: 0,
});

describe("a run's state shown comes from its invocation, as the state filter and counts take it", () => {
  it("shows a run that saved its end but has not returned as running", () => {
    expect(snapshotOf("d", row("running"), kept("success")).state).toBe(
      "running",
    );
    expect(snapshotOf("d", row("backing-off"), kept("failed")).state).toBe(
      "running",
    );
    expect(snapshotOf("d", row("suspended"), kept("success")).state).toBe(
      "running",
    );
  });

  it("shows a run whose invocation waits as queued, whatever state it kept", () => {
    expect(snapshotOf("d", row("pending"), kept("failed")).state).toBe(
      "queued",
    );
    expect(snapshotOf("d", row("scheduled"), undefined).state).toBe("queued");
  });

  it("shows an ended run by how its invocation ended", () => {
    expect(
      snapshotOf("d", row("completed", "success"), kept("running")).state,
    ).toBe("success");
    expect(
      snapshotOf("d", row("completed", "failure"), kept("success")).state,
    ).toBe("failed");
    // The kept facts other than the state are still shown.
    expect(
      snapshotOf("d", row("completed", "success"), kept("success")).end_date,
    ).toBe("2026-11-27T00:00:01.000Z");
  });
});
