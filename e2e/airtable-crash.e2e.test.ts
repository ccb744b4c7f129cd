import { spawn, type ChildProcess } from "node:child_process";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { choosePort } from "../packages/poekhali/src/ports.js";
import { startAirtableStack, type AirtableStack } from "./airtable-stack.js";
import { alive, eventually } from "./harness.js";

const ROOT = new URL("..", import.meta.url).pathname;

describe("a worker SIGKILLed between Airtable's answer and the journal entry", () => {
  let stack: AirtableStack;
  let port: number;
  const children: ChildProcess[] = [];

  /** Starts the worker process and waits until it listens; `output()` is everything it printed. */
  async function worker(crashAfterWrite: boolean) {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "e2e/airtable-worker-process.ts"],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          AIRTABLE_TARGET: JSON.stringify({ ...stack.target }),
          PORT: String(port),
          CRASH_AFTER_WRITE: crashAfterWrite ? "1" : "0",
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    children.push(child);
    let out = "";
    child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
    await eventually(
      "the worker to listen",
      () => out.includes("READY"),
      60_000,
    );
    return { child, output: () => out };
  }

  beforeAll(async () => {
    stack = await startAirtableStack();
    port = await choosePort(0);
  });
  afterEach(async () => {
    for (const child of children.splice(0)) {
      if (child.pid && alive(child.pid)) child.kill("SIGKILL");
      await eventually(
        "the worker to exit",
        () => child.exitCode !== null || child.signalCode !== null,
      );
    }
  });
  afterAll(() => stack?.stop());

  for (const [dagId, what] of [
    ["at_upsert", "an upsert"],
    ["at_create", "a create (looked up before it is tried again)"],
  ] as const) {
    it(`leaves exactly one row for ${what}`, async () => {
      const username = `crash_${dagId}`;
      const freezing = await worker(true);
      await stack.server.register(`http://127.0.0.1:${port}`, { force: true });
      await stack.start(dagId, username, {
        chat_id: "-9",
        username,
        triggered_at: "2024-02-02T10:00:00.123Z",
      });
      await eventually("Airtable to have applied the write", () =>
        freezing.output().includes("WROTE"),
      );
      freezing.child.kill("SIGKILL");
      await eventually(
        "the worker to be gone",
        () => freezing.child.signalCode === "SIGKILL",
      );
      expect(
        stack.rows().filter((r) => r.fields.username === username),
      ).toHaveLength(1);

      const healthy = await worker(false);
      const s = await stack.finished(dagId, username, 90_000);
      expect(s.dag_run.state).toBe("success");
      expect(
        stack.rows().filter((r) => r.fields.username === username),
      ).toHaveLength(1);
      expect(healthy.output()).not.toContain(stack.target.token);
    });
  }
});
