import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli } from "./cli-process.js";
import type { z } from "zod";
import * as v2 from "../packages/poekhali/src/api/v2/airflow-v2-contract.js";
import { eventually, startApp, type AppUnderTest } from "./harness.js";
import { withToken } from "./v2-answer.js";

const ROOT = new URL("..", import.meta.url).pathname;
const PASSWORD = "e2e-variables-secret";
const SECRET_VALUE = "hunter2-do-not-log";

// A DAG file for Airflow's TypeScript SDK that reads and writes Variables through getClient().
const VARIABLES_DAG = `import { Dag, getClient } from "@apache-airflow/ts-sdk";

const dag = new Dag("variables_roundtrip");

const read = dag.task("read", async () => {
  const client = getClient();
  return {
    region: await client.getVariable("vars_region"),
    limit: await client.getVariable("vars_limit"),
    secret: await client.getVariable("db_password"),
    missing: await client.getVariable("vars_missing"),
  };
});

const write = dag.task("write", async () => {
  const client = getClient();
  await client.setVariable("vars_written", "by a task", "set from a task");
  await client.deleteVariable("vars_doomed");
  await client.deleteVariable("vars_never_was");
  return await client.getVariableOrThrow("vars_written");
});

write().after(read());
`;

describe("Airflow Variables: the CLI and the API set them, tasks read and write them", () => {
  // Inside the repository, so that the DAG file resolves the SDK's specifier as a project's would.
  const work = mkdtempSync(join(ROOT, "e2e", ".work-"));
  const dags = join(work, "dags");
  mkdirSync(dags, { recursive: true });
  writeFileSync(join(dags, "variables.ts"), VARIABLES_DAG);
  let app: AppUnderTest;
  let env: Record<string, string>;
  let token: string;

  beforeAll(async () => {
    app = await startApp({
      POEKHALI_DAGS_FOLDER: dags,
      POEKHALI_HOME: join(work, "home"),
      POEKHALI_AUTH_PASSWORD: PASSWORD,
      // Airflow reads the environment before its store: this one wins over the stored "south".
      AIRFLOW_VAR_VARS_REGION: "north",
    });
    env = { POEKHALI_URL: app.url, POEKHALI_AUTH_PASSWORD: PASSWORD };
    const login = await fetch(`${app.url}/auth/token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "admin", password: PASSWORD }),
    });
    token = v2.LoginResponse.parse(await login.json()).access_token;
  });
  afterAll(async () => {
    await app?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  const api = async <S extends z.ZodType>(
    schema: S,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<z.output<S>> => {
    const res = await withToken(app, token, method, path, body);
    expect(
      res.status,
      `${method} ${path}: ${JSON.stringify(res.body)}`,
    ).toBeLessThan(300);
    return schema.parse(res.body);
  };

  it("sets, gets, lists and deletes with `poekhali variables`, as `airflow variables` does", async () => {
    for (const [key, value] of [
      ["vars_region", "south"],
      ["vars_limit", "42"],
      ["vars_doomed", "soon gone"],
      ["db_password", SECRET_VALUE],
    ] as const) {
      const set = await cli(["variables", "set", key, value], env);
      expect(set.err).toBe("");
      expect(set.out.trim()).toBe(`Variable ${key} created`);
    }
    // Setting again replaces the value and the description (an upsert).
    const json = await cli(
      [
        "variables",
        "set",
        "vars_config",
        '{"rows": 10}',
        "-j",
        "--description",
        "how much",
      ],
      env,
    );
    expect(json.code).toBe(0);
    const again = await cli(
      ["variables", "set", "vars_config", '{"rows": 12}', "-j"],
      env,
    );
    expect(again.code).toBe(0);
    const config = await cli(["variables", "get", "vars_config", "-j"], env);
    expect(JSON.parse(config.out)).toEqual({ rows: 12 });

    const list = await cli(["variables", "list", "-o", "json"], env);
    expect(list.code).toBe(0);
    expect(JSON.parse(list.out)).toEqual([
      { key: "db_password", description: null },
      { key: "vars_config", description: null },
      { key: "vars_doomed", description: null },
      { key: "vars_limit", description: null },
      { key: "vars_region", description: null },
    ]);
    const table = await cli(["variables", "list"], env);
    expect(table.out).toMatch(/^vars_limit\s/m);

    expect((await cli(["variables", "get", "vars_limit"], env)).out).toBe(
      "42\n",
    );
    // Through the API, a secret's value is masked, as Airflow's API masks it.
    expect((await cli(["variables", "get", "db_password"], env)).out).toBe(
      "***\n",
    );
    const missing = await cli(["variables", "get", "vars_nope"], env);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain(
      "The Variable with key: `vars_nope` was not found",
    );
    const fallback = await cli(
      ["variables", "get", "vars_nope", "-d", "plan b"],
      env,
    );
    expect(fallback).toMatchObject({ code: 0, out: "plan b\n" });
    const usage = await cli(["variables", "set", "only_a_key"], env);
    expect(usage.code).toBe(2);
    expect(usage.err).toContain("needs <key> and one <value>");
  });

  it("lets a task read AIRFLOW_VAR_<KEY> before the store, and write and delete stored Variables", async () => {
    const run = await api(
      v2.DAGRunResponse,
      "POST",
      "/api/v2/dags/variables_roundtrip/dagRuns",
      { logical_date: null },
    );
    const path = `/api/v2/dags/variables_roundtrip/dagRuns/${run.dag_run_id}`;
    const state = await eventually(
      "the run to end",
      async () => {
        const { state } = await api(v2.DAGRunResponse, "GET", path);
        return state === "success" || state === "failed" ? state : undefined;
      },
      60_000,
    );
    expect(state).toBe("success");
    const read = await api(
      v2.XComResponseNative,
      "GET",
      `${path}/taskInstances/read/xcomEntries/return_value`,
    );
    expect(read.value).toEqual({
      region: "north",
      limit: "42",
      secret: SECRET_VALUE,
      missing: null,
    });
    const written = await api(
      v2.XComResponseNative,
      "GET",
      `${path}/taskInstances/write/xcomEntries/return_value`,
    );
    expect(written.value).toBe("by a task");

    // What the task wrote is seen over the API and by the CLI; what it deleted is gone.
    expect(
      await api(v2.VariableResponse, "GET", "/api/v2/variables/vars_written"),
    ).toEqual({
      key: "vars_written",
      value: "by a task",
      description: "set from a task",
      is_encrypted: false,
      team_name: null,
    });
    const keys = JSON.parse(
      (await cli(["variables", "list", "--json"], env)).out,
    ) as { key: string }[];
    expect(keys.map((k) => k.key)).toContain("vars_written");
    expect(keys.map((k) => k.key)).not.toContain("vars_doomed");

    const deleted = await cli(["variables", "delete", "vars_written"], env);
    expect(deleted).toMatchObject({
      code: 0,
      out: "Variable vars_written deleted\n",
    });
    const twice = await cli(["variables", "delete", "vars_written"], env);
    expect(twice.code).toBe(1);
    expect(twice.err).toContain("was not found");

    // No value of a Variable reached the app's output (its log), the secret least of all.
    expect(app.output()).not.toContain(SECRET_VALUE);
    expect(app.output()).not.toContain("by a task");
  });
});
