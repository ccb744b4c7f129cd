import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { TaskInstancesLogResponse } from "../packages/poekhali/src/api/v2/airflow-v2-contract.js";
import { eventually, startApp, type AppUnderTest } from "./harness.js";
import { runState, taskStates, trigger } from "./sandbox.js";
import { v2Get } from "./v2-answer.js";

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
  const tasks = (a: AppUnderTest, id: string) =>
    taskStates(a, id, "code_change");
  /** The messages of the first try's log of `answer`. */
  const log = async (a: AppUnderTest, id: string) =>
    (
      await v2Get(
        a,
        `/api/v2/dags/code_change/dagRuns/${id}/taskInstances/answer/logs/1`,
        TaskInstancesLogResponse,
      )
    ).content.map((m) => (typeof m === "string" ? m : m.event));

  it("finishes the parked run on the code it started with, and new runs on the new code", async () => {
    writeDag(dags, "v1");
    app = await startApp(env);
    expect(
      await trigger(
        app,
        { dag_run_id: "old", conf: { flag: join(work, "old.flag") } },
        "code_change",
      ),
    ).toBe("old");
    await eventually(
      "the old run to poke",
      async () => (await tasks(app!, "old")).wait_file?.state === "running",
    );
    await app.stop();
    app = undefined;

    writeDag(dags, "v2");
    app = await startApp(env);
    expect(
      await trigger(
        app,
        { dag_run_id: "new", conf: { flag: join(work, "new.flag") } },
        "code_change",
      ),
    ).toBe("new");
    writeFileSync(join(work, "old.flag"), "");
    writeFileSync(join(work, "new.flag"), "");
    for (const id of ["old", "new"])
      expect(
        await runState(app, id, ["success", "failed"], "code_change"),
      ).toBe("success");

    expect(Object.keys(await tasks(app, "old"))).toEqual([
      "wait_file",
      "answer",
    ]);
    expect(Object.keys(await tasks(app, "new"))).toEqual([
      "wait_file",
      "extra",
      "answer",
    ]);
    expect(await log(app, "old")).toContain("answered v1");
    expect(await log(app, "new")).toContain("answered v2");
  });
});
