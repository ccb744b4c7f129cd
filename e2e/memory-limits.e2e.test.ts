import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import * as restate from "@restatedev/restate-sdk";
import { afterAll, describe, expect, it } from "vitest";
import { restateServerBinary } from "../packages/poekhali/src/restate/restate-server.js";
import {
  startTemporaryRestate,
  type TemporaryRestate,
} from "../packages/poekhali/src/restate/temporary-restate.js";
import { eventually, startApp, type AppUnderTest } from "./harness.js";

// The embedded restate-server runs a bounded number of invocations at once: while runs park, each one in flight
// holds an HTTP/2 stream and its journal in the worker, so Restate's default of 1,000 per partition let 100,000
// parking runs put thousands in the worker at once (700+ MB) and overload it into abort-timeouts.

/** The environment a running process was started with (Linux). */
function environment(pid: number): Record<string, string> {
  return Object.fromEntries(
    readFileSync(`/proc/${pid}/environ`, "utf8")
      .split("\0")
      .filter(Boolean)
      .map((kv) => [
        kv.slice(0, kv.indexOf("=")),
        kv.slice(kv.indexOf("=") + 1),
      ]),
  );
}

/** The configuration a running restate-server read: its own `--dump-config` under the environment it was given. */
function effectiveConfig(pid: number): string {
  return execFileSync(restateServerBinary(), ["--dump-config"], {
    env: environment(pid),
    encoding: "utf8",
  });
}

describe("the embedded restate-server's limits and the worker's memory flags", () => {
  let stack: TemporaryRestate | undefined;
  let app: AppUnderTest | undefined;
  afterAll(async () => {
    await app?.stop();
    await stack?.stop();
  });

  it("holds invocations past the limit in Restate's queue, not in the worker", async () => {
    // 2 at once per partition, 4 partitions: at most 8 in the worker, whatever is sent.
    stack = await startTemporaryRestate("poekhali-limits-", {
      settings: { concurrentInvocations: 2 },
    });
    let holding = true;
    const held: (() => void)[] = [];
    let inWorker = 0;
    let mostInWorker = 0;
    const slow = restate.service({
      name: "slow",
      handlers: {
        work: async (ctx: restate.Context) => {
          inWorker++;
          mostInWorker = Math.max(mostInWorker, inWorker);
          try {
            if (holding)
              await new Promise<void>((resolve) => held.push(resolve));
            return await ctx.run("done", () => "ok");
          } finally {
            inWorker--;
          }
        },
      },
      // Held invocations must stay in flight (not suspend) for the limit to show.
      options: { inactivityTimeout: 600_000, abortTimeout: 600_000 },
    });
    await stack.deploy([slow]);
    const sent = 60;
    for (let i = 0; i < sent; i++)
      await stack.ingress.send({ service: "slow", handler: "work" }, null);
    const statuses = async () =>
      new Map(
        (
          await stack!.server.query<{ status: string; n: number }>(
            "SELECT status, count(*) AS n FROM sys_invocation WHERE target_service_name = 'slow' GROUP BY status",
          )
        ).map((r) => [r.status, Number(r.n)]),
      );
    // With 60 spread over 4 partitions, each gets at least 2: 8 run, 52 wait their turn in Restate.
    const waiting = await eventually(
      "8 invocations in the worker and the other 52 ready in Restate",
      async () => {
        const s = await statuses();
        return held.length === 8 && s.get("running") === 8 && s.get("ready")
          ? s
          : undefined;
      },
      60_000,
    );
    expect(waiting.get("ready")).toBe(sent - 8);
    holding = false;
    for (const release of held.splice(0)) release();
    await eventually(
      "every invocation to complete",
      async () => (await statuses()).get("completed") === sent,
      60_000,
    );
    expect(mostInWorker).toBe(8);
  }, 120_000);

  it("is started by `poekhali up` with the bounded defaults, or with what the operator set, beside a worker with small semi-spaces", async () => {
    app = await startApp({ POEKHALI_RESTATE_CONCURRENT_INVOCATIONS: "64" });
    const config = effectiveConfig(app.pids().restate);
    expect(config).toMatch(/^concurrent-invocations-limit = 64$/m);
    expect(config).toMatch(/^rocksdb-total-memory-size = "512\.0 MiB"$/m);
    expect(config).toMatch(
      /^\[admin\.query-engine\]\nmemory-size = "256\.0 MiB"$/m,
    );
    expect(config).toMatch(/^record-cache-memory-size = "64\.0 MiB"$/m);
    // The worker process: its young generation kept small, and few malloc arenas (see worker-process-env.ts).
    const worker = environment(app.pids().worker);
    expect(worker.NODE_OPTIONS).toBe("--max-semi-space-size=2");
    expect(worker.MALLOC_ARENA_MAX).toBe("2");
  }, 120_000);
});
