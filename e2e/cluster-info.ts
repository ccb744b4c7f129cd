import { expect } from "vitest";
import type { ClusterInfo } from "../packages/poekhali/src/cluster/start-cluster.js";

/** Every process id cluster.json names (the supervisor's, each role's and each watchdog's). */
export const pidsOf = (info: ClusterInfo) =>
  info.processes.flatMap((p) =>
    [p.pid, p.watchdog_pid].filter(
      (pid): pid is number => typeof pid === "number",
    ),
  );

/** What cluster.json must say of a cluster of 3 nodes, 2 workers and a web tier, whatever its ports. */
export function expectClusterShape(info: ClusterInfo, home: string) {
  expect(info.home).toBe(home);
  expect(info.processes.map((p) => `${p.role} ${p.id}`)).toEqual([
    "supervisor 1",
    "restate-node 1",
    "restate-node 2",
    "restate-node 3",
    "worker 1",
    "worker 2",
    "web 1",
  ]);
  const ports = info.processes.flatMap((p) =>
    Object.entries(p)
      .filter(([key]) => key.endsWith("port"))
      .map(([, value]) => value),
  );
  // 5 of the supervisor's (3 proxies, 2 emulators), 3 per node, 1 per worker, 1 of the web tier: all different.
  expect(ports).toHaveLength(5 + 9 + 2 + 1);
  expect(ports.every((p) => Number.isInteger(p) && (p as number) > 0)).toBe(
    true,
  );
  expect(new Set(ports).size).toBe(ports.length);
  expect(info.web_url).toBe(info.processes.at(-1)?.url);
  expect(info.deployment).toMatch(
    new RegExp(`^${info.deployment_proxy.url}/v/[0-9a-f]+$`),
  );
}
