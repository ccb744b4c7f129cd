import {
  createServer,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type ServerHttp2Session,
} from "node:http2";
import type { Socket } from "node:net";

/** A Restate endpoint listening on HTTP/2 cleartext, as restate-server calls it. */
export interface ServedEndpoint {
  readonly url: string;
  /** Closes the server, cutting restate-server's open sessions: everything is journaled, so nothing is lost. */
  stop(): Promise<void>;
}

/**
 * Serves a request handler (e.g. `createEndpointHandler({ services })`) on HTTP/2 cleartext; `stop()` does not
 * wait for restate-server, which keeps its session open, to hang up.
 *
 * @example
 * const endpoint = await serveEndpoint(createEndpointHandler({ services: [dagWorkflow(myDag, runtime)] }), { port: 9080 });
 */
export async function serveEndpoint(
  handler: (req: Http2ServerRequest, res: Http2ServerResponse) => void,
  options: { readonly host?: string; readonly port: number },
): Promise<ServedEndpoint> {
  const host = options.host ?? "127.0.0.1";
  const server = createServer(handler);
  const sessions = new Set<ServerHttp2Session>();
  server.on("session", (session: ServerHttp2Session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });
  const sockets = new Set<Socket>();
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, host, resolve);
  });
  // Port 0 asks for a free port: name the one actually taken.
  const address = server.address();
  const port =
    typeof address === "object" && address ? address.port : options.port;
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    stop() {
      const closed = new Promise<void>((resolve) =>
        server.close(() => resolve()),
      );
      for (const session of sessions) session.destroy();
      // A session destroyed mid-stream can leave its socket open (seen with Node 20), which holds `close` forever.
      for (const socket of sockets) socket.destroy();
      return closed;
    },
  };
}
