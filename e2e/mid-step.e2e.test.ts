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
import {
  alive,
  eventually,
  postJson,
  startApp,
  type AppUnderTest,
} from "./harness.js";

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

    expect(
      (
        await postJson(`${app.url}/api/v1/dags/mid_step/dagRuns`, {
          dag_run_id: "m1",
        })
      ).status,
    ).toBe(200);
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
    await eventually(
      "the run to succeed",
      async () =>
        (await app!.json<{ state: string }>("/api/v1/dags/mid_step/dagRuns/m1"))
          .body.state === "success",
      60_000,
    );
    expect(lines()).toEqual([
      "first",
      "slow started",
      "slow started",
      "slow finished",
    ]);
  });
});
