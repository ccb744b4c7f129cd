import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  eventually,
  postJson,
  startApp,
  type AppUnderTest,
} from "./harness.js";

const ROOT = new URL("..", import.meta.url).pathname;
const TEMPLATE = readFileSync(
  join(ROOT, "e2e/fixtures/code-change-dag.ts.txt"),
  "utf8",
);

/** Writes the fixture DAG as version `v`; v2 adds a task, which changes the journal a run writes. */
function writeDag(folder: string, version: "v1" | "v2"): void {
  const extra =
    version === "v2"
      ? 'task({ taskId: "extra" }, () => 1, {}).after(waited);'
      : "";
  writeFileSync(
    join(folder, "code_change.ts"),
    TEMPLATE.replaceAll("VERSION", version).replace("EXTRA_TASK", extra),
  );
}

describe("changing a DAG's code while a run is parked", () => {
  // Inside the repository, so that the DAG files' imports resolve from its node_modules.
  const work = mkdtempSync(join(ROOT, "e2e", ".work-"));
  const dags = join(work, "dags");
  const home = join(work, "home");
  mkdirSync(dags, { recursive: true });
  let app: AppUnderTest | undefined;
  afterAll(async () => {
    await app?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  const env = { POEKHALI_DAGS_FOLDER: dags, POEKHALI_HOME: home };
  const run = (a: AppUnderTest, id: string) =>
    a.json<{ state: string }>(`/api/v1/dags/code_change/dagRuns/${id}`);
  const tasks = async (a: AppUnderTest, id: string) =>
    (
      await a.json<{ task_instances: { task_id: string; state: string }[] }>(
        `/api/v1/dags/code_change/dagRuns/${id}/taskInstances`,
      )
    ).body.task_instances;
  const log = async (a: AppUnderTest, id: string) =>
    (
      await fetch(
        `${a.url}/api/v1/dags/code_change/dagRuns/${id}/taskInstances/answer/logs/1`,
      )
    ).text();

  it("finishes the parked run on the code it started with, and new runs on the new code", async () => {
    writeDag(dags, "v1");
    app = await startApp(env);
    expect(
      (
        await postJson(`${app.url}/api/v1/dags/code_change/dagRuns`, {
          dag_run_id: "old",
          conf: { flag: join(work, "old.flag") },
        })
      ).status,
    ).toBe(200);
    await eventually(
      "the old run to poke",
      async () =>
        (await tasks(app!, "old")).find((t) => t.task_id === "wait_file")
          ?.state === "running",
    );
    await app.stop();
    app = undefined;

    writeDag(dags, "v2");
    app = await startApp(env);
    expect(
      (
        await postJson(`${app.url}/api/v1/dags/code_change/dagRuns`, {
          dag_run_id: "new",
          conf: { flag: join(work, "new.flag") },
        })
      ).status,
    ).toBe(200);
    writeFileSync(join(work, "old.flag"), "");
    writeFileSync(join(work, "new.flag"), "");
    for (const id of ["old", "new"])
      await eventually(
        `run ${id} to succeed`,
        async () => (await run(app!, id)).body.state === "success",
        60_000,
      );

    expect((await tasks(app, "old")).map((t) => t.task_id)).toEqual([
      "wait_file",
      "answer",
    ]);
    expect((await tasks(app, "new")).map((t) => t.task_id)).toEqual([
      "wait_file",
      "extra",
      "answer",
    ]);
    expect(await log(app, "old")).toContain("answered v1");
    expect(await log(app, "new")).toContain("answered v2");
  });
});
