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

/** Returns the port as given, or a free one on `host` when it is 0. */
export async function choosePort(
  port: number,
  host = "127.0.0.1",
): Promise<number> {
  if (port !== 0) return port;
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
  const taken = new Set<number>();
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
  writeFileSync(file, `${JSON.stringify(chosen, null, 2)}\n`);
  return chosen;
}
