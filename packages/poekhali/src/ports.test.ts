import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { choosePort, portIsFree } from "./ports.js";

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
