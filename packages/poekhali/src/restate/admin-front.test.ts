import { mkdtempSync, rmSync } from "node:fs";
import {
  createServer,
  request,
  type IncomingHttpHeaders,
  type Server,
} from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { choosePort } from "../ports.js";
import {
  adminRefusal,
  startAdminFront,
  type AdminFront,
} from "./admin-front.js";

/** A GET through the front; resolves with what arrived, or with the error that ended it. */
function get(
  port: number,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string; error?: string }> {
  return new Promise((resolve) => {
    let status = 0;
    let body = "";
    const req = request(
      { host: "127.0.0.1", port, path: "/x", headers },
      (res) => {
        status = res.statusCode ?? 0;
        res.on("data", (d: Buffer) => (body += d.toString()));
        res.once("end", () => resolve({ status, body }));
        res.once("error", (error) =>
          resolve({ status, body, error: error.message }),
        );
      },
    );
    req.once("error", (error) =>
      resolve({ status, body, error: error.message }),
    );
    req.end();
  });
}

// The front against a real server on a Unix socket standing in for restate-server's admin API.
describe("the admin front", () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function frontOf(
    handler: Parameters<typeof createServer>[1],
  ): Promise<{ port: number; front: AdminFront }> {
    const dir = mkdtempSync(join(tmpdir(), "poekhali-front-"));
    const socketPath = join(dir, "admin.sock");
    const upstream: Server = createServer(handler);
    await new Promise<void>((r) => upstream.listen(socketPath, r));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    cleanups.push(
      () =>
        new Promise<void>((r) => {
          upstream.close(() => r());
          upstream.closeAllConnections();
        }),
    );
    const port = await choosePort(0);
    const front = await startAdminFront({
      host: "127.0.0.1",
      port,
      socketPath,
    });
    cleanups.push(() => front.close());
    return { port, front };
  }

  it("ends the client's answer when restate-server stops in the middle of it", async () => {
    const { port } = await frontOf((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write('{"rows": [');
      // The server dies with the answer half sent.
      setTimeout(() => res.socket?.destroy(), 50);
    });
    const answer = await get(port);
    expect(answer.status).toBe(200);
    expect(answer.error).toBeDefined();
  });

  it("passes no hop-by-hop header on, either way", async () => {
    let seen: IncomingHttpHeaders = {};
    const { port } = await frontOf((req, res) => {
      seen = req.headers;
      res.writeHead(200, { "keep-alive": "timeout=99", "x-kept": "yes" });
      res.end("ok");
    });
    const answer = await get(port, {
      connection: "x-secret, keep-alive",
      "x-secret": "hop",
      "proxy-authorization": "Basic c2VjcmV0",
      te: "trailers",
      "x-end-to-end": "kept",
    });
    expect(answer.status).toBe(200);
    expect(seen["x-end-to-end"]).toBe("kept");
    expect(seen["x-secret"]).toBeUndefined();
    expect(seen["proxy-authorization"]).toBeUndefined();
    expect(seen.te).toBeUndefined();
  });

  it("answers 502 naming the admin API when nothing listens on the socket", async () => {
    const dir = mkdtempSync(join(tmpdir(), "poekhali-front-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const port = await choosePort(0);
    const front = await startAdminFront({
      host: "127.0.0.1",
      port,
      socketPath: join(dir, "admin.sock"),
    });
    cleanups.push(() => front.close());
    const answer = await get(port);
    expect(answer.status).toBe(502);
    expect(answer.body).toContain("admin API did not answer");
  });
});

describe("what the admin front refuses", () => {
  const host = "127.0.0.1:9070";
  it("lets a link followed from another site in (a top-level GET), but no cross-site POST, navigation or not", () => {
    const link = {
      host,
      "sec-fetch-site": "cross-site",
      "sec-fetch-mode": "navigate",
    };
    expect(adminRefusal("GET", link)).toBeNull();
    expect(adminRefusal("POST", link)?.status).toBe(403);
    expect(
      adminRefusal("GET", { host, "sec-fetch-site": "cross-site" })?.status,
    ).toBe(403);
    expect(
      adminRefusal("GET", { host, origin: "https://evil.example" })?.status,
    ).toBe(403);
    // A link on a rebound name is still a foreign Host.
    expect(
      adminRefusal("GET", { ...link, host: "rebound.evil.example:9070" })
        ?.status,
    ).toBe(421);
  });
});
