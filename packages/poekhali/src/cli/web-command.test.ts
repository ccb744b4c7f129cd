import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { INTERNAL_KEY_ENV } from "@poekhali/core";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { ConfigError } from "../errors.js";
import { webCommand } from "./web-command.js";

// Should a check be missing, the command would go on: keep what it would touch in a temporary directory.
const work = mkdtempSync(join(tmpdir(), "poekhali-web-command-"));
const BASE = {
  POEKHALI_HOME: join(work, "home"),
  POEKHALI_DAGS_FOLDER: join(work, "dags"),
  POEKHALI_PORT: "0",
  TELEGRAM_API_ROOT: "http://127.0.0.1:9",
  RESTATE_ADMIN_URL: "http://restate.internal:9070",
  RESTATE_INGRESS_URL: "http://restate.internal:8080",
  [INTERNAL_KEY_ENV]: "k".repeat(32),
  TELEGRAM_BOT_TOKEN: "123456789:fake-token-for-web-command-abcdefghijk",
  TELEGRAM_CHAT_ID: "-1001234567890",
  AIRTABLE_TOKEN: "patX",
  AIRTABLE_BASE_ID: "appABCDEFGHIJKLMN",
};

/** The ConfigError `poekhali web` stops with under `env`, before it starts anything. */
async function refusal(env: Record<string, string>): Promise<ConfigError> {
  for (const [name, value] of Object.entries({ ...BASE, ...env }))
    vi.stubEnv(name, value);
  const error: unknown = await webCommand([], () => undefined).catch(
    (e: unknown) => e,
  );
  if (!(error instanceof ConfigError))
    throw new Error(`expected a ConfigError, got ${String(error)}`);
  return error;
}

describe("poekhali web", () => {
  afterEach(() => vi.unstubAllEnvs());
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it("requires TELEGRAM_WEBHOOK_SECRET in webhook mode: every instance must set the bot's webhook with the same one", async () => {
    const error = await refusal({
      TELEGRAM_UPDATES: "webhook",
      TELEGRAM_WEBHOOK_URL: "https://poekhali.example.com/telegram/webhook",
    });
    expect(error.variable).toBe("TELEGRAM_WEBHOOK_SECRET");
  });

  it("requires POEKHALI_AUTH_SECRET beyond loopback: a token from one instance must work on the others", async () => {
    const error = await refusal({
      POEKHALI_HOST: "0.0.0.0",
      POEKHALI_AUTH_PASSWORD: "correct horse battery staple",
    });
    expect(error.variable).toBe("POEKHALI_AUTH_SECRET");
  });
});
