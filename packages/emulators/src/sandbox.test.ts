import { describe, expect, it } from "vitest";
import { runEmulators } from "./cli.js";
import { EmulatorUsageError } from "./errors.js";
import { startSandbox } from "./sandbox.js";
import type { SandboxInfo } from "./sandbox.js";

describe("startSandbox", () => {
  it("seeds a bot, the supergroup, test users, the airflow101 base and a scoped token", async () => {
    const sandbox = await startSandbox();
    try {
      const { telegram, airtable } = sandbox.info;
      expect(telegram.chat_id).toMatch(/^-100\d+$/);
      const me = (await (
        await fetch(`${telegram.api_root}/bot${telegram.token}/getMe`)
      ).json()) as { result: { is_bot: boolean } };
      expect(me.result.is_bot).toBe(true);
      const users = (await (
        await fetch(`${telegram.api_root}/_emulator/users`)
      ).json()) as { result: unknown[] };
      expect(users.result).toEqual(
        expect.arrayContaining([
          { id: 1001, is_bot: false, username: "anna", first_name: "Анна" },
          { id: 1002, is_bot: false, first_name: "Борис" },
        ]),
      );
      const meta = await fetch(
        `${airtable.endpoint_url}/v0/meta/bases/${airtable.base_id}/tables`,
        {
          headers: { authorization: `Bearer ${airtable.token}` },
        },
      );
      expect(
        ((await meta.json()) as { tables: { name: string }[] }).tables.map(
          (table) => table.name,
        ),
      ).toEqual(["tg_actions"]);
      expect(airtable.table).toBe("tg_actions");
      expect(sandbox.chatPageUrl).toBe(
        `${telegram.api_root}/_emulator/ui/chats/${telegram.chat_id}`,
      );
      expect((await fetch(sandbox.tablePageUrl)).status).toBe(200);
    } finally {
      await sandbox.close();
    }
  });
});

describe("runEmulators", () => {
  it("prints exactly one JSON line of SandboxInfo and resolves once stopped", async () => {
    const lines: string[] = [];
    const stop = new AbortController();
    let announced: (info: SandboxInfo) => void = () => undefined;
    const started = new Promise<SandboxInfo>(
      (resolve) => (announced = resolve),
    );
    const running = runEmulators({
      env: { TELEGRAM_EMULATOR_PORT: "0" },
      signal: stop.signal,
      stdout: {
        write: (text: string) => {
          lines.push(text);
          announced(JSON.parse(text) as SandboxInfo);
        },
      },
      stderr: { write: () => true },
    });
    const info = await started;
    expect(lines).toHaveLength(1);
    expect(lines[0]?.endsWith("\n")).toBe(true);
    expect(Object.keys(info)).toEqual(["telegram", "airtable"]);
    expect(
      (await fetch(`${info.telegram.api_root}/bot${info.telegram.token}/getMe`))
        .status,
    ).toBe(200);
    stop.abort();
    await running;
    await expect(
      fetch(`${info.telegram.api_root}/_emulator/users`),
    ).rejects.toThrow();
  });

  it("names the variable when a port is not a number", async () => {
    await expect(
      runEmulators({ env: { AIRTABLE_EMULATOR_PORT: "http" } }),
    ).rejects.toThrow(EmulatorUsageError);
    await expect(
      runEmulators({ env: { AIRTABLE_EMULATOR_PORT: "http" } }),
    ).rejects.toThrow(/AIRTABLE_EMULATOR_PORT/);
  });
});
