import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { z } from "zod";
import * as v2 from "../packages/poekhali/src/api/v2/airflow-v2-contract.js";
import { eventually, startApp, type AppUnderTest } from "./harness.js";
import { withToken } from "./v2-answer.js";

const ROOT = new URL("..", import.meta.url).pathname;

// A DAG file as Airflow's TypeScript SDK documents them: nothing in it names poekhali.
const REGIONS = `import { Bundle, Dag, getClient, getContext } from "@apache-airflow/ts-sdk";

interface RegionRows {
  readonly region: string;
  readonly rows: number;
}

const dag = new Dag("regions_summary", {
  description: "Counts rows in two regions and sums them.",
  tags: ["typescript", "sdk"],
  params: { unit: "rows" },
});

const extract = dag.taskGroup("extract");

const extractNorth = extract.task("north", async (): Promise<RegionRows> => {
  const configured = await getClient().getVariable("regions_north_rows");
  return { region: "north", rows: Number(configured ?? 3) };
});

// Fails its first try: the retry options are the SDK's (seconds), and the second try succeeds.
const extractSouth = extract.task(
  "south",
  async (): Promise<RegionRows> => {
    if (getContext().tryNumber === 1) throw new Error("the south warehouse is not ready yet");
    const config = await getClient().getVariable("regions_south");
    return { region: "south", rows: (JSON.parse(config ?? "{}") as { rows: number }).rows };
  },
  { retries: 1, retryDelay: 0.2 },
);

const summarize = dag.task(
  "summarize",
  async ({ north, south }: { north: RegionRows; south: RegionRows }) => {
    const { params, taskId } = getContext();
    const total = north.rows + south.rows;
    await getClient().setXCom({ key: "region_total", value: total });
    return { total, unit: params.unit, by: taskId };
  },
  { retries: 1, retryDelay: 1, executionTimeout: 30 },
);

const summarized = summarize({ north: extractNorth(), south: extractSouth() });

const announce = dag.task("announce", async () => {
  const client = getClient();
  const summary = await client.getXCom<{ unit: string }>({ key: "return_value", taskId: "summarize" });
  const total = await client.getXCom<number>({ key: "region_total", taskId: "summarize" });
  const missing = await client.getXCom({ key: "never_written", taskId: "summarize" });
  return \`total \${total} \${summary?.unit} \${missing}\`;
});
announce().after(summarized);

await new Bundle(dag).serve();
`;

// As Airflow's own native.ts: the Dag is only exported, under the name its examples import the SDK by.
const NATIVE = `import { Dag } from "apache-airflow-ts-sdk";
import { approval } from "apache-airflow-ts-sdk/hitl";

export const dag = new Dag("native_only", { schedule: "@daily", catchup: false });
dag.task("hello", async () => (typeof approval === "function" ? "hitl module found" : "no hitl"))();
`;

const TYPO = `import { Dga } from "@apache-airflow/ts-sdk";

export const dag = new Dga("typo");
`;

const CYCLE = `import { Dag } from "@apache-airflow/ts-sdk";

const dag = new Dag("looped");
const first = dag.task("first", async () => 1)();
const second = dag.task("second", async () => 2)();
first.before(second);
second.before(first);
`;

/** Calls the app as Airflow's clients do: a bearer token, the answer checked against the v2 schema. */
async function call<S extends z.ZodType>(
  app: AppUnderTest,
  token: string,
  schema: S,
  method: string,
  path: string,
  body?: unknown,
): Promise<z.output<S>> {
  const res = await withToken(app, token, method, path, body);
  expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBe(
    200,
  );
  return schema.parse(res.body);
}

