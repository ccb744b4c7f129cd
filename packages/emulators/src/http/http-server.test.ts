import { connect } from "node:net";
import { describe, expect, it } from "vitest";
import { startHttpServer } from "./http-server.js";
import { sendJson } from "./respond.js";

describe("startHttpServer", () => {
  it("keeps an idle kept-alive connection open past Node's default 5 s, as Telegram's front does", async () => {
    const server = await startHttpServer(
      async (_req, res) => {
        sendJson(res, 200, { ok: true });
        return Promise.resolve();
      },
      { port: 0 },
    );
    const { hostname, port } = new URL(server.url);
    const socket = connect(Number(port), hostname);
    let received = "";
    let closed = false;
    socket.on("data", (d: Buffer) => (received += d.toString()));
    socket.on("close", () => (closed = true));
    const request =
      "GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n";
    const answers = () => received.split("HTTP/1.1 200").length - 1;
    try {
      socket.write(request);
      await until(() => answers() === 1, 5_000);
      // Idle longer than Node's default keep-alive timeout: the connection must still be there to send on.
      await new Promise((resolve) => setTimeout(resolve, 6_000));
      expect(closed).toBe(false);
      socket.write(request);
      await until(() => answers() === 2, 5_000);
    } finally {
      socket.destroy();
      await server.close();
    }
  }, 20_000);
});

async function until(check: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
