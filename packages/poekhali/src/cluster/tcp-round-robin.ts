import { connect, createServer, type Server, type Socket } from "node:net";

/** A running {@link tcpRoundRobin} proxy. */
export interface TcpRoundRobin {
  readonly port: number;
  /** The upstream ports connections are handed to, in turn; replace it to add or drop one. */
  upstreams: number[];
  close(): Promise<void>;
}

/**
 * A TCP proxy on `host:port` (0 = free) that hands each connection to the next upstream in turn, skipping one that
 * refuses; bytes pass through untouched, so HTTP/2 cleartext (Restate's calls to its deployments) does too. When an
 * upstream dies, its connections break and the caller's retry gets a live one: that is how Restate's retries fail
 * over between the workers behind one deployment URL.
 *
 * @example
 * const proxy = await tcpRoundRobin({ host: "127.0.0.1", port: 0, upstreams: [9081, 9082] });
 */
export async function tcpRoundRobin(options: {
  readonly host: string;
  readonly port: number;
  readonly upstreams: readonly number[];
}): Promise<TcpRoundRobin> {
  const sockets = new Set<Socket>();
  let next = 0;
  const proxy: { upstreams: number[] } = {
    upstreams: [...options.upstreams],
  };
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.once("close", () => sockets.delete(client));
    client.pause();
    const tried = new Set<number>();
    const attempt = () => {
      const ports = proxy.upstreams;
      const port = ports.length ? ports[next++ % ports.length] : undefined;
      if (port === undefined || tried.has(port)) {
        client.destroy();
        return;
      }
      tried.add(port);
      const upstream = connect({ host: options.host, port });
      sockets.add(upstream);
      upstream.once("close", () => sockets.delete(upstream));
      let connected = false;
      upstream.once("connect", () => {
        connected = true;
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
      upstream.once("error", () => {
        // Refused: that upstream is down; try the next one. Broken later: the client sees its connection end.
        if (!connected && !client.destroyed) attempt();
        else client.destroy();
      });
      upstream.once("close", () => connected && client.destroy());
      client.once("close", () => upstream.destroy());
      client.once("error", () => upstream.destroy());
    };
    attempt();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return Object.assign(proxy, {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  });
}
