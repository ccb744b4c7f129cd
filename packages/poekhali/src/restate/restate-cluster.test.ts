import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { clusterNodeEnv, clusterReplication } from "./restate-cluster.js";
import { restateServerBinary } from "./restate-server.js";

/** The configuration restate-server itself reads from an environment (`--dump-config`). */
function dumpedConfig(env: Record<string, string>): string {
  return execFileSync(restateServerBinary(), ["--dump-config"], {
    env: { PATH: process.env.PATH ?? "", ...env },
    encoding: "utf8",
  });
}

describe("a cluster node's settings, as restate-server reads them", () => {
  const addresses = [
    "http://127.0.0.1:7001/",
    "http://127.0.0.1:7002/",
    "http://127.0.0.1:7003/",
  ];
  const env = (id: number) =>
    clusterNodeEnv({ name: "c1", id, nodes: 3, metadataAddresses: addresses });

  it("provisions from node 1 only, replicates log and partitions twice and lists every metadata server", () => {
    const first = dumpedConfig(env(1));
    expect(first).toMatch(/^cluster-name = "c1"$/m);
    expect(first).toMatch(/^auto-provision = true$/m);
    expect(first).toMatch(/^default-replication = 2$/m);
    expect(first).toMatch(/^\[bifrost\]\ndefault-provider = "replicated"$/m);
    expect(first).toContain(
      `[metadata-client]\ntype = "replicated"\naddresses = [\n${addresses.map((a) => `    "${a}",\n`).join("")}]`,
    );
    expect(first).toMatch(/"metadata-server",/);
    for (const id of [2, 3])
      expect(dumpedConfig(env(id))).toMatch(/^auto-provision = false$/m);
  });

  it("has one replication setting, default-replication (log and partitions, at provisioning), and no snapshot repository", () => {
    const dumped = dumpedConfig(env(1));
    // restate-server 1.7 has no separate partition-replication key: default-replication is the only one.
    expect(dumped.match(/^[\w-]*replication[\w-]* = .*$/gm)).toEqual([
      "default-replication = 2",
    ]);
    // No worker.snapshots.destination: partitions are not snapshotted to an object store, so the log is not trimmed.
    expect(dumped).toMatch(/^\[worker\.snapshots\]\nnum-retained = 1\n\n/m);
    expect(dumped).not.toMatch(/^destination = /m);
  });

  it("keeps one copy when there are too few nodes for one to die", () => {
    expect([1, 2, 3, 5].map(clusterReplication)).toEqual([1, 1, 2, 2]);
  });
});
