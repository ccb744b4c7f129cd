import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import "@poekhali/core";
import * as restate from "@restatedev/restate-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { choosePort } from "../packages/poekhali/src/ports.js";
import { RestateCluster } from "../packages/poekhali/src/restate/restate-cluster.js";
import {
  tcpRoundRobin,
  type TcpRoundRobin,
} from "../packages/poekhali/src/cluster/tcp-round-robin.js";
import {
  serveEndpoint,
  type ServedEndpoint,
} from "../packages/poekhali/src/worker/serve-endpoint.js";
import { alive, eventually } from "./harness.js";

/** A keyed counter: each call adds one, journaled, so a retried call with its idempotency key adds nothing. */
const counter = restate.object({
  name: "cluster_counter",
  handlers: {
    add: async (ctx: restate.ObjectContext): Promise<number> => {
      const value = ((await ctx.get<number>("value")) ?? 0) + 1;
      ctx.set("value", value);
      return value;
    },
    get: restate.handlers.object.shared(
      async (ctx: restate.ObjectSharedContext): Promise<number> =>
        (await ctx.get<number>("value")) ?? 0,
    ),
  },
});

/** Calls a handler through one node's ingress; the idempotency key makes a retry of an unsure call safe. */
async function call(
  ingressUrl: string,
  path: string,
  idempotencyKey?: string,
): Promise<number> {
  const res = await fetch(`${ingressUrl}/cluster_counter/${path}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(idempotencyKey ? { "idempotency-key": idempotencyKey } : {}),
    },
    body: "null",
    signal: AbortSignal.timeout(10_000),
  });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as number;
}

describe("a 3-node Restate cluster from the npm binary", () => {
  let home: string;
  let cluster: RestateCluster;
  const endpoints: ServedEndpoint[] = [];
  let proxy: TcpRoundRobin;

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), "poekhali-cluster-"));
    cluster = await RestateCluster.start({ home, nodes: 3 });
    // Two endpoints behind one deployment URL, as `poekhali cluster` puts its workers.
    const ports = [await choosePort(0), await choosePort(0)];
    for (const port of ports)
      endpoints.push(
        await serveEndpoint(
          restate.createEndpointHandler({ services: [counter] }),
          { port },
        ),
      );
    proxy = await tcpRoundRobin({
      host: "127.0.0.1",
      port: 0,
      upstreams: ports,
    });
    await cluster.admin().register(`http://127.0.0.1:${proxy.port}`);
  });
  afterAll(async () => {
    await proxy?.close();
    for (const endpoint of endpoints) await endpoint.stop();
    await cluster?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it("serves on every node's ingress, goes on when one node is SIGKILLed, and takes the node back", async () => {
    const [n1, n2, n3] = cluster.nodes;
    expect(cluster.nodes.map((n) => n.name)).toEqual(["n1", "n2", "n3"]);
    // One Restate: what one node's ingress wrote, another's reads.
    expect(await call(n1!.ingressUrl, "k/add", "warm-1")).toBe(1);
    expect(await call(n2!.ingressUrl, "k/get")).toBe(1);
    expect(await call(n3!.ingressUrl, "k/get")).toBe(1);

    const pid = n1!.server!.pid!;
    await cluster.kill(1);
    expect(alive(pid)).toBe(false);
    expect(cluster.nodes[0]!.server).toBeUndefined();
    // Each call is retried with its key until it is through: the count says every call counted exactly once.
    const killedAt = Date.now();
    let firstAfterKill: number | undefined;
    for (let i = 0; i < 20; i++) {
      const ingress = (i % 2 ? n2 : n3)!.ingressUrl;
      await eventually(
        `call ${i} through ${ingress} with node 1 down`,
        () => call(ingress, "k/add", `after-kill-${i}`).then(() => true),
        60_000,
      );
      firstAfterKill ??= Date.now() - killedAt;
    }
    console.log(
      `first call through after a node's SIGKILL: ${firstAfterKill} ms`,
    );
    expect(await call(n2!.ingressUrl, "k/get")).toBe(21);

    // A dead endpoint behind the deployment URL: Restate's retry gets the live one through the proxy.
    await endpoints[0]!.stop();
    for (let i = 0; i < 5; i++)
      await eventually(
        `call ${i} with one endpoint down`,
        () =>
          call(n3!.ingressUrl, "k/add", `one-endpoint-${i}`).then(() => true),
        60_000,
      );
    expect(await call(n2!.ingressUrl, "k/get")).toBe(26);

    const restarted = await cluster.restart(1);
    expect(restarted.pid).not.toBe(pid);
    await eventually(
      "node 1 to serve again",
      () => call(n1!.ingressUrl, "k/get").then((v) => v === 26),
      60_000,
    );
    expect(await call(n1!.ingressUrl, "k/add", "back-1")).toBe(27);
  });

  it("refuses an id that is not one of its nodes, by name", async () => {
    await expect(cluster.kill(4)).rejects.toThrow(
      "no node 4 in this cluster of 3 node(s)",
    );
  });

  it("stops every node, leaving no process", async () => {
    const pids = cluster.nodes.flatMap((n) => [
      n.server!.pid!,
      n.server!.watchdogPid!,
    ]);
    expect(pids.every(alive)).toBe(true);
    await cluster.stop();
    expect(pids.filter(alive)).toEqual([]);
  });
});
