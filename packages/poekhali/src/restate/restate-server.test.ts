import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type AddressInfo, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { choosePort } from "../ports.js";
import { RestatePortTakenError, RestateServer } from "./restate-server.js";

describe("RestateServer.start", () => {
  let home: string | undefined;
  let squatter: Server | undefined;
  afterEach(async () => {
    await new Promise((resolve) => squatter?.close(resolve) ?? resolve(null));
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it("says a port was taken when restate-server itself could not bind one, though our check found it free", async () => {
    home = mkdtempSync(join(tmpdir(), "poekhali-bind-race-"));
    // What restate-server meets when another program binds a port between our check and its bind: here its ingress
    // is pointed, past our check, at a port a squatter holds.
    squatter = createServer();
    const taken = await new Promise<number>((resolve) =>
      squatter!.listen(0, "127.0.0.1", () =>
        resolve((squatter!.address() as AddressInfo).port),
      ),
    );
    const failed = RestateServer.start({
      home,
      ingressPort: await choosePort(0),
      adminPort: await choosePort(0),
      nodePort: await choosePort(0),
      node: {
        name: "n1",
        dataDir: join(home, "restate"),
        logFile: join(home, "logs", "restate.log"),
        env: { RESTATE_INGRESS__BIND_ADDRESS: `127.0.0.1:${taken}` },
      },
    });
    await expect(failed).rejects.toBeInstanceOf(RestatePortTakenError);
    await expect(failed).rejects.toThrow(
      /could not bind its ports \(another program took one as it started\)/,
    );
  });
});
