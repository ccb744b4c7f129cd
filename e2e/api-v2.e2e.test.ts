import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { z } from "zod";
import * as v2 from "../packages/poekhali/src/api/v2/airflow-v2-contract.js";
import { eventually, startApp, type AppUnderTest } from "./harness.js";
import { withToken } from "./v2-answer.js";

const ROOT = new URL("..", import.meta.url).pathname;

const HELLO = `import { z } from "zod";
import { dag, task } from "@poekhali/core";

export const hello = dag(
  { id: "hello_v2", schedule: null, tags: ["e2e"], params: z.object({ name: z.string().default("world") }) },
  ({ params }) => {
    task({ taskId: "greet" }, ({ name }: { name: string }, context) => {
      context.log.info(\`hello, \${name}\`);
      return \`hello, \${name}\`;
    }, { name: params.name });
  },
);
`;

/** Calls the app as airflowctl does: JSON bodies, a bearer token, and the answer checked against the v2 schema. */
async function call<S extends z.ZodType>(
  app: AppUnderTest,
  token: string,
  schema: S,
  method: string,
  path: string,
  body?: unknown,
  status = 200,
): Promise<z.output<S>> {
  const res = await withToken(app, token, method, path, body);
  expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBe(
    status,
  );
  if (status >= 400) expect(res.type).toBe("application/json");
  return schema.parse(res.body);
}

describe("/api/v2 of a running `poekhali up`, as Airflow 3's clients use it", () => {
  // Inside the repository, so that the DAG files' imports resolve from its node_modules.
  const work = mkdtempSync(join(ROOT, "e2e", ".work-"));
  const dags = join(work, "dags");
  const home = join(work, "home");
  mkdirSync(dags, { recursive: true });
  writeFileSync(join(dags, "hello.ts"), HELLO);
  writeFileSync(
    join(dags, "broken.ts"),
    'throw new Error("broken on purpose");\n',
  );
  const env = {
    POEKHALI_DAGS_FOLDER: dags,
    POEKHALI_HOME: home,
    POEKHALI_AUTH_PASSWORD: "e2e-secret",
  };
  let app: AppUnderTest | undefined;
  afterAll(async () => {
    await app?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  const login = async (a: AppUnderTest) => {
    // airflowctl's `auth login` path.
    const res = await fetch(`${a.url}/auth/token/cli`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "admin", password: "e2e-secret" }),
    });
    expect(res.status).toBe(201);
    return v2.LoginResponse.parse(await res.json()).access_token;
  };

  it("lists DAGs and import errors, keeps a pause across a restart, refuses a paused trigger, then runs and reads a run", async () => {
    app = await startApp(env);
    const open = await fetch(`${app.url}/api/v2/version`);
    v2.VersionInfo.parse(await open.json());
    const anonymous = await fetch(`${app.url}/api/v2/dags`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toEqual({ detail: "Not authenticated" });

    let token = await login(app);
    const list = await call(
      app,
      token,
      v2.DAGCollectionResponse,
      "GET",
      "/api/v2/dags",
    );
    expect(
      list.dags.map((d) => [d.dag_id, d.fileloc, d.relative_fileloc]),
    ).toEqual([["hello_v2", join(dags, "hello.ts"), "hello.ts"]]);
    const errors = await call(
      app,
      token,
      v2.ImportErrorCollectionResponse,
      "GET",
      "/api/v2/importErrors",
    );
    expect(errors.import_errors.map((e) => e.filename)).toEqual([
      join(dags, "broken.ts"),
    ]);
    expect(errors.import_errors[0]?.stack_trace).toContain("broken on purpose");

    await call(app, token, v2.DAGResponse, "PATCH", "/api/v2/dags/hello_v2", {
      is_paused: true,
    });
    await app.stop();
    app = await startApp(env);
    // The token outlives the restart (its secret is kept in POEKHALI_HOME); the pause does too.
    const paused = await call(
      app,
      token,
      v2.DAGResponse,
      "GET",
      "/api/v2/dags/hello_v2",
    );
    expect(paused.is_paused).toBe(true);
    const refused = await call(
      app,
      token,
      v2.HTTPExceptionResponse,
      "POST",
      "/api/v2/dags/hello_v2/dagRuns",
      { conf: {} },
      409,
    );
    expect(refused.detail).toMatch(/paused/);
    await call(
      app,
      token,
      v2.DAGResponse,
      "PATCH",
      "/api/v2/dags/hello_v2?update_mask=is_paused",
      { is_paused: false },
    );

    token = await login(app);
    // airflowctl's `dags trigger` sends every key of the body, nulls included.
    const run = await call(
      app,
      token,
      v2.DAGRunResponse,
      "POST",
      "/api/v2/dags/hello_v2/dagRuns",
      {
        dag_run_id: null,
        data_interval_start: null,
        data_interval_end: null,
        logical_date: null,
        run_after: null,
        conf: { name: "airflow" },
        note: "from e2e",
        partition_key: null,
      },
    );
    expect(run).toMatchObject({
      state: "queued",
      triggering_user_name: "admin",
      logical_date: null,
    });
    const path = `/api/v2/dags/hello_v2/dagRuns/${run.dag_run_id}`;
    await eventually(
      "the run to succeed",
      async () =>
        (await call(app!, token, v2.DAGRunResponse, "GET", path)).state ===
          "success" || undefined,
    );
    const tis = await call(
      app,
      token,
      v2.TaskInstanceCollectionResponse,
      "GET",
      `${path}/taskInstances`,
    );
    expect(tis.task_instances.map((ti) => [ti.task_id, ti.state])).toEqual([
      ["greet", "success"],
    ]);
    const log = await call(
      app,
      token,
      v2.TaskInstancesLogResponse,
      "GET",
      `${path}/taskInstances/greet/logs/1`,
    );
    expect(log.content).toContainEqual(
      expect.objectContaining({ event: "hello, airflow", level: "info" }),
    );
    const xcom = await call(
      app,
      token,
      v2.XComResponseNative,
      "GET",
      `${path}/taskInstances/greet/xcomEntries/return_value`,
    );
    expect(xcom.value).toBe("hello, airflow");
    const runs = await call(
      app,
      token,
      v2.DAGRunCollectionResponse,
      "GET",
      "/api/v2/dags/~/dagRuns",
    );
    expect(runs.total_entries).toBe(1);
  });
});
