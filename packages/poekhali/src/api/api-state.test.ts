import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, request as httpRequest, type Server } from "node:http";
import { signCall } from "@poekhali/core";
import {
  DAG_STATE_NAME,
  dagStateObject,
} from "../api-state/dag-state-object.js";
import {
  RUN_RECORD_NAME,
  runRecordKey,
  runRecordObject,
  type RunRecord,
} from "../api-state/run-record-object.js";
import {
  CHANGE_VALIDITY_MS,
  changePurpose,
  signChange,
} from "../api-state/signed-change.js";
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

  it("keeps a note set through another instance when the trigger's record lands after it", async () => {
    // B's user notes the new run before A's record of its trigger is written: the record keeps B's notes.
    await b.setRunNote("d_race", "r", "noted on B", record(null));
    await b.setTaskNote("d_race", "r", "t", "task noted on B", record(null));
    await a.setRun("d_race", "r", record(null));
    const kept = await a.run("d_race", "r");
    expect(kept?.note).toBe("noted on B");
    expect(kept?.task_notes).toEqual({ t: "task noted on B" });
    expect(kept?.triggering_user_name).toBe("admin");
    // The trigger's own note fills a note nobody set.
    await a.setRun("d_race", "r2", record("from the trigger"));
    expect((await b.run("d_race", "r2"))?.note).toBe("from the trigger");
  });

  it("refuses, on Restate's ingress itself, a change the web tier did not sign for that handler, key and time", async () => {
    await a.setPaused("d_signed", true);
    await a.setRunNote("d_signed", "r", "kept", record(null));
    // What a hostile page in the user's browser could send straight to the ingress (any origin passes CORS there).
    const post = async (path: string, body: unknown) => {
      const res = await fetch(`${restate.ingress.url}${path}`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          origin: "https://evil.example",
          "sec-fetch-site": "cross-site",
        },
        body: JSON.stringify(body),
      });
      return { status: res.status, text: await res.text() };
    };
    const setPaused = `/${DAG_STATE_NAME}/d_signed/setPaused`;
    const unsigned = await post(setPaused, { payload: { paused: false } });
    expect(unsigned.status, unsigned.text).toBe(403);
    const forged = await post(setPaused, {
      payload: { paused: false, issued_at: Date.now() },
      signature: "forged",
    });
    expect(forged.status).toBe(403);
    // Signed for another DAG.
    const otherDag = await post(
      setPaused,
      signChange(DAG_STATE_NAME, "setPaused", "d_elsewhere", { paused: false }),
    );
    expect(otherDag.status).toBe(403);
    // A real signature captured for another handler of the same object and key, replayed: importPaused's (same
    // payload shape), the start-up check's.
    const imported = signChange(DAG_STATE_NAME, "importPaused", "d_signed", {
      paused: false,
    });
    expect((await post(setPaused, imported)).status).toBe(403);
    // The run record's handlers: forget's signature replayed to record, setNote's to record and to setTaskNote.
    const run = `/${RUN_RECORD_NAME}/${encodeURIComponent(runRecordKey("d_signed", "r"))}`;
    const forget = signChange(
      RUN_RECORD_NAME,
      "forget",
      runRecordKey("d_signed", "r"),
      {},
    );
    expect((await post(`${run}/record`, forget)).status).toBe(403);
    const setNote = signChange(
      RUN_RECORD_NAME,
      "setNote",
      runRecordKey("d_signed", "r"),
      { note: "replayed", fallback: record(null) },
    );
    expect((await post(`${run}/record`, setNote)).status).toBe(403);
    expect((await post(`${run}/setTaskNote`, setNote)).status).toBe(403);
    // Signed with another key, and a real signature signed too long ago (a captured call sent again later).
    const wrongKey = signChange(
      RUN_RECORD_NAME,
      "setNote",
      runRecordKey("d_signed", "r"),
      { note: "replayed", fallback: record(null) },
      "another-key",
    );
    expect((await post(`${run}/setNote`, wrongKey)).status).toBe(403);
    const old = signCall(
      changePurpose(DAG_STATE_NAME, "setPaused"),
      "d_signed",
      {
        paused: false,
        issued_at: Date.now() - CHANGE_VALIDITY_MS - 60_000,
      },
    );
    const stale = await post(setPaused, old);
    expect(stale.status).toBe(403);
    expect(stale.text).toMatch(/signed at .*from this worker's clock/);
    // The same handler with a fresh signature of its own is taken: the refusals above were the signatures'.
    expect((await post(`${run}/forget`, forget)).status).toBe(200);
    expect(await b.run("d_signed", "r")).toBeUndefined();
    expect(await b.isPaused("d_signed")).toBe(true);
  });

  it("answers a retried change with its first result, not undoing a change another instance made in between", async () => {
    // A proxy in front of the ingress that loses the answer to A's first call (the connection drops after Restate
    // did the change), and lets B pause the DAG before A sees the failure and tries again.
    let dropped = 0;
    const proxy: Server = createServer((req, res) => {
      const upstream = httpRequest(
        `${restate.ingress.url}${req.url}`,
        { method: req.method, headers: req.headers },
        (answer) => {
          const chunks: Buffer[] = [];
          answer.on("data", (c: Buffer) => chunks.push(c));
          answer.on("end", () => {
            if (dropped === 0 && req.url?.includes("d_retry")) {
              dropped += 1;
              void b.setPaused("d_retry", true).then(() => res.destroy());
              return;
            }
            res.writeHead(answer.statusCode ?? 500, answer.headers);
            res.end(Buffer.concat(chunks));
          });
        },
      );
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    try {
      const address = proxy.address();
      const port = typeof address === "object" && address ? address.port : 0;
      const throughProxy = new ApiState(
        `http://127.0.0.1:${port}`,
        restate.server,
      );
      await a.setPaused("d_retry", true);
      // A unpauses; the answer is lost, B pauses, A tries again and is answered the first call's result.
      expect(await throughProxy.setPaused("d_retry", false)).toBe(false);
      expect(dropped).toBe(1);
      // B's acknowledged pause holds.
      expect(await b.isPaused("d_retry")).toBe(true);
    } finally {
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
    }
  });

  it("reads without leaving an invocation in Restate, where a change leaves one", async () => {
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
    // The control: a change is an invocation, kept (for its idempotency retention), so the count above would show
    // reads made by calling a handler.
    await a.setPaused("d_reads", false);
    expect(await count()).toBe(before + 1);
  });
});
