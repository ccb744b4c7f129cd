import { createServer, type Server } from "node:net";
import { existsSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { afterEach, describe, expect, it } from "vitest";
import { choosePort } from "../ports.js";
import {
  startTemporaryRestate,
  type TemporaryRestate,
} from "./temporary-restate.js";

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve(server));
  });
}

describe("startTemporaryRestate", () => {
  let restate: TemporaryRestate | undefined;
  let holder: Server | undefined;
  afterEach(async () => {
    await restate?.stop();
    await new Promise((resolve) => holder?.close(resolve) ?? resolve(null));
  });

  it("starts again on fresh ports when a port it chose was taken before the server bound it", async () => {
    // Another test's process binds a port between our choice and restate-server's bind: hand out such a port first.
    const taken = await choosePort(0);
    holder = await listen(taken);
    const handed: number[] = [];
    restate = await startTemporaryRestate("poekhali-port-race-", {
      async choosePort() {
        const port = handed.length === 0 ? taken : await choosePort(0);
        handed.push(port);
        return port;
      },
    });
    // The first three went to the failed try; the server runs on the next three, none of them the taken one.
    expect(handed).toHaveLength(6);
    expect(restate.server.adminUrl).not.toContain(`:${taken}`);
    expect((await fetch(`${restate.server.adminUrl}/health`)).ok).toBe(true);
    expect(existsSync(restate.home)).toBe(true);
  });

  it("gives up after five tries on taken ports, and on any other failure at once, leaving no home behind", async () => {
    const taken = await choosePort(0);
    holder = await listen(taken);
    let handed = 0;
    await expect(
      startTemporaryRestate("poekhali-port-race-taken-", {
        choosePort: () => Promise.resolve((handed++, taken)),
      }),
    ).rejects.toThrow(`port 127.0.0.1:${taken} is in use`);
    expect(handed).toBe(5 * 3);

    handed = 0;
    await expect(
      startTemporaryRestate("poekhali-port-race-bad-", {
        settings: { rocksdbMemory: "plenty" },
        async choosePort() {
          handed++;
          return choosePort(0);
        },
      }),
    ).rejects.toThrow(/restate-server exited/);
    expect(handed).toBe(3);
    expect(
      readdirSync(tmpdir()).filter((name) =>
        name.startsWith("poekhali-port-race-"),
      ),
    ).toEqual([]);
  });
});
