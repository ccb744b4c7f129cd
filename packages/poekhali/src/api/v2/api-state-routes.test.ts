import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StaticConnections, dag, dagWorkflow, task } from "@poekhali/core";
import { dagStateObject } from "../../api-state/dag-state-object.js";
import {
  RUN_RECORD_NAME,
  runRecordObject,
} from "../../api-state/run-record-object.js";
import {
  startTemporaryRestate,
  type TemporaryRestate,
} from "../../restate/temporary-restate.js";
import { waitFor } from "../../wait-for.js";
import { ApiState, type RunRecord, type RunRef } from "../api-state.js";
import { SimpleAuth } from "../auth/simple-auth.js";
import { DagRuns } from "../dag-runs.js";
import { EventLog } from "../event-log.js";
import { gate } from "../gate.js";
import { restApi } from "../rest-api.js";
import { Variables } from "../variables.js";

const first = dag({ id: "st_first", schedule: null }, () => {
  task({ taskId: "one" }, () => 1, {});
});
const second = dag({ id: "st_second", schedule: null }, () => {
  task({ taskId: "one" }, () => 1, {});
});
const DAGS = new Map([first, second].map((d) => [d.id, d] as const));

/** An ApiState whose SQL reads lag behind its changes, as a read served before the change is visible would. */
class LaggingState extends ApiState {
  override pausedOf(): Promise<ReadonlySet<string>> {
    return Promise.resolve(new Set());
  }
  override runsOf(): Promise<Map<string, Map<string, RunRecord>>> {
    return Promise.resolve(new Map<string, Map<string, RunRecord>>());
  }
}

