import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli } from "./cli-process.js";

const GOOD = "a-random-internal-key-0123456789abcdef";
/** Typos of POEKHALI_INTERNAL_KEY as they reach a .env or a secret store, and what the refusal must say. */
const TYPOS = [
  {
    key: "shortkey-123",
    says: "POEKHALI_INTERNAL_KEY: is too short (12 characters): use a random string of at least 32 characters",
  },
  {
    key: ` ${GOOD}`,
    says: "POEKHALI_INTERNAL_KEY: has white space (a space, tab or line break) at its start or end: set the key alone",
  },
  {
    key: `${GOOD}\n`,
    says: "POEKHALI_INTERNAL_KEY: has white space (a space, tab or line break) at its start or end: set the key alone",
  },
];

describe("a mistyped POEKHALI_INTERNAL_KEY", () => {
  // A stand-in for an external Restate that counts what reaches it: a role that starts half-way asks it first.
  const asked: string[] = [];
  let restate: Server;
  let restateUrl: string;
  const homes: string[] = [];
  const home = () => {
    const dir = mkdtempSync(join(tmpdir(), "poekhali-internal-key-"));
    homes.push(dir);
    return dir;
  };

  beforeAll(async () => {
    restate = createServer((req, res) => {
      asked.push(`${req.method} ${req.url}`);
      res.writeHead(503).end();
    });
    await new Promise<void>((resolve) =>
      restate.listen(0, "127.0.0.1", resolve),
    );
    restateUrl = `http://127.0.0.1:${(restate.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => restate.close(resolve));
    for (const dir of homes) rmSync(dir, { recursive: true, force: true });
  });

  it("stops `poekhali up` before it starts anything, naming the variable and what it wants, never the key", async () => {
    for (const { key, says } of TYPOS) {
      const dir = home();
      const { code, out, err } = await cli(["up"], {
        POEKHALI_HOME: dir,
        POEKHALI_INTERNAL_KEY: key,
        POEKHALI_PORT: "0",
        POEKHALI_WORKER_PORT: "0",
        POEKHALI_RESTATE_INGRESS_PORT: "0",
        POEKHALI_RESTATE_ADMIN_PORT: "0",
        POEKHALI_RESTATE_NODE_PORT: "0",
      });
      expect(code, JSON.stringify(key)).toBe(1);
      expect(out).toBe("");
      expect(err).toContain(`poekhali: configuration error: ${says}`);
      expect(err).not.toContain(key.trim());
      expect(err).not.toContain("poekhali is up");
      // Nothing started or kept: no restate-server's data, no pids.json, no key of its own.
      expect(readdirSync(dir)).toEqual([]);
    }
  }, 60_000);

  it("stops `poekhali worker` and `poekhali web` before they ask Restate anything or listen", async () => {
    for (const role of ["worker", "web"])
      for (const { key, says } of TYPOS) {
        const { code, out, err } = await cli([role], {
          POEKHALI_HOME: home(),
          POEKHALI_INTERNAL_KEY: key,
          POEKHALI_PORT: "0",
          POEKHALI_WORKER_PORT: "0",
          RESTATE_ADMIN_URL: restateUrl,
          RESTATE_INGRESS_URL: restateUrl,
          TELEGRAM_BOT_TOKEN:
            "123456:emulator-token-abcdefghijklmnopqrstuvwxyz",
          TELEGRAM_CHAT_ID: "-100",
          AIRTABLE_TOKEN: "pat",
          AIRTABLE_BASE_ID: "appABCDEFGHIJKLMN",
        });
        expect(code, `${role} ${JSON.stringify(key)}`).toBe(1);
        expect(out).toBe("");
        expect(err).toContain(`poekhali: configuration error: ${says}`);
        expect(err).not.toContain(key.trim());
        expect(err).not.toMatch(/listening|serving/i);
      }
    expect(asked).toEqual([]);
  }, 60_000);
});
