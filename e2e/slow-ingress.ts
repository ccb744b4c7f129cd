import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

/** What the proxy does with one request: hold it this long first, and answer 503 (or `status`) itself instead of forwarding. */
export interface SlowRule {
  readonly delayMs?: number;
  readonly refuse?: boolean;
  /** The status of the refusal; 503 unless given (404: Restate does not know the service). */
  readonly status?: number;
}

/**
 * An HTTP proxy in front of Restate's ingress that holds requests before forwarding them, as a loaded or distant
 * Restate answers: a real network hop with latency, not a stub (every request still reaches restate-server).
 */
export async function startSlowIngress(
  target: string,
  rule: (request: { path: string; body: string }) => SlowRule,
  /** Parts of paths whose open requests are counted (see `peak`). */
  watch: readonly string[] = [],
): Promise<{
  url: string;
  /** Requests whose client hung up before the proxy answered (an aborted fetch), by path. */
  abandoned: string[];
  /** The most requests whose path holds `part` (one of `watch`) that were open at once. */
  peak(part: string): number;
  close(): Promise<void>;
}> {
  const abandoned: string[] = [];
  const open = new Map<string, number>(watch.map((part) => [part, 0]));
  const peaks = new Map<string, number>(open);
  const server = createServer((req, res) => {
    const counted = watch.filter((part) => (req.url ?? "/").includes(part));
    for (const part of counted) {
      const now = (open.get(part) ?? 0) + 1;
      open.set(part, now);
      peaks.set(part, Math.max(peaks.get(part) ?? 0, now));
    }
    res.once("close", () => {
      for (const part of counted) open.set(part, (open.get(part) ?? 1) - 1);
      if (!res.writableFinished) abandoned.push(req.url ?? "/");
    });
    void (async () => {
      const body = await read(req);
      const path = req.url ?? "/";
      const {
        delayMs = 0,
        refuse = false,
        status = 503,
      } = rule({ path, body });
      if (delayMs > 0)
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      if (refuse) {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify({ message: "refused by the test's proxy" }));
        return;
      }
      const headers: Record<string, string> = {};
      for (const name of ["content-type", "idempotency-key"]) {
        const value = req.headers[name];
        if (typeof value === "string") headers[name] = value;
      }
      const answer = await fetch(`${target}${path}`, {
        method: req.method ?? "GET",
        headers,
        ...(req.method === "GET" || req.method === "HEAD" ? {} : { body }),
      });
      res.writeHead(answer.status, {
        "content-type":
          answer.headers.get("content-type") ?? "application/json",
      });
      res.end(Buffer.from(await answer.arrayBuffer()));
    })().catch((error: unknown) => {
      res.writeHead(502).end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    abandoned,
    peak: (part) => {
      if (!peaks.has(part))
        throw new Error(`the proxy does not count requests to ${part}`);
      return peaks.get(part) ?? 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function read(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
