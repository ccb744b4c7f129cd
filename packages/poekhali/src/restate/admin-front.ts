import {
  Agent,
  createServer,
  request,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from "node:http";
import { pipeline } from "node:stream";
import { requestHostname } from "../api/allowed-hosts.js";
import { SupervisorError } from "../errors.js";

/** The longest Unix socket path Linux and macOS take (sun_path is 108 and 104 bytes, with its terminating NUL). */
export const MAX_SOCKET_PATH = 103;

/** The names a loopback admin port is reached by: any other `Host` is a page that rebound its own name. */
const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** Headers of one hop (RFC 9110 §7.6.1), which a proxy does not pass on. */
const HOP_BY_HOP = [
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
];

/** The headers that go on to the next hop: without the hop-by-hop ones, or those the `Connection` header names. */
function endToEnd(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const named = String(headers.connection ?? "")
    .split(",")
    .map((h) => h.trim().toLowerCase());
  return Object.fromEntries(
    Object.entries(headers).filter(
      ([name]) => !HOP_BY_HOP.includes(name) && !named.includes(name),
    ),
  );
}

/** The admin front that {@link startAdminFront} started. */
export interface AdminFront {
  /** Stops taking connections and ends the ones open. */
  close(): Promise<void>;
}

/**
 * Why a request must not reach Restate's admin API, or null when it may: its `Host` is not a loopback name (a page
 * whose DNS name was rebound to 127.0.0.1 sends its own name), or a browser sent it from another site. Tools that are
 * not browsers (the CLI, curl, the `restate` CLI, this app) send a loopback `Host` and no `Origin`; a browser that
 * follows a link here (a top-level GET) is let in whatever site the link was on.
 */
export function adminRefusal(
  method: string,
  headers: IncomingHttpHeaders,
): { status: 421 | 403; why: string } | null {
  const host = headers.host ?? "";
  const name = requestHostname(host);
  if (name === null || !LOOPBACK.has(name))
    return {
      status: 421,
      why: `Restate's admin API answers only to 127.0.0.1, localhost and [::1], not to the host "${host.slice(0, 100)}"`,
    };
  // Following a link (the web UI's «Restate UI») is a top-level GET: the page that made it can read nothing of it.
  const navigation =
    (method === "GET" || method === "HEAD") &&
    headers["sec-fetch-mode"] === "navigate";
  if (navigation) return null;
  if (headers["sec-fetch-site"] === "cross-site")
    return { status: 403, why: "a cross-site request (Sec-Fetch-Site)" };
  const origin = headers.origin;
  if (origin !== undefined) {
    let from: URL | null = null;
    try {
      from = new URL(origin);
    } catch {
      // "null" (a sandboxed frame, a file) and garbage are foreign.
    }
    if (from === null || from.host !== host.toLowerCase())
      return {
        status: 403,
        why: `a request from another origin (${origin.slice(0, 100)})`,
      };
  }
  return null;
}

/**
 * Listens on `host:port` in front of restate-server's admin API, which then listens only on the Unix socket
 * `socketPath`, and passes on every request that {@link adminRefusal} lets through. restate-server checks no `Host`
 * header, so on a TCP port of its own any web page that rebinds its DNS name to 127.0.0.1 could run SQL over all
 * state, Variables included, or register a deployment of its own; a browser cannot reach a Unix socket.
 */
export async function startAdminFront(options: {
  readonly host: string;
  readonly port: number;
  readonly socketPath: string;
}): Promise<AdminFront> {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const pass = (req: IncomingMessage, res: ServerResponse) => {
    const refusal = adminRefusal(req.method ?? "GET", req.headers);
    if (refusal) {
      req.resume();
      res.writeHead(refusal.status, { "content-type": "application/json" });
      res.end(JSON.stringify({ message: `refused: ${refusal.why}` }));
      return;
    }
    const upstream = request(
      {
        socketPath: options.socketPath,
        agent,
        method: req.method,
        path: req.url,
        headers: endToEnd(req.headers),
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, endToEnd(answer.headers));
        // A server that stops mid-answer ends the client's answer too, rather than leave it waiting.
        pipeline(answer, res, (error) => {
          if (error) res.destroy(error);
        });
      },
    );
    upstream.once("error", (error) => {
      if (res.headersSent) return void res.destroy(error);
      res.writeHead(502, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          message: `restate-server's admin API did not answer: ${error.message}`,
        }),
      );
    });
    // A client that hangs up mid-request leaves nothing half-sent upstream.
    res.once("close", () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  };
  const server = createServer(pass);
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) =>
      reject(
        new SupervisorError(
          `cannot listen for Restate's admin API on ${options.host}:${options.port}: ${error.message}`,
          { cause: error },
        ),
      ),
    );
    server.listen(options.port, options.host, resolve);
  });
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        agent.destroy();
      }),
  };
}
