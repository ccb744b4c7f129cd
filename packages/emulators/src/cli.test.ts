import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { runEmulators } from "./cli.js";
import { EmulatorUsageError } from "./errors.js";
import type { SandboxInfo } from "./sandbox.js";

const REPO = fileURLToPath(new URL("../../../", import.meta.url));
const BIN = join(REPO, "packages/poekhali/bin/poekhali.js");

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Runs `poekhali emulators` as a user would, and returns what it printed and a way to stop it. */
async function spawnEmulators(env: Record<string, string>): Promise<{
  info: SandboxInfo;
  stop(): Promise<number | null>;
}> {
  const child = spawn(process.execPath, [BIN, "emulators"], {
    cwd: REPO,
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = once(child, "exit");
  const firstLine = new Promise<string>((resolve) =>
    createInterface({ input: child.stdout }).once("line", resolve),
  );
  const first = await Promise.race([
    firstLine,
    exited.then(() => {
      throw new Error(`poekhali emulators exited early: ${stderr}`);
    }),
  ]);
  return {
    info: JSON.parse(first) as SandboxInfo,
    async stop() {
      if (child.exitCode === null && child.signalCode === null)
        child.kill("SIGINT");
      const [code] = (await exited) as [number | null];
      return code;
    },
  };
}

/** Lists the sandbox table `count` times at once and returns the statuses. */
async function burst(info: SandboxInfo, count: number): Promise<number[]> {
  const { endpoint_url, base_id, table, token } = info.airtable;
  const answers = await Promise.all(
    Array.from({ length: count }, () =>
      fetch(`${endpoint_url}/v0/${base_id}/${table}`, {
        headers: { authorization: `Bearer ${token}` },
      }),
    ),
  );
  return answers.map((res) => res.status);
}

describe("poekhali emulators", () => {
  it("enforces Airtable's 5 requests/s per base by default", async () => {
    const emulators = await spawnEmulators({});
    try {
      const statuses = await burst(emulators.info, 7);
      expect(statuses.filter((s) => s === 200)).toHaveLength(5);
      expect(statuses.filter((s) => s === 429)).toHaveLength(2);
      // The penalty holds: the base keeps answering 429.
      expect(await burst(emulators.info, 1)).toEqual([429]);
    } finally {
      expect(await emulators.stop()).toBe(0);
    }
  });

  it("lets every request through with AIRTABLE_EMULATOR_RATE_LIMIT=off", async () => {
    const emulators = await spawnEmulators({
      AIRTABLE_EMULATOR_RATE_LIMIT: "off",
    });
    try {
      expect(await burst(emulators.info, 12)).toEqual(Array(12).fill(200));
    } finally {
      expect(await emulators.stop()).toBe(0);
    }
  });

  it("prints one JSON line, serves both emulators on the given ports and stops on SIGINT", async () => {
    const dir = await mkdtemp(join(tmpdir(), "emulators-cli-"));
    const schema = join(dir, "bases.json");
    await writeFile(
      schema,
      JSON.stringify({
        bases: [
          {
            id: "appCliDeclared001",
            name: "extra",
            tables: [
              { name: "t", fields: [{ name: "f", type: "singleLineText" }] },
            ],
          },
        ],
      }),
    );
    const [telegramPort, airtablePort] = [await freePort(), await freePort()];
    const child = spawn(process.execPath, [BIN, "emulators"], {
      cwd: REPO,
      env: {
        ...process.env,
        TELEGRAM_EMULATOR_PORT: String(telegramPort),
        AIRTABLE_EMULATOR_PORT: String(airtablePort),
        AIRTABLE_EMULATOR_SCHEMA: schema,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = once(child, "exit");
    try {
      const lines: string[] = [];
      let printed: (line: string) => void = () => undefined;
      const firstLine = new Promise<string>((resolve) => (printed = resolve));
      createInterface({ input: child.stdout }).on("line", (line) => {
        lines.push(line);
        printed(line);
      });
      const first = await Promise.race([
        firstLine,
        exited.then(() => {
          throw new Error(`poekhali emulators exited early: ${stderr}`);
        }),
      ]);
      const info = JSON.parse(first) as SandboxInfo;
      expect(info.telegram.api_root).toBe(`http://127.0.0.1:${telegramPort}`);
      expect(info.airtable.endpoint_url).toBe(
        `http://127.0.0.1:${airtablePort}`,
      );
      const me = await fetch(
        `${info.telegram.api_root}/bot${info.telegram.token}/getMe`,
      );
      expect(await me.json()).toMatchObject({
        ok: true,
        result: { username: "poekhali_sandbox_bot" },
      });
      const auth = { authorization: `Bearer ${info.airtable.token}` };
      const rows = await fetch(
        `${info.airtable.endpoint_url}/v0/${info.airtable.base_id}/${info.airtable.table}`,
        { headers: auth },
      );
      expect(await rows.json()).toEqual({ records: [] });
      const declared = await fetch(
        `${info.airtable.endpoint_url}/v0/meta/bases/appCliDeclared001/tables`,
        { headers: auth },
      );
      expect(declared.status).toBe(200);
      child.kill("SIGINT");
      const [code] = (await exited) as [number | null];
      expect(code).toBe(0);
      expect(lines).toHaveLength(1);
      await expect(
        fetch(`${info.telegram.api_root}/_emulator/users`),
      ).rejects.toThrow();
    } finally {
      if (child.exitCode === null && child.signalCode === null)
        child.kill("SIGKILL");
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("keeps the chat, the table and their ids in EMULATORS_STATE_DIR across restarts", async () => {
    const dir = await mkdtemp(join(tmpdir(), "emulators-state-"));
    const env = {
      EMULATORS_STATE_DIR: dir,
      AIRTABLE_EMULATOR_RATE_LIMIT: "off",
    };
    try {
      const first = await spawnEmulators(env);
      const { api_root, token, chat_id } = first.info.telegram;
      const send = async (root: string) =>
        (
          (await (
            await fetch(`${root}/bot${token}/sendMessage`, {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: JSON.stringify({ chat_id, text: "Готовы?" }),
            })
          ).json()) as { result: { message_id: number } }
        ).result.message_id;
      const before = await send(api_root);
      expect(await first.stop()).toBe(0);
      const second = await spawnEmulators(env);
      try {
        expect(second.info.telegram.token).toBe(token);
        expect(second.info.airtable.token).toBe(first.info.airtable.token);
        expect(await send(second.info.telegram.api_root)).toBe(before + 1);
      } finally {
        await second.stop();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("names AIRTABLE_EMULATOR_RATE_LIMIT when it is neither on nor off", async () => {
    await expect(
      runEmulators({ env: { AIRTABLE_EMULATOR_RATE_LIMIT: "sometimes" } }),
    ).rejects.toThrow(EmulatorUsageError);
    await expect(
      runEmulators({ env: { AIRTABLE_EMULATOR_RATE_LIMIT: "sometimes" } }),
    ).rejects.toThrow(/AIRTABLE_EMULATOR_RATE_LIMIT/);
  });
});
