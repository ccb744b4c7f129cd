import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import openapiTS, { astToString, type OpenAPI3 } from "openapi-typescript";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, startApp, type AppUnderTest } from "./harness.js";

const ROOT = new URL("..", import.meta.url).pathname;
const SOURCES = join(ROOT, "e2e", "typed-client");
const CLIENTS = ["client.ts", "wrong-client.ts"];

const DAG = `import { z } from "zod";
import { dag, task } from "@poekhali/core";

export const typed = dag(
  { id: "typed_client", schedule: null, tags: ["e2e"], params: z.object({ name: z.string().default("world") }) },
  ({ params }) => {
    const greet = task({ taskId: "greet" }, ({ name }: { name: string }, context) => {
      context.log.info(\`hello, \${name}\`);
      return { greeting: \`hello, \${name}\` };
    }, { name: params.name });
    task({ taskId: "shout" }, ({ g }: { g: { greeting: string } }) => g.greeting.toUpperCase(), { g: greet.output });
  },
);
`;

/** What the test uses of `e2e/typed-client/client.ts`, loaded from the copy that was type-checked. */
interface TypedClient {
  login(username: string, password: string): Promise<void>;
  listDags(): Promise<{ id: string; paused: boolean }[]>;
  setPaused(dagId: string, paused: boolean): Promise<{ is_paused: boolean }>;
  trigger(
    dagId: string,
    conf: Record<string, unknown>,
    note?: string,
  ): Promise<{ dag_run_id: string; state: string; note?: string | null }>;
  waitForRun(
    dagId: string,
    runId: string,
    timeoutMs: number,
  ): Promise<{ state: string }>;
  taskInstances(
    dagId: string,
    runId: string,
  ): Promise<{ taskId: string; state: string | null; tryNumber: number }[]>;
  log(
    dagId: string,
    runId: string,
    taskId: string,
    tryNumber: number,
  ): Promise<string[]>;
  xcomKeys(dagId: string, runId: string, taskId: string): Promise<string[]>;
  xcom(
    dagId: string,
    runId: string,
    taskId: string,
    key: string,
  ): Promise<unknown>;
  clearTask(
    dagId: string,
    runId: string,
    taskId: string,
    options: { dryRun: boolean },
  ): Promise<{ task_id: string; dag_run_id: string; state?: string | null }[]>;
}

/** Type errors of the program, per file name, as `line: message`. */
function typeErrors(dir: string): Map<string, string[]> {
  const config = ts.getParsedCommandLineOfConfigFile(
    join(dir, "tsconfig.json"),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n"));
      },
    },
  );
  if (!config) throw new Error("the temporary tsconfig.json did not parse");
  const program = ts.createProgram(config.fileNames, config.options);
  const errors = new Map<string, string[]>();
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const name = d.file ? d.file.fileName.slice(dir.length + 1) : "(global)";
    const line =
      d.file && d.start !== undefined
        ? d.file.getLineAndCharacterOfPosition(d.start).line + 1
        : 0;
    errors.set(name, [
      ...(errors.get(name) ?? []),
      `${line}: ${ts.flattenDiagnosticMessageText(d.messageText, " ")}`,
    ]);
  }
  return errors;
}

