import * as clients from "@restatedev/restate-sdk-clients";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signCall } from "@poekhali/core";
import {
  DAG_STATE,
  DAG_STATE_PURPOSE,
  dagStateObject,
} from "../api-state/dag-state-object.js";
import {
  RUN_RECORD,
  runRecordKey,
  runRecordObject,
  type RunRecord,
} from "../api-state/run-record-object.js";
import {
  startTemporaryRestate,
  type TemporaryRestate,
} from "../restate/temporary-restate.js";
import { ApiState } from "./api-state.js";

const record = (note: string | null): RunRecord => ({
  logical_date: null,
  run_after: "2026-01-01T00:00:00.000Z",
  queued_at: "2026-01-01T00:00:00.000Z",
  triggered_by: "rest_api",
  triggering_user_name: "admin",
  note,
});

describe("ApiState keeps pauses and run records in Restate, the same for every web instance", () => {
  let restate: TemporaryRestate;
  // Two web instances: each its own client, one Restate.
  let a: ApiState;
  let b: ApiState;

  beforeAll(async () => {
    restate = await startTemporaryRestate("poekhali-api-state-");
    await restate.deploy([dagStateObject, runRecordObject]);
    a = new ApiState(restate.ingress.url, restate.server);
    b = new ApiState(restate.ingress.url, restate.server);
  }, 60_000);
  afterAll(async () => {
    await restate?.stop();
  });

  it("shows a pause made through one instance on the other, and an unpause too", async () => {
    expect(await b.isPaused("d_pause")).toBe(false);
    await a.setPaused("d_pause", true);
    expect(await b.isPaused("d_pause")).toBe(true);
    expect([...(await b.pausedOf(["d_pause", "d_other"]))]).toEqual([
      "d_pause",
    ]);
    await b.setPaused("d_pause", false);
    expect(await a.isPaused("d_pause")).toBe(false);
  });

  it("keeps a run's record, notes from both instances at once, and forgets a deleted run", async () => {
    await a.setRun("d_runs", "r/1:+~", record(null));
    await a.setRun("d_runs", "r2", record("second"));
    // A run note through one instance and a task note through the other, at once: both are kept.
    await Promise.all([
      a.setRunNote("d_runs", "r/1:+~", "run note", record(null)),
      b.setTaskNote("d_runs", "r/1:+~", "t1", "task note", record(null)),
    ]);
    const kept = await b.run("d_runs", "r/1:+~");
    expect(kept?.note).toBe("run note");
    expect(kept?.task_notes).toEqual({ t1: "task note" });
    expect(kept?.triggering_user_name).toBe("admin");
    const all = await a.runs(["d_runs", "d_runs_none"]);
    expect([...(all.get("d_runs")?.keys() ?? [])].sort()).toEqual([
      "r/1:+~",
      "r2",
    ]);
    // A DAG whose id is another's with a suffix has runs of its own: "d_runs" does not read "d_runs2"'s.
    await a.setRun("d_runs2", "r9", record(null));
    expect((await a.runs(["d_runs"])).get("d_runs")?.has("r9")).toBe(false);
    // A note on a run the API did not start lands on the fallback record.
    await b.setRunNote("d_runs", "unrecorded", "late note", record(null));
    expect((await a.run("d_runs", "unrecorded"))?.note).toBe("late note");
    await b.deleteRun("d_runs", "r2");
    expect(await a.run("d_runs", "r2")).toBeUndefined();
  });

  it("refuses a change that the web tier did not sign, and changes nothing", async () => {
    const ingress = clients.connect({ url: restate.ingress.url });
    await a.setPaused("d_signed", true);
    // What a hostile page could send straight to Restate's ingress: no signature, or one for another DAG.
    const unsigned = ingress
      .objectClient(DAG_STATE, "d_signed")
      .setPaused({ payload: { paused: false }, signature: "forged" });
    await expect(unsigned).rejects.toThrow(/not signed/);
    const otherDag = ingress
      .objectClient(DAG_STATE, "d_signed")
      .setPaused(signCall(DAG_STATE_PURPOSE, "d_elsewhere", { paused: false }));
    await expect(otherDag).rejects.toThrow(/not signed/);
    const wrongKey = ingress
      .objectClient(RUN_RECORD, runRecordKey("d_signed", "r"))
      .record(
        signCall(
          "run-record",
          runRecordKey("d_signed", "r"),
          record("x"),
          "another-key",
        ),
      );
    await expect(wrongKey).rejects.toThrow(/not signed/);
    expect(await b.isPaused("d_signed")).toBe(true);
    expect(await b.run("d_signed", "r")).toBeUndefined();
  });

  it("reads without leaving an invocation in Restate", async () => {
    await a.setPaused("d_reads", true);
    await a.setRun("d_reads", "r", record("n"));
    const count = async () =>
      Number(
        (
          await restate.server.query<{ n: number }>(
            "SELECT COUNT(*) AS n FROM sys_invocation",
          )
        )[0]?.n,
      );
    const before = await count();
    for (let i = 0; i < 20; i++) {
      expect(await b.isPaused("d_reads")).toBe(true);
      expect((await b.run("d_reads", "r"))?.note).toBe("n");
      await b.runs(["d_reads"]);
    }
    expect(await count()).toBe(before);
  });
});
