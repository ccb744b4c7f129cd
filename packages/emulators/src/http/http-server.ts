import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { beforeAnswering, sendJson } from "./respond.js";

/** A request handler that may throw; the server answers 500 for anything it lets escape. */
export type RequestHandler = (
  req: IncomingMessage,
  res: ServerResponse,
) => Promise<void>;

/** A listening `node:http` server with its base URL. */
export interface HttpServer {
  readonly url: string;
  close(): Promise<void>;
}

/** Starts a `node:http` server on `host:port` (port 0 picks a free one) that never crashes on a handler error. */
export async function startHttpServer(
  handler: RequestHandler,
  options: {
    port?: number;
    host?: string;
    /** Runs before each answer is written, so that what a client was told is saved first. */
    beforeAnswer?: () => void;
  },
): Promise<HttpServer> {
  const host = options.host ?? "127.0.0.1";
  const inflight = new Set<Promise<void>>();
  const server = createServer((req, res) => {
    if (options.beforeAnswer !== undefined)
      beforeAnswering(res, options.beforeAnswer);
    const handled = handler(req, res).catch((error: unknown) => {
      if (!res.headersSent) {
        sendJson(res, 500, {
          ok: false,
          error_code: 500,
          description: `Internal Server Error: ${String(error)}`,
        });
      } else {
        res.destroy();
      }
    });
    inflight.add(handled);
    void handled.finally(() => inflight.delete(handled));
  });
  // Node closes a kept-alive connection after 5 s idle by default; a client that sends on it just then gets "socket
  // hang up" or ECONNRESET, and on a loaded machine (late timers) that race hit hundreds of a burst's
  // answerCallbackQuery calls, each then retried seconds later. Telegram's front keeps idle connections far longer.
  server.keepAliveTimeout = 75_000;
  server.on("clientError", (_error, socket) => {
    socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost(host)}:${port}`,
    close() {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) =>
          server.close(() => resolve()),
        );
        server.closeIdleConnections();
        // Let answers already being written (such as ended long polls) reach their clients first.
        await Promise.race([Promise.allSettled([...inflight]), delay(500)]);
        server.closeAllConnections();
        await closed;
      })();
      return closing;
    },
  };
}

function urlHost(host: string): string {
  if (host === "0.0.0.0" || host === "::" || host === "") return "127.0.0.1";
  return host.includes(":") ? `[${host}]` : host;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
