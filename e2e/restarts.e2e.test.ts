import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  alive,
  eventually,
  fixedPorts,
  killWholeStart,
  startApp,
  type AppUnderTest,
} from "./harness.js";
import { cli } from "./cli-process.js";
import { runState, sandboxOf, taskStates, trigger } from "./sandbox.js";

const ANNA = { id: 1001, username: "anna", first_name: "Анна" };
const BORIS = { id: 1002, first_name: "Борис" };
const VERA = { id: 1003, username: "vera_k", first_name: "Вера" };

const homes: string[] = [];
const apps: AppUnderTest[] = [];

function home(): string {
  const dir = mkdtempSync(join(tmpdir(), "poekhali-restarts-"));
  homes.push(dir);
  return dir;
}

async function start(env: Record<string, string>): Promise<AppUnderTest> {
  const app = await startApp(env);
  apps.push(app);
  return app;
}

/** Runs `poekhali up` that is expected to refuse to start, and returns its exit code and output. */
async function runToExit(
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  const { code, out, err } = await cli(["up"], env);
  return { code, output: out + err };
}

/** Triggers a run and waits until it is parked on the press, returning the message with its button. */
async function parkedRun(app: AppUnderTest, runId: string) {
  const sandbox = await sandboxOf(app);
  await trigger(app, {
    dag_run_id: runId,
    conf: { text: `Готовы? (${runId})` },
  });
  await eventually(`${runId} to wait for a press`, async () => {
    const tasks = await taskStates(app, runId);
    return tasks.wait_for_press?.state === "deferred";
  });
  return sandbox.messageWithButton(`Готовы? (${runId})`);
}

/** Presses a message's button and waits until the press is answered and the run done. */
async function pressAndFinish(
  app: AppUnderTest,
  runId: string,
  messageId: number,
  from: { id: number; username?: string; first_name: string },
) {
  const sandbox = await sandboxOf(app);
  const press = await sandbox.press(messageId, from);
  expect(press.status).toBe(200);
  // Not yet answered is null; eventually waits on undefined.
  const answer = await eventually(
    `the press on ${runId} to be answered`,
    async () =>
      (await sandbox.callbackAnswer(press.body.callback_query_id)) ?? undefined,
  );
  expect(answer.text).toBeTruthy();
  expect(await runState(app, runId, ["success", "failed"])).toBe("success");
  return press.body;
}

afterEach(async () => {
  for (const app of apps.splice(0)) await app.stop("SIGINT", { group: true });
  for (const dir of homes.splice(0))
    rmSync(dir, { recursive: true, force: true });
});

