import { connect, createServer, type Server } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { tcpRoundRobin, type TcpRoundRobin } from "./tcp-round-robin.js";

/** A TCP server that answers every connection with its name and closes it. */
async function namedServer(name: string): Promise<Server & { port: number }> {
  const server = createServer((socket) => socket.end(name));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  return Object.assign(server, {
    port: typeof address === "object" && address ? address.port : 0,
  });
}

/** What one connection through the proxy reads before it closes. */
function readOnce(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    const socket = connect({ host: "127.0.0.1", port });
    socket.on("data", (d: Buffer) => (text += d.toString()));
    socket.once("close", () => resolve(text));
    socket.once("error", reject);
  });
}

describe("tcpRoundRobin", () => {
  const servers: Server[] = [];
  let proxy: TcpRoundRobin | undefined;
  afterEach(async () => {
    await proxy?.close();
    for (const s of servers.splice(0)) s.close();
  });

  it("hands connections to each upstream in turn and skips one that refuses", async () => {
    const a = await namedServer("a");
    const b = await namedServer("b");
    servers.push(a, b);
    proxy = await tcpRoundRobin({
      host: "127.0.0.1",
      port: 0,
      upstreams: [a.port, b.port],
    });
    const turns = [];
    for (let i = 0; i < 4; i++) turns.push(await readOnce(proxy.port));
    expect(turns.sort()).toEqual(["a", "a", "b", "b"]);

    await new Promise((resolve) => a.close(resolve));
    for (let i = 0; i < 3; i++) expect(await readOnce(proxy.port)).toBe("b");
  });

  it("closes a connection when no upstream takes it", async () => {
    const gone = await namedServer("gone");
    await new Promise((resolve) => gone.close(resolve));
    proxy = await tcpRoundRobin({
      host: "127.0.0.1",
      port: 0,
      upstreams: [gone.port],
    });
    expect(await readOnce(proxy.port)).toBe("");
  });
});
