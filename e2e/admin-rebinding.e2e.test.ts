import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { request } from "node:http";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { choosePort, portIsFree } from "../packages/poekhali/src/ports.js";
import { RestateServer } from "../packages/poekhali/src/restate/restate-server.js";
import {
  startTemporaryRestate,
  type TemporaryRestate,
} from "../packages/poekhali/src/restate/temporary-restate.js";
import { launchChromium } from "./chromium.js";

/** A request with headers fetch does not allow (`Host`); resolves with the status and body. */
function send(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: init.method ?? "GET", headers: init.headers ?? {} },
      (res) => {
        let body = "";
        res.on("data", (d: Buffer) => (body += d.toString()));
        res.once("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.once("error", reject);
    req.end(init.body);
  });
}

/** The TCP ports a process listens on, from its socket inodes and /proc/net/tcp{,6}. */
function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(
        readlinkSync(`/proc/${pid}/fd/${fd}`),
      );
      if (m?.[1]) inodes.add(m[1]);
    } catch {
      // closed meanwhile
    }
  }
  const ports: number[] = [];
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"])
    for (const line of readFileSync(table, "utf8").split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      // local_address is HEX_IP:HEX_PORT, st 0A is LISTEN, the inode is the tenth column.
      if (cols[3] === "0A" && inodes.has(cols[9] ?? ""))
        ports.push(parseInt(cols[1]?.split(":")[1] ?? "0", 16));
    }
  return ports.sort((a, b) => a - b);
}

const QUERY = JSON.stringify({
  query: "SELECT count(*) AS n FROM sys_deployment",
});

// A web page whose DNS name is rebound to 127.0.0.1 is same-origin with whatever answers on its port there: it could
// run SQL over all of Restate's state (Variables included) or register a deployment of its own on the admin port.
describe("Restate's admin API against DNS rebinding", () => {
  let restate: TemporaryRestate;
  let adminPort: number;
  let browser: Browser | undefined;

  beforeAll(async () => {
    restate = await startTemporaryRestate("poekhali-rebind-");
    adminPort = Number(new URL(restate.server.adminUrl).port);
  });
  afterAll(async () => {
    await browser?.close();
    await restate?.stop();
  });

  it("keeps restate-server's admin API off TCP: the server listens on its ingress and node ports only", () => {
    const pid = restate.server.pid;
    expect(pid).toBeDefined();
    const ports = listeningPorts(pid!);
    expect(ports).not.toContain(adminPort);
    expect(ports).toContain(Number(new URL(restate.server.ingressUrl).port));
    expect(ports).toHaveLength(2);
  });

  it("answers 421 to a foreign Host, and serves its loopback names", async () => {
    const url = `${restate.server.adminUrl}/query`;
    const post = (headers: Record<string, string>) =>
      send(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json",
          ...headers,
        },
        body: QUERY,
      });
    const rebound = await post({ host: `rebound.evil.example:${adminPort}` });
    expect(rebound.status).toBe(421);
    expect(rebound.body).toContain("answers only to 127.0.0.1");
    expect(rebound.body).not.toContain("rows");
    expect(
      (
        await send(`${restate.server.adminUrl}/deployments`, {
          headers: { host: `rebound.evil.example:${adminPort}` },
        })
      ).status,
    ).toBe(421);
    for (const host of [
      `127.0.0.1:${adminPort}`,
      `localhost:${adminPort}`,
      `[::1]:${adminPort}`,
    ]) {
      const own = await post({ host });
      expect(own.status, host).toBe(200);
      expect(JSON.parse(own.body)).toHaveProperty("rows");
    }
    // The app's own client (fetch, a loopback Host, no Origin) goes through.
    expect(
      await restate.server.query("SELECT count(*) AS n FROM sys_deployment"),
    ).toHaveLength(1);
  });

  it("answers 403 to a browser's request from another site, whatever its method", async () => {
    const url = `${restate.server.adminUrl}/query`;
    const host = `127.0.0.1:${adminPort}`;
    const foreign: Record<string, string>[] = [
      { origin: "https://evil.example" },
      { origin: "null" },
      { "sec-fetch-site": "cross-site" },
    ];
    for (const headers of foreign) {
      const answer = await send(url, {
        method: "POST",
        headers: { host, "content-type": "application/json", ...headers },
        body: QUERY,
      });
      expect(answer.status, JSON.stringify(headers)).toBe(403);
    }
    expect(
      (
        await send(`${restate.server.adminUrl}/deployments`, {
          headers: { host, origin: "https://evil.example" },
        })
      ).status,
    ).toBe(403);
    // Its own UI's requests (same origin) pass.
    expect(
      (
        await send(url, {
          method: "POST",
          headers: {
            host,
            origin: `http://${host}`,
            "content-type": "application/json",
          },
          body: QUERY,
        })
      ).status,
    ).toBe(200);
  });

  it("refuses a second server on the same home, and the first keeps its admin API", async () => {
    const ports = {
      ingressPort: await choosePort(0),
      adminPort: await choosePort(0),
      nodePort: await choosePort(0),
    };
    await expect(
      RestateServer.start({ home: restate.home, ...ports }),
    ).rejects.toThrow(/already runs on .*admin socket .* answers/);
    // Nothing of the refused one is left listening, and the first still answers through its own front.
    for (const port of Object.values(ports))
      expect(await portIsFree(port, "127.0.0.1")).toBe(true);
    expect(
      await restate.server.query("SELECT count(*) AS n FROM sys_deployment"),
    ).toHaveLength(1);
  });

  it("leaves nothing listening when restate-server fails to start", async () => {
    const home = mkdtempSync(join(tmpdir(), "poekhali-rebind-fail-"));
    try {
      const adminPort = await choosePort(0);
      await expect(
        RestateServer.start({
          home,
          ingressPort: await choosePort(0),
          adminPort,
          nodePort: await choosePort(0),
          // restate-server stops at once: its request-identity key file does not exist.
          identityKeyFile: join(home, "no-such-key.pem"),
        }),
      ).rejects.toThrow(/restate-server exited/);
      expect(await portIsFree(adminPort, "127.0.0.1")).toBe(true);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it("gives a page rebound to 127.0.0.1 nothing, in Chromium", async () => {
    browser = await launchChromium({
      // What a rebinding attack ends with: the page's own name resolves to this machine.
      args: ["--host-resolver-rules=MAP rebound.evil.example 127.0.0.1"],
    });
    const page = await browser.newPage();
    const origin = `http://rebound.evil.example:${adminPort}`;
    const landing = await page.goto(`${origin}/health`);
    expect(landing?.status()).toBe(421);
    const tries = await page.evaluate(async (body) => {
      const query = await fetch("/query", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
      const register = await fetch("/deployments", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ uri: "http://127.0.0.1:1/", force: true }),
      });
      return {
        query: query.status,
        queryBody: await query.text(),
        register: register.status,
      };
    }, QUERY);
    expect(tries.query).toBe(421);
    expect(tries.queryBody).not.toContain("rows");
    expect(tries.register).toBe(421);
    await page.close();
  });
});