describe("poekhali up across restarts", () => {
  it("keeps the sandbox's chat and table on its home, and the first press after a restart works like the first", async () => {
    const env = { POEKHALI_HOME: home() };
    const first = await start(env);
    const m1 = await parkedRun(first, "before_restart");
    const p1 = await pressAndFinish(
      first,
      "before_restart",
      m1.message_id,
      ANNA,
    );
    // A second run stays waiting across the restart.
    const m2 = await parkedRun(first, "across_restart");
    const before = await sandboxOf(first);
    const rowsBefore = await before.rows();
    expect(rowsBefore.map((r) => r.fields.username)).toEqual(["anna"]);
    expect(await first.stop("SIGINT", { group: true })).toBe(0);

    const second = await start(env);
    const sandbox = await sandboxOf(second);
    // The same addresses: a chat page left open goes on working.
    expect(sandbox.info).toEqual(before.info);
    const shown = await sandbox.messages();
    expect(shown.map((m) => [m.message_id, m.text, !!m.reply_markup])).toEqual([
      [m1.message_id, m1.text, false],
      [m2.message_id, m2.text, true],
    ]);
    expect(await sandbox.rows()).toEqual(rowsBefore);

    // The run that waited across the restart finishes when pressed.
    const p2 = await pressAndFinish(
      second,
      "across_restart",
      m2.message_id,
      BORIS,
    );
    expect(p2.update_id).toBeGreaterThan(p1.update_id);
    // And a new run is answered like the first run was.
    const m3 = await parkedRun(second, "after_restart");
    expect(m3.message_id).toBeGreaterThan(m2.message_id);
    await pressAndFinish(second, "after_restart", m3.message_id, VERA);
    expect((await sandbox.rows()).map((r) => r.fields.username)).toEqual([
      "anna",
      "Борис",
      "vera_k",
    ]);
  });

  it("answers the first press of a fresh sandbox on a home whose Restate remembers an earlier one", async () => {
    // As a home made before the sandbox kept its state, or after its sandbox/ was deleted.
    const env = { POEKHALI_HOME: home() };
    const first = await start(env);
    const m1 = await parkedRun(first, "old_sandbox");
    await pressAndFinish(first, "old_sandbox", m1.message_id, ANNA);
    expect(await first.stop("SIGINT", { group: true })).toBe(0);
    rmSync(join(env.POEKHALI_HOME, "sandbox"), { recursive: true });

    const second = await start(env);
    const m2 = await parkedRun(second, "fresh_sandbox");
    await pressAndFinish(second, "fresh_sandbox", m2.message_id, BORIS);
    expect(
      (await (await sandboxOf(second)).rows()).map((r) => r.fields.username),
    ).toEqual(["Борис"]);
  });

  it("starts healthy on the same home and ports after a SIGKILL of the whole process group, and the waiting run finishes", async () => {
    const env = { POEKHALI_HOME: home(), ...(await fixedPorts()) };
    const first = await start(env);
    const pids = first.pids();
    const message = await parkedRun(first, "killed_while_waiting");
    // As the OOM killer or `kill -9 -<pgid>` would. restate-server is in a process group of its own; its watchdog
    // stops it, with nobody else's help.
    expect(await killWholeStart(first)).toBe(null);

    const second = await start(env);
    expect(second.url).toBe(first.url);
    await pressAndFinish(
      second,
      "killed_while_waiting",
      message.message_id,
      ANNA,
    );
    expect(second.output()).not.toMatch(/address in use/i);
    for (const [name, pid] of Object.entries(pids))
      expect(alive(pid), `${name} (pid ${pid}) of the first start`).toBe(false);
  });

  it("stops a restate-server an earlier start left behind, says so, and starts on the same ports", async () => {
    const env = { POEKHALI_HOME: home(), ...(await fixedPorts()) };
    const first = await start(env);
    const pids = first.pids();
    const message = await parkedRun(first, "orphaned_server");
    // The worst case: the app and restate-server's watchdog both killed, restate-server left running.
    process.kill(pids.watchdog, "SIGKILL");
    expect(await first.stop("SIGKILL", { group: true })).toBe(null);
    expect(alive(pids.restate)).toBe(true);

    const second = await start(env);
    expect(second.output()).toContain(
      `stopped what an earlier start on ${env.POEKHALI_HOME} left running: restate-server (pid ${pids.restate})`,
    );
    expect(alive(pids.restate)).toBe(false);
    await pressAndFinish(second, "orphaned_server", message.message_id, BORIS);
  });

  it("refuses to start beside a running start of the same home", async () => {
    const env = { POEKHALI_HOME: home() };
    const first = await start(env);
    const { code, output } = await runToExit(env);
    expect(code).toBe(1);
    expect(output).toContain(
      `poekhali is already running on ${env.POEKHALI_HOME} (pid ${first.pids().app})`,
    );
    expect(output).not.toContain("poekhali is up");
    expect((await first.json("/healthz")).status).toBe(200);
  });

  it("refuses to start while a port of restate-server is taken, naming it, and never says it is up", async () => {
    const env: Record<string, string> = {
      POEKHALI_HOME: home(),
      ...(await fixedPorts()),
    };
    const adminPort = Number(env.POEKHALI_RESTATE_ADMIN_PORT);
    const squatter = createServer();
    await new Promise<void>((resolve) =>
      squatter.listen(adminPort, "127.0.0.1", resolve),
    );
    try {
      const { code, output } = await runToExit(env);
      expect(code).toBe(1);
      expect(output).toContain(
        `restate-server's admin port 127.0.0.1:${adminPort} is in use by another program`,
      );
      expect(output).not.toContain("poekhali is up");
    } finally {
      squatter.close();
    }
  });

  it("stops cleanly on SIGHUP, as when its terminal closes, leaving no process behind", async () => {
    const app = await start({ POEKHALI_HOME: home() });
    const pids = app.pids();
    expect(await app.stop("SIGHUP", { group: true })).toBe(0);
    expect(app.output()).toContain("[app] SIGHUP: stopping");
    await eventually(
      "every process of the app to exit",
      () => !Object.values(pids).some(alive),
      15_000,
    );
  });
});