describe("a client typed by openapi-typescript from the app's /api/v2/openapi.json", () => {
  // Inside the repository, so that the DAG file and the clients resolve zod, @poekhali/core and openapi-fetch.
  const work = mkdtempSync(join(ROOT, "e2e", ".work-typed-"));
  const dags = join(work, "dags");
  const typed = join(work, "client");
  mkdirSync(dags, { recursive: true });
  mkdirSync(typed, { recursive: true });
  writeFileSync(join(dags, "typed.ts"), DAG);
  let app: AppUnderTest;

  beforeAll(async () => {
    app = await startApp({
      POEKHALI_DAGS_FOLDER: dags,
      POEKHALI_AUTH_PASSWORD: "typed-secret",
    });
  });
  afterAll(async () => {
    await app?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it("type-checks the client against types generated from the served document, and refuses a wrong one line by line", async () => {
    // The document is open to all, as Airflow's own: no token asked for, even with a password set.
    const res = await fetch(`${app.url}/api/v2/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as OpenAPI3;
    expect(doc.openapi).toBe("3.1.0");
    // Also where Airflow's API server serves its document.
    const root = await fetch(`${app.url}/openapi.json`);
    expect(await root.json()).toEqual(doc);
    // Generated from the object, so openapi-typescript fetches nothing. Request bodies' defaults stay optional.
    const types = astToString(
      await openapiTS(doc, { defaultNonNullable: false, silent: true }),
    );
    writeFileSync(join(typed, "v2.d.ts"), types);
    for (const file of CLIENTS)
      copyFileSync(join(SOURCES, file), join(typed, file));
    writeFileSync(
      join(typed, "tsconfig.json"),
      JSON.stringify({
        extends: join(ROOT, "tsconfig.base.json"),
        compilerOptions: { noEmit: true, lib: ["ES2023", "DOM"] },
        files: CLIENTS,
      }),
    );

    const errors = typeErrors(typed);
    expect(errors.get("client.ts") ?? []).toEqual([]);
    const wrong = errors.get("wrong-client.ts") ?? [];
    const marked = readFileSync(join(SOURCES, "wrong-client.ts"), "utf8")
      .split("\n")
      .flatMap((line, i) => (line.includes("// wrong:") ? [i + 1] : []));
    expect(marked.length).toBeGreaterThan(4);
    const failing = [...new Set(wrong.map((e) => Number(e.split(":")[0])))];
    expect(
      failing.sort((a, b) => a - b),
      wrong.join("\n"),
    ).toEqual(marked);
    expect([...errors.keys()].sort()).toEqual(["wrong-client.ts"]);
  });

  it("drives a DAG with that client: lists, pauses, triggers, waits, reads task instances, logs and XComs, clears", async () => {
    // The very file that was type-checked above.
    const module = (await import(
      pathToFileURL(join(typed, "client.ts")).href
    )) as { airflowClient(baseUrl: string): TypedClient };
    const client = module.airflowClient(app.url);
    await client.login("admin", "typed-secret");

    expect(await client.listDags()).toEqual([
      { id: "typed_client", paused: false },
    ]);
    expect((await client.setPaused("typed_client", true)).is_paused).toBe(true);
    expect(await client.listDags()).toEqual([
      { id: "typed_client", paused: true },
    ]);
    // A paused DAG refuses a run: the client sees the typed error body.
    await expect(
      client.trigger("typed_client", { name: "typed" }),
    ).rejects.toMatchObject({
      status: 409,
      detail: expect.stringContaining("paused"),
    });
    expect((await client.setPaused("typed_client", false)).is_paused).toBe(
      false,
    );

    const run = await client.trigger(
      "typed_client",
      { name: "typed" },
      "from the typed client",
    );
    expect(run).toMatchObject({
      state: "queued",
      note: "from the typed client",
    });
    expect(run.dag_run_id).toMatch(/^manual__/);
    const done = await client.waitForRun(
      "typed_client",
      run.dag_run_id,
      60_000,
    );
    expect(done.state).toBe("success");

    expect(await client.taskInstances("typed_client", run.dag_run_id)).toEqual([
      { taskId: "greet", state: "success", tryNumber: 1 },
      { taskId: "shout", state: "success", tryNumber: 1 },
    ]);
    expect(
      await client.log("typed_client", run.dag_run_id, "greet", 1),
    ).toContain("hello, typed");
    expect(
      await client.xcomKeys("typed_client", run.dag_run_id, "greet"),
    ).toEqual(["return_value"]);
    expect(
      await client.xcom(
        "typed_client",
        run.dag_run_id,
        "greet",
        "return_value",
      ),
    ).toEqual({ greeting: "hello, typed" });
    expect(
      await client.xcom(
        "typed_client",
        run.dag_run_id,
        "shout",
        "return_value",
      ),
    ).toBe("HELLO, TYPED");

    // A dry run (Airflow's default) lists what a clear would reset and changes nothing.
    const wouldClear = await client.clearTask(
      "typed_client",
      run.dag_run_id,
      "greet",
      { dryRun: true },
    );
    expect(
      wouldClear.map((ti) => [ti.task_id, ti.dag_run_id, ti.state]),
    ).toEqual([["greet", run.dag_run_id, "success"]]);
    expect(
      (await client.waitForRun("typed_client", run.dag_run_id, 1_000)).state,
    ).toBe("success");

    // The clear itself: greet (and nothing downstream, not asked for) runs its second try.
    const cleared = await client.clearTask(
      "typed_client",
      run.dag_run_id,
      "greet",
      { dryRun: false },
    );
    // Listed as they are when the answer is made: the run may already have run greet again.
    expect(cleared.map((ti) => ti.task_id)).toEqual(["greet"]);
    await eventually("the cleared run to end again", async () => {
      const tis = await client.taskInstances("typed_client", run.dag_run_id);
      const greet = tis.find((ti) => ti.taskId === "greet");
      return greet?.state === "success" && greet.tryNumber === 2
        ? true
        : undefined;
    });
    expect(
      (await client.waitForRun("typed_client", run.dag_run_id, 30_000)).state,
    ).toBe("success");
  });
});
