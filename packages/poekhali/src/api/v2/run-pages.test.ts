import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  StaticConnections,
  dag,
  dagWorkflow,
  eventLogObject,
  task,
} from "@poekhali/core";
import { airflowVariable } from "@poekhali/core/airflow";
import {
  startTemporaryRestate,
  type TemporaryRestate,
} from "../../restate/temporary-restate.js";
import { waitFor } from "../../wait-for.js";
import { ApiState } from "../api-state.js";
import { dagStateObject } from "../../api-state/dag-state-object.js";
import { runRecordObject } from "../../api-state/run-record-object.js";
import { DagRuns, type Introspection } from "../dag-runs.js";
import { EventLog } from "../event-log.js";
import { Variables } from "../variables.js";
import { jsonBody } from "../json-body.js";
import { v2Api } from "./v2-api.js";
import type { V2Env } from "./v2-options.js";

const fine = dag({ id: "pages_fine", schedule: null }, () => {
  task({ taskId: "one" }, () => 1, {});
});
const broken = dag({ id: "pages_broken", schedule: null }, () => {
  task(
    { taskId: "boom" },
    () => {
      throw new Error("always fails");
    },
    {},
  );
});
const DAGS = new Map([fine, broken].map((d) => [d.id, d] as const));
const HOST = "http://127.0.0.1";

describe("GET /api/v2/dags/{dag_id}/dagRuns pages in Restate's SQL", () => {
  let restate: TemporaryRestate;
  let api: Hono<V2Env>;
  /** Rows Restate's SQL answered since the last reset: what a list read. */
  let rowsRead = 0;

  const get = async (path: string) => {
    const res = await api.request(`${HOST}${path}`);
    expect(res.status, path).toBe(200);
    return (await res.json()) as {
      dag_runs: { dag_run_id: string; dag_id: string; state: string }[];
      total_entries: number;
    };
  };

  beforeAll(async () => {
    restate = await startTemporaryRestate("poekhali-run-pages-");
    await restate.deploy([
      ...[...DAGS.values()].map((d) =>
        dagWorkflow(d, { connections: new StaticConnections([]) }),
      ),
      airflowVariable,
      eventLogObject,
      dagStateObject,
      runRecordObject,
    ]);
    // The real introspection, counting the rows it answers.
    const introspection: Introspection = {
      query: async <Row>(sql: string) => {
        const rows = await restate.server.query<Row>(sql);
        rowsRead += rows.length;
        return rows;
      },
      cancel: (id) => restate.server.cancel(id),
      purge: (id) => restate.server.purge(id),
    };
    api = new Hono<V2Env>();
    api.use("/api/*", jsonBody());
    api.route(
      "/",
      v2Api({
        dags: DAGS,
        runs: new DagRuns(restate.ingress, introspection),
        state: new ApiState(restate.ingress.url, restate.server),
        source: { folder: "/dags", files: new Map() },
        ready: () => true,
        importErrors: [],
        loadedAt: new Date().toISOString(),
        variables: new Variables(restate.ingress.url, restate.server),
        eventLog: new EventLog(restate.ingress.url, restate.server),
      }),
    );
    for (let i = 0; i < 24; i++) {
      const id = `r-${String(i).padStart(2, "0")}`;
      const dagId = i % 3 === 2 ? broken.id : fine.id;
      const res = await api.request(`${HOST}/api/v2/dags/${dagId}/dagRuns`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ dag_run_id: id }),
      });
      expect(res.status).toBe(200);
    }
    await waitFor("every run to end", 60_000, async () => {
      const { dag_runs } = await get("/api/v2/dags/~/dagRuns?limit=100");
      return (
        dag_runs.length === 24 &&
        dag_runs.every((r) => ["success", "failed"].includes(r.state))
      );
    });
  }, 90_000);
  afterAll(async () => {
    await restate?.stop();
  });

  it("reads one page of runs, not every run, for a page", async () => {
    rowsRead = 0;
    const page = await get(
      "/api/v2/dags/pages_fine/dagRuns?limit=5&offset=5&order_by=-id",
    );
    expect(page.total_entries).toBe(16);
    expect(page.dag_runs.map((r) => r.dag_run_id)).toEqual([
      "r-15",
      "r-13",
      "r-12",
      "r-10",
      "r-09",
    ]);
    // Five runs, their two state keys each, and a count per (status, result): not the DAG's 16 runs and 32 keys.
    expect(rowsRead).toBeLessThanOrEqual(5 + 2 * 5 + 4);
  });

  it("answers each list as reading every run and paging in memory does", async () => {
    // `conf_contains={` takes every run (each conf is a JSON object) but can only be matched in memory.
    const memory = "conf_contains=%7B";
    const queries = [
      "pages_fine/dagRuns?",
      "pages_fine/dagRuns?limit=7&offset=3",
      "pages_fine/dagRuns?order_by=-id&limit=4",
      "~/dagRuns?order_by=run_id&offset=10",
      "~/dagRuns?order_by=-dag_run_id&limit=9",
      "~/dagRuns?order_by=dag_id&order_by=-run_id&limit=30",
      "~/dagRuns?state=failed",
      "~/dagRuns?state=failed&state=success&order_by=-run_id&limit=3&offset=2",
      "~/dagRuns?state=running",
      "~/dagRuns?run_id_pattern=R-1%25|r-2&order_by=run_id",
      "~/dagRuns?run_id_pattern=r-_5",
      // Patterns with no terms match no run on either path.
      "~/dagRuns?run_id_pattern=%7C",
      "~/dagRuns?run_id_pattern=%20%20",
      "~/dagRuns?run_id_pattern=%20%7C%20%7C",
      "~/dagRuns?dag_id_pattern=broken&limit=3",
      "~/dagRuns?run_type=manual&limit=2&offset=20",
      "~/dagRuns?offset=100",
    ];
    for (const q of queries) {
      const inSql = await get(`/api/v2/dags/${q}`);
      const inMemory = await get(`/api/v2/dags/${q}&${memory}`);
      expect(inSql, q).toEqual(inMemory);
    }
    for (const pattern of ["%7C", "%20%20", "%20%7C%20%7C"])
      expect(
        (await get(`/api/v2/dags/~/dagRuns?run_id_pattern=${pattern}`))
          .total_entries,
        pattern,
      ).toBe(0);
    // The batch list takes the same path.
    const batch = await api.request(`${HOST}/api/v2/dags/~/dagRuns/list`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        dag_ids: ["pages_broken"],
        order_by: "-run_id",
        page_limit: 3,
      }),
    });
    const listed = (await batch.json()) as {
      dag_runs: { dag_run_id: string }[];
      total_entries: number;
    };
    expect(listed.total_entries).toBe(8);
    expect(listed.dag_runs.map((r) => r.dag_run_id)).toEqual([
      "r-23",
      "r-20",
      "r-17",
    ]);
  });
});