describe("the REST API's pauses, notes and trigger records through Restate's objects", () => {
  let restate: TemporaryRestate;
  /** Every SQL query the web's ApiState sent. */
  const queries: string[] = [];
  const log: string[] = [];

  const webApp = (state: ApiState) => {
    const web = new Hono();
    web.route(
      "/",
      gate({
        bindHost: "127.0.0.1",
        allowedHosts: [],
        auth: new SimpleAuth({
          username: "admin",
          password: undefined,
          secret: "a-test-secret-of-at-least-32-characters",
        }),
        ownSecretPaths: [],
      }),
    );
    web.route(
      "/",
      restApi({
        dags: DAGS,
        runs: new DagRuns(restate.ingress, restate.server),
        ready: () => true,
        state,
        variables: new Variables(restate.ingress.url, restate.server),
        eventLog: new EventLog(restate.ingress.url, restate.server),
        source: { folder: "/dags", files: new Map() },
      }),
    );
    return web;
  };
  const call = async (
    web: Hono,
    method: string,
    path: string,
    body?: unknown,
  ) => {
    const res = await web.request(`http://127.0.0.1${path}`, {
      method,
      ...(body === undefined
        ? {}
        : {
            headers: { "content-type": "application/json" },
            body: JSON.stringify(body),
          }),
    });
    const text = await res.text();
    return {
      status: res.status,
      body: (text ? JSON.parse(text) : null) as Record<string, unknown>,
    };
  };

  beforeAll(async () => {
    restate = await startTemporaryRestate("poekhali-api-state-routes-");
    await restate.deploy([
      ...[...DAGS.values()].map((d) =>
        dagWorkflow(d, { connections: new StaticConnections([]) }),
      ),
      dagStateObject,
      runRecordObject,
    ]);
  }, 60_000);
  afterAll(async () => {
    await restate?.stop();
  });

  const counted = () =>
    new ApiState(restate.ingress.url, {
      query: <T>(sql: string) => {
        queries.push(sql);
        return restate.server.query<T>(sql);
      },
    });

  it("answers a trigger with its run when the run started but its record could not be written", async () => {
    // A web whose key the workers refuse (a typo): its record writes fail, its runs start all the same.
    const web = webApp(
      new ApiState(restate.ingress.url, restate.server, {
        key: "not-the-workers-key",
        log: (l) => log.push(l),
      }),
    );
    const v2 = await call(web, "POST", "/api/v2/dags/st_first/dagRuns", {
      dag_run_id: "unrecorded_v2",
      note: "lost",
    });
    expect(v2.status, JSON.stringify(v2.body)).toBe(200);
    expect(v2.body.dag_run_id).toBe("unrecorded_v2");
    const v1 = await call(web, "POST", "/api/v1/dags/st_first/dagRuns", {
      dag_run_id: "unrecorded_v1",
    });
    expect(v1.status, JSON.stringify(v1.body)).toBe(200);
    // Both runs exist, and the failures were logged without the key or a signature.
    for (const runId of ["unrecorded_v2", "unrecorded_v1"])
      expect(
        (await call(web, "GET", `/api/v2/dags/st_first/dagRuns/${runId}`))
          .status,
      ).toBe(200);
    const told = log.join("\n");
    expect(told).toContain(
      "run unrecorded_v2 of DAG st_first started, but its trigger details",
    );
    expect(told).toContain("403");
    expect(told).not.toContain("not-the-workers-key");
    expect(told).not.toContain("signature");
  });

  it("answers a PATCH with the change as the object made it, not a read that may lag", async () => {
    const web = webApp(new LaggingState(restate.ingress.url, restate.server));
    const paused = await call(web, "PATCH", "/api/v2/dags/st_second", {
      is_paused: true,
    });
    expect(paused.status).toBe(200);
    expect(paused.body.is_paused).toBe(true);
    const fresh = new ApiState(restate.ingress.url, restate.server);
    expect(await fresh.isPaused("st_second")).toBe(true);
    await fresh.setPaused("st_second", false);
    const run = await call(
      webApp(fresh),
      "POST",
      "/api/v2/dags/st_second/dagRuns",
      { dag_run_id: "noted" },
    );
    expect(run.status).toBe(200);
    const noted = await call(
      web,
      "PATCH",
      "/api/v2/dags/st_second/dagRuns/noted?update_mask=note",
      { note: "as set" },
    );
    expect(noted.status).toBe(200);
    expect(noted.body.note).toBe("as set");
  });

  it("reads the records of a page's runs only, and none for counts and details", async () => {
    const web = webApp(counted());
    for (const [dagId, runId] of [
      ["st_first", "page_a"],
      ["st_second", "page_b"],
      ["st_first", "page_c"],
    ] as const)
      expect(
        (
          await call(web, "POST", `/api/v2/dags/${dagId}/dagRuns`, {
            dag_run_id: runId,
          })
        ).status,
      ).toBe(200);
    await waitFor("the runs to be listed", 20_000, async () => {
      const all = await call(web, "GET", "/api/v2/dags/~/dagRuns?limit=100");
      return (all.body.total_entries as number) >= 5;
    });
    queries.length = 0;
    const page = await call(
      web,
      "GET",
      "/api/v2/dags/~/dagRuns?limit=2&order_by=-id",
    );
    const listed = (
      page.body.dag_runs as { dag_id: string; dag_run_id: string }[]
    ).map((r): RunRef => ({ dag_id: r.dag_id, run_id: r.dag_run_id }));
    expect(listed).toHaveLength(2);
    const recordReads = queries.filter((q) => q.includes(RUN_RECORD_NAME));
    expect(recordReads).toHaveLength(1);
    // Exactly the page's runs, by their keys: not every DAG of the page times every run of it.
    const keys = [...(recordReads[0] ?? "").matchAll(/'(st_[^']*)'/g)].map(
      (m) => m[1],
    );
    expect(keys.sort()).toEqual(
      listed.map((r) => `${r.dag_id}/${r.run_id}`).sort(),
    );

    queries.length = 0;
    expect((await call(web, "GET", "/api/v2/dagStats")).status).toBe(200);
    expect(
      (await call(web, "GET", "/api/v2/dags/st_first/details")).status,
    ).toBe(200);
    expect(queries.filter((q) => q.includes(RUN_RECORD_NAME))).toEqual([]);
  });
});
