import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { choosePort, portIsFree, rememberedPorts } from "./ports.js";

describe("choosePort", () => {
  it("chooses a free port below the system's ephemeral range, where no outgoing connection can take it", async () => {
    const low = Number(
      readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").split(
        /\s+/,
      )[0],
    );
    const ports = await Promise.all([0, 0, 0].map(() => choosePort(0)));
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(1_024);
      expect(port).toBeLessThan(low);
      expect(await portIsFree(port, "127.0.0.1")).toBe(true);
    }
  });

  it("returns a port it was given as it is", async () => {
    expect(await choosePort(8000)).toBe(8000);
  });
});

describe("rememberedPorts", () => {
  it("keeps the ports remembered for names it is not asked (Restate's, while up uses an external one)", async () => {
    const home = mkdtempSync(join(tmpdir(), "poekhali-ports-"));
    try {
      const [ingressPort, adminPort, nodePort, workerPort] = await Promise.all(
        [0, 0, 0, 0].map(() => choosePort(0)),
      );
      const file = join(home, "ports.json");
      writeFileSync(
        file,
        JSON.stringify({ ingressPort, adminPort, nodePort, workerPort }),
      );
      const chosen = await rememberedPorts(home, {
        workerPort: 0,
        telegramEmulatorPort: 0,
      });
      expect(chosen.workerPort).toBe(workerPort);
      // A new choice never takes a port remembered for another name.
      expect([ingressPort, adminPort, nodePort, workerPort]).not.toContain(
        chosen.telegramEmulatorPort,
      );
      expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({
        ingressPort,
        adminPort,
        nodePort,
        workerPort,
        telegramEmulatorPort: chosen.telegramEmulatorPort,
      });
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
