import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { INTERNAL_KEY_ENV } from "@poekhali/core";
import { afterAll, describe, expect, it, vi } from "vitest";
import { resolveConfig } from "../config.js";
import { ConfigError } from "../errors.js";
import { identityKey } from "../restate/identity-key.js";
import { requireWorkerUrl, startWorkerRole } from "./worker-role.js";

const EXTERNAL = {
  RESTATE_ADMIN_URL: "http://restate.internal:9070",
  RESTATE_INGRESS_URL: "http://restate.internal:8080",
};

describe("requireWorkerUrl", () => {
  it("asks for POEKHALI_WORKER_URL when a wildcard-bound worker is registered with an external Restate", () => {
    for (const host of ["0.0.0.0", "::"]) {
      const config = resolveConfig({ ...EXTERNAL, POEKHALI_WORKER_HOST: host });
      expect(() => requireWorkerUrl(config)).toThrow(ConfigError);
      expect(() => requireWorkerUrl(config)).toThrow(/^POEKHALI_WORKER_URL: /);
    }
  });

  it("lets the worker's own address be registered when it is a real one, or when up runs its own Restate", () => {
    expect(() =>
      requireWorkerUrl(
        resolveConfig({
          ...EXTERNAL,
          POEKHALI_WORKER_HOST: "0.0.0.0",
          POEKHALI_WORKER_URL: "http://worker.internal:9080",
        }),
      ),
    ).not.toThrow();
    expect(() =>
      requireWorkerUrl(
        resolveConfig({ ...EXTERNAL, POEKHALI_WORKER_HOST: "10.1.2.3" }),
      ),
    ).not.toThrow();
    expect(() =>
      requireWorkerUrl(resolveConfig({ POEKHALI_WORKER_HOST: "0.0.0.0" })),
    ).not.toThrow();
  });
});

describe("startWorkerRole", () => {
  const work = mkdtempSync(join(tmpdir(), "poekhali-worker-role-"));
  afterAll(() => {
    vi.unstubAllEnvs();
    rmSync(work, { recursive: true, force: true });
  });

  it("names POEKHALI_WORKER_HOST when it is not an address of this machine", async () => {
    vi.stubEnv(INTERNAL_KEY_ENV, "k".repeat(32));
    const config = resolveConfig({
      ...EXTERNAL,
      // TEST-NET-1 (RFC 5737): never an address of this machine.
      POEKHALI_WORKER_HOST: "192.0.2.1",
      POEKHALI_WORKER_PORT: "0",
      RESTATE_IDENTITY_KEYS: identityKey(join(work, "key")).publicKey,
      TELEGRAM_BOT_TOKEN: "123456789:fake-token-for-worker-role-abcdefghij",
      TELEGRAM_CHAT_ID: "-1001234567890",
      TELEGRAM_API_ROOT: "http://127.0.0.1:9",
      AIRTABLE_TOKEN: "patX",
      AIRTABLE_BASE_ID: "appABCDEFGHIJKLMN",
      AIRTABLE_ENDPOINT_URL: "http://127.0.0.1:9",
      TELEGRAM_UPDATES: "webhook",
    });
    const started = startWorkerRole({
      config,
      restate: config.externalRestate!,
      versions: [{ hash: "0123456789ab", folder: join(work, "dags") }],
      log: () => undefined,
    });
    await expect(started).rejects.toThrow(ConfigError);
    await expect(started).rejects.toThrow(
      /^POEKHALI_WORKER_HOST: \(192\.0\.2\.1\) is not an address of this machine/,
    );
  });
});
