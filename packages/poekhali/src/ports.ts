import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";

/** Whether a port can be bound on `host` right now. */
export function portIsFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/** Where the system hands out ports of its own (Linux's default when it cannot be read). */
function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync(
      "/proc/sys/net/ipv4/ip_local_port_range",
      "utf8",
    )
      .trim()
      .split(/\s+/)
      .map(Number);
    if (low && high && low > 2_048) return [low, high];
  } catch {
    // Not Linux, or not readable: assume Linux's default.
  }
  return [32_768, 60_999];
}

/**
 * Returns the port as given, or, for 0, a free one on `host` below the system's ephemeral range.
 *
 * A port is chosen here and bound later by another process (restate-server, the worker). A port from the
 * ephemeral range can be taken in between by any outgoing connection on the machine, which gets its local port
 * from that range: the later bind then fails with "address in use". Below the range only another listener can
 * take it.
 */
export async function choosePort(
  port: number,
  host = "127.0.0.1",
): Promise<number> {
  if (port !== 0) return port;
  const [low] = ephemeralRange();
  const from = Math.max(1_024, low - 12_000);
  for (let tries = 0; tries < 50; tries++) {
    const candidate = from + Math.floor(Math.random() * (low - from));
    if (await portIsFree(candidate, host)) return candidate;
  }
  return systemPort(host);
}

/** A free port as the system hands it out (from the ephemeral range). */
function systemPort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === "object") resolve(address.port);
        else reject(new Error("could not find a free port"));
      });
    });
  });
}

/**
 * Chooses ports for the names asked with 0, and remembers them in `<home>/ports.json`: a restart with the same
 * home gets the same ports back while they are free, so Restate's deployments (URIs with ports) stay reachable.
 * Names not asked keep their remembered ports in the file (e.g. Restate's, while `up` uses an external Restate).
 */
export async function rememberedPorts<K extends string>(
  home: string,
  wanted: Record<K, number>,
  host = "127.0.0.1",
  onMoved: (name: K, from: number, to: number) => void = () => undefined,
): Promise<Record<K, number>> {
  const file = join(home, "ports.json");
  const kept: Partial<Record<K, number>> = existsSync(file)
    ? (JSON.parse(readFileSync(file, "utf8")) as Partial<Record<K, number>>)
    : {};
  const chosen = {} as Record<K, number>;
  // Ports remembered for names not asked this time stay theirs: a later call (or start) gets them back.
  const taken = new Set<number>(
    Object.entries(kept)
      .filter(([name]) => !(name in wanted))
      .map(([, port]) => port as number),
  );
  for (const name of Object.keys(wanted) as K[]) {
    const asked = wanted[name];
    const previous = kept[name];
    let port = asked;
    if (asked === 0) {
      port =
        previous !== undefined &&
        !taken.has(previous) &&
        (await portIsFree(previous, host))
          ? previous
          : await choosePort(0, host);
      while (taken.has(port)) port = await choosePort(0, host);
      if (previous !== undefined && port !== previous)
        onMoved(name, previous, port);
    }
    taken.add(port);
    chosen[name] = port;
  }
  writeFileSync(file, `${JSON.stringify({ ...kept, ...chosen }, null, 2)}\n`);
  return chosen;
}
