import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startSandbox } from "@poekhali/emulators";
import { describe, expect, it } from "vitest";
import { alive, eventually, startApp } from "./harness.js";
import { runState, sandboxOf, trigger } from "./sandbox.js";
import { sandboxEnv } from "../packages/poekhali/src/sandbox-env.js";

const ROOT = new URL("..", import.meta.url).pathname;

/** Runs `poekhali up` to its end and returns its exit code and output. */
function runToExit(
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [join(ROOT, "packages/poekhali/bin/poekhali.js"), "up"],
      {
        cwd: mkdtempSync(join(tmpdir(), "poekhali-cwd-")),
        env: {
          PATH: process.env.PATH ?? "",
          POEKHALI_DAGS_FOLDER: join(ROOT, "dags"),
          ...env,
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.once("exit", (code) => resolve({ code, output }));
  });
}

describe("poekhali up", () => {
  it("leaves no restate-server or worker process behind after Ctrl-C", async () => {
    const app = await startApp();
    const pids = app.pids();
    expect([pids.app, pids.restate, pids.worker].every(alive)).toBe(true);
    // As a terminal does: SIGINT to the app's whole process group.
    expect(await app.stop("SIGINT", { group: true })).toBe(0);
    await eventually(
      "every child to exit",
      () => ![pids.restate, pids.worker].some(alive),
      15_000,
    );
    expect(app.output()).not.toContain("restarting");
    expect(app.output()).not.toContain("stopped on its own");
  });

  it("leaves no child process behind after SIGTERM to the app alone", async () => {
    const app = await startApp();
    const pids = app.pids();
    expect(await app.stop("SIGTERM")).toBe(0);
    await eventually(
      "every child to exit",
      () => ![pids.restate, pids.worker].some(alive),
      15_000,
    );
  });

  it("runs two instances side by side with their own homes and ports", async () => {
    const [a, b] = await Promise.all([startApp(), startApp()]);
    try {
      expect(a.url).not.toBe(b.url);
      const [sa, sb] = await Promise.all([sandboxOf(a), sandboxOf(b)]);
      const [ra, rb] = await Promise.all([
        trigger(a, { dag_run_id: "side_a" }),
        trigger(b, { dag_run_id: "side_a" }),
      ]);
      expect([ra, rb]).toEqual(["side_a", "side_a"]);
      const [ma, mb] = await Promise.all([
        sa.messageWithButton(),
        sb.messageWithButton(),
      ]);
      await sa.press(ma.message_id, {
        id: 1001,
        username: "anna",
        first_name: "Анна",
      });
      await sb.press(mb.message_id, { id: 1002, first_name: "Борис" });
      expect(
        await Promise.all([
          runState(a, ra, ["success", "failed"]),
          runState(b, rb, ["success", "failed"]),
        ]),
      ).toEqual(["success", "success"]);
      expect((await sa.rows()).map((r) => r.fields.username)).toEqual(["anna"]);
      expect((await sb.rows()).map((r) => r.fields.username)).toEqual([
        "Борис",
      ]);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it("talks to any Bot API and Airtable servers named by TELEGRAM_API_ROOT and AIRTABLE_ENDPOINT_URL", async () => {
    const external = await startSandbox();
    const { telegram, airtable } = external.info;
    const app = await startApp({
      ...sandboxEnv(external.info),
      REPORTER_NAME: "live-reporter",
      EVENT_TYPE: "go_pressed",
    });
    try {
      expect((await app.json("/api/v1/sandbox")).status).toBe(404);
      const runId = await trigger(app);
      const message = await eventually("the bot's message", async () => {
        const res = await fetch(
          `${telegram.api_root}/_emulator/chats/${telegram.chat_id}/messages`,
        );
        return ((await res.json()) as { result: { message_id: number }[] })
          .result[0];
      });
      await fetch(`${telegram.api_root}/_emulator/press`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          chat_id: Number(telegram.chat_id),
          message_id: message.message_id,
          from: { id: 7, username: "vera", first_name: "Вера" },
        }),
      });
      expect(await runState(app, runId, ["success", "failed"])).toBe("success");
      const rows = external.airtable.records(airtable.base_id, airtable.table);
      expect(
        rows.map((r) => [
          r.fields.username,
          r.fields.event_type,
          r.fields.reporter_name,
        ]),
      ).toEqual([["vera", "go_pressed", "live-reporter"]]);
      expect(app.output()).not.toContain(telegram.token);
      expect(app.output()).not.toContain(airtable.token);
    } finally {
      await app.stop();
      await external.close();
    }
  });

  it("stops with a message naming a missing variable, without echoing the token", async () => {
    const token = "123456789:fake-token-for-the-config-test-abcdefghij";
    const { code, output } = await runToExit({ TELEGRAM_BOT_TOKEN: token });
    expect(code).toBe(1);
    expect(output).toContain("TELEGRAM_CHAT_ID");
    expect(output).not.toContain(token);
  });

  it("stops with a message naming a malformed variable", async () => {
    const { code, output } = await runToExit({ POEKHALI_PORT: "eighty" });
    expect(code).toBe(1);
    expect(output).toContain("POEKHALI_PORT");
  });
});