describe("a DAG file written for Apache Airflow's TypeScript SDK, in `poekhali up`'s DAGs folder", () => {
  // Inside the repository, so that the DAG files are ES modules as in a project, and resolve from its node_modules.
  const work = mkdtempSync(join(ROOT, "e2e", ".work-"));
  const dags = join(work, "dags");
  mkdirSync(dags, { recursive: true });
  writeFileSync(join(dags, "regions.ts"), REGIONS);
  writeFileSync(join(dags, "native.ts"), NATIVE);
  writeFileSync(join(dags, "typo.ts"), TYPO);
  writeFileSync(join(dags, "cycle.ts"), CYCLE);
  let app: AppUnderTest | undefined;
  afterAll(async () => {
    await app?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it("loads unchanged, runs to success over /api/v2 (groups, named fan-in, a retried task, Variables, XCom by key), and names the broken files' errors", async () => {
    app = await startApp({
      POEKHALI_DAGS_FOLDER: dags,
      POEKHALI_HOME: join(work, "home"),
      POEKHALI_AUTH_PASSWORD: "e2e-secret",
      AIRFLOW_VAR_REGIONS_NORTH_ROWS: "5",
      AIRFLOW_VAR_REGIONS_SOUTH: '{"rows": 8}',
    });
    const login = await fetch(`${app.url}/auth/token/cli`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "admin", password: "e2e-secret" }),
    });
    const token = v2.LoginResponse.parse(await login.json()).access_token;

    const list = await call(
      app,
      token,
      v2.DAGCollectionResponse,
      "GET",
      "/api/v2/dags",
    );
    expect(list.dags.map((d) => [d.dag_id, d.relative_fileloc])).toEqual([
      ["native_only", "native.ts"],
      ["regions_summary", "regions.ts"],
    ]);
    expect(app.output()).toContain(
      'warning: DAG "native_only": schedule "@daily" is ignored',
    );

    const errors = await call(
      app,
      token,
      v2.ImportErrorCollectionResponse,
      "GET",
      "/api/v2/importErrors",
    );
    expect(
      errors.import_errors.map((e) => [e.filename, e.stack_trace]),
    ).toEqual([
      [
        join(dags, "cycle.ts"),
        expect.stringContaining(
          'DAG "looped": it has a cycle: first >> second >> first',
        ),
      ],
      [join(dags, "typo.ts"), expect.stringMatching(/export named 'Dga'/)],
    ]);

    const run = await call(
      app,
      token,
      v2.DAGRunResponse,
      "POST",
      "/api/v2/dags/regions_summary/dagRuns",
      { logical_date: null, conf: { unit: "records" } },
    );
    const path = `/api/v2/dags/regions_summary/dagRuns/${run.dag_run_id}`;
    await eventually(
      "the run to end",
      async () => {
        const { state } = await call(
          app!,
          token,
          v2.DAGRunResponse,
          "GET",
          path,
        );
        return state === "success" || state === "failed" ? state : undefined;
      },
      60_000,
    ).then((state) => expect(state).toBe("success"));
    const tis = await call(
      app,
      token,
      v2.TaskInstanceCollectionResponse,
      "GET",
      `${path}/taskInstances`,
    );
    expect(
      tis.task_instances
        .map((ti) => [ti.task_id, ti.state, ti.try_number])
        .sort(),
    ).toEqual([
      ["announce", "success", 1],
      ["extract.north", "success", 1],
      ["extract.south", "success", 2],
      ["summarize", "success", 1],
    ]);
    const xcom = await call(
      app,
      token,
      v2.XComResponseNative,
      "GET",
      `${path}/taskInstances/summarize/xcomEntries/return_value`,
    );
    expect(xcom.value).toEqual({ total: 13, unit: "records", by: "summarize" });
    const announced = await call(
      app,
      token,
      v2.XComResponseNative,
      "GET",
      `${path}/taskInstances/announce/xcomEntries/return_value`,
    );
    expect(announced.value).toBe("total 13 records null");
    // What summarize wrote with setXCom is an XCom of its own, listed beside its return_value and readable by key.
    const entries = await call(
      app,
      token,
      v2.XComCollectionResponse,
      "GET",
      `${path}/taskInstances/summarize/xcomEntries`,
    );
    expect(entries.xcom_entries.map((e) => e.key).sort()).toEqual([
      "region_total",
      "return_value",
    ]);
    expect(entries.total_entries).toBe(2);
    const keyed = await call(
      app,
      token,
      v2.XComResponseNative,
      "GET",
      `${path}/taskInstances/summarize/xcomEntries/region_total`,
    );
    expect(keyed).toMatchObject({ key: "region_total", value: 13 });
  });
});
