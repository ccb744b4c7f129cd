import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { alive, eventually, startApp, type AppUnderTest } from "./harness.js";
import { runState, trigger } from "./sandbox.js";

const ROOT = new URL("..", import.meta.url).pathname;

describe("a worker killed in the middle of a step", () => {
  // Inside the repository, so that the DAG file's imports resolve from its node_modules.
  const work = mkdtempSync(join(ROOT, "e2e", ".work-"));
  const ledger = join(work, "ledger.txt");
  const go = join(work, "go");
  let app: AppUnderTest | undefined;
  afterAll(async () => {
    await app?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it("runs the interrupted step again and none of the steps before it", async () => {
    mkdirSync(join(work, "dags"));
    const template = readFileSync(
      join(ROOT, "e2e/fixtures/mid-step-dag.ts.txt"),
      "utf8",
    );
    writeFileSync(
      join(work, "dags", "mid_step.ts"),
      template
        .replaceAll('"LEDGER"', JSON.stringify(ledger))
        .replaceAll('"GO"', JSON.stringify(go)),
    );
    app = await startApp({ POEKHALI_DAGS_FOLDER: join(work, "dags") });
    const lines = () =>
      existsSync(ledger) ? readFileSync(ledger, "utf8").trim().split("\n") : [];

    expect(await trigger(app, { dag_run_id: "m1" }, "mid_step")).toBe("m1");
    await eventually("the slow step to start", () =>
      lines().includes("slow started"),
    );
    const killed = app.pids().worker;
    process.kill(killed, "SIGKILL");
    await eventually("a new worker", () => {
      const pid = app!.pids().worker;
      return pid !== killed && alive(pid);
    });
    await eventually(
      "the slow step to start again",
      () => lines().filter((l) => l === "slow started").length === 2,
      60_000,
    );
    writeFileSync(go, "");
    expect(await runState(app, "m1", ["success", "failed"], "mid_step")).toBe(
      "success",
    );
    expect(lines()).toEqual([
      "first",
      "slow started",
      "slow started",
      "slow finished",
    ]);
  });
});
