import "@poekhali/core";
import { createServer, type Http2Server } from "node:http2";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as restate from "@restatedev/restate-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  DeferrableSensor,
  RestateIngress,
  StaticConnections,
  dag,
  dagWorkflow,
  task,
  type Args,
  type BaseSensorOptions,
  type DagRunStatus,
  type DeferContext,
  type TaskContext,
} from "@poekhali/core";
import { RestateServer } from "../packages/poekhali/src/restate/restate-server.js";
import { choosePort } from "../packages/poekhali/src/ports.js";
import { eventually } from "./harness.js";

// An event source for the test sensor: it keeps the trigger id and resolves it when fired.
const events = restate.object({
  name: "test_events",
  handlers: {
    watch: (ctx: restate.ObjectContext, triggerId: string) => {
      ctx.set("trigger", triggerId);
      return Promise.resolve();
    },
    fire: async (ctx: restate.ObjectContext, value: string) => {
      const trigger = await ctx.get<string>("trigger");
      if (!trigger) throw new restate.TerminalError("nobody watches", { errorCode: 409 });
      ctx.resolveAwakeable(trigger, { value });
    },
  },
});

let timeoutHooks = 0;

class WaitForEvent extends DeferrableSensor<{ key: string }, { value: string }, string> {
  readonly title = "wait for a test event";
  constructor(options: BaseSensorOptions & Args<{ key: string }>) {
    super(options, { key: options.key });
  }
  override defer(args: { key: string }, context: DeferContext): void {
    context.send({ service: "test_events", handler: "watch", key: args.key }, context.triggerId);
  }
  override complete(event: { value: string }): string {
    return event.value;
  }
  override onTimeout(_args: { key: string }, _context: TaskContext): Promise<void> {
    timeoutHooks++;
    return Promise.resolve();
  }
}

let flakyCalls = 0;
const flaky = dag({ id: "t_flaky", schedule: null }, () => {
  const first = task({ taskId: "flaky", retries: 2, retryDelay: "50ms" }, () => {
    flakyCalls++;
    if (flakyCalls === 1) throw new Error("first try fails");
    return flakyCalls;
  }, {});
  task({ taskId: "after", title: "double it" }, ({ n }: { n: number }) => n * 2, { n: first.output });
});

const broken = dag({ id: "t_broken", schedule: null }, () => {
  const boom = task({ taskId: "boom" }, (): number => {
    throw new Error("no luck");
  }, {});
  task({ taskId: "never", title: "never runs" }, ({ n }: { n: number }) => n, { n: boom.output });
});

const waits = dag(
  { id: "t_waits", schedule: null, params: z.object({ key: z.string(), timeout: z.string(), soft: z.boolean().default(false) }) },
  ({ params }) => {
    const got = new WaitForEvent({ taskId: "wait", key: params.key, timeout: params.timeout, softFail: params.soft });
    task({ taskId: "use", title: "shout it" }, ({ v }: { v: string }) => v.toUpperCase(), { v: got.output });
  },
);

const branches = dag({ id: "t_branches", schedule: null }, () => {
  const slow = new WaitForEvent({ taskId: "slow", key: "branches" });
  const quick = task({ taskId: "quick", title: "answer at once" }, () => "quick", {});
  task({ taskId: "join", title: "join both" }, ({ a, b }: { a: string; b: string }) => `${a}+${b}`, { a: slow.output, b: quick.output });
});

describe("DAG runs on a real restate-server", () => {
  let home: string;
  let server: RestateServer;
  let worker: Http2Server;
  let ingress: RestateIngress;

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), "poekhali-dagruns-"));
    server = await RestateServer.start({ home, ingressPort: await choosePort(0), adminPort: await choosePort(0), nodePort: await choosePort(0) });
    const runtime = { connections: new StaticConnections([]) };
    worker = createServer(restate.createEndpointHandler({ services: [events, ...[flaky, broken, waits, branches].map((d) => dagWorkflow(d, runtime))] }));
    const port = await choosePort(0);
    await new Promise<void>((resolve) => worker.listen(port, "127.0.0.1", resolve));
    await server.register(`http://127.0.0.1:${port}`);
    ingress = new RestateIngress(server.ingressUrl);
  });
  afterAll(async () => {
    worker?.close();
    await server?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  const start = (dagId: string, runId: string, conf: Record<string, unknown> = {}) =>
    ingress.send({ service: dagId, handler: "run", key: runId }, { conf: conf as never });
  const status = (dagId: string, runId: string) => ingress.call<DagRunStatus | null>({ service: dagId, handler: "status", key: runId });
  const finished = (dagId: string, runId: string) =>
    eventually(`${dagId}/${runId} to finish`, async () => {
      const s = await status(dagId, runId);
      return s && ["success", "failed"].includes(s.dag_run.state) ? s : undefined;
    });
  const states = (s: DagRunStatus) => Object.fromEntries(s.task_instances.map((t) => [t.task_id, t.state]));

  it("retries a failed try after the delay and counts the tries", async () => {
    await start("t_flaky", "r1");
    const s = await finished("t_flaky", "r1");
    expect(s.dag_run.state).toBe("success");
    expect(states(s)).toEqual({ flaky: "success", after: "success" });
    expect(s.task_instances.find((t) => t.task_id === "flaky")?.try_number).toBe(2);
    expect(flakyCalls).toBe(2);
  });

  it("fails the run and marks downstream upstream_failed, keeping the error as the note", async () => {
    await start("t_broken", "r1");
    const s = await finished("t_broken", "r1");
    expect(s.dag_run.state).toBe("failed");
    expect(states(s)).toEqual({ boom: "failed", never: "upstream_failed" });
    expect(s.task_instances[0]?.note).toContain("no luck");
  });

  it("wakes a deferred sensor with its event and passes the value downstream", async () => {
    await start("t_waits", "r1", { key: "k1", timeout: "1h" });
    await eventually("the sensor to defer", async () => (await status("t_waits", "r1"))?.task_instances[0]?.state === "deferred");
    await eventually("the sensor to register", () =>
      ingress.call({ service: "test_events", handler: "fire", key: "k1" }, "go").then(() => true),
    );
    const s = await finished("t_waits", "r1");
    expect(states(s)).toEqual({ wait: "success", use: "success" });
  });

  it("skips a soft-failing sensor on timeout, and its downstream, and runs the timeout hook once", async () => {
    const hooksBefore = timeoutHooks;
    await start("t_waits", "r2", { key: "k2", timeout: "1s", soft: true });
    const s = await finished("t_waits", "r2");
    expect(s.dag_run.state).toBe("success");
    expect(states(s)).toEqual({ wait: "skipped", use: "skipped" });
    expect(timeoutHooks - hooksBefore).toBe(1);
  });

  it("fails a sensor on timeout without softFail", async () => {
    await start("t_waits", "r3", { key: "k3", timeout: "1s" });
    const s = await finished("t_waits", "r3");
    expect(s.dag_run.state).toBe("failed");
    expect(states(s)).toEqual({ wait: "failed", use: "upstream_failed" });
  });

  it("runs independent branches concurrently and joins them", async () => {
    await start("t_branches", "r1");
    // The quick branch finishes while its sibling is still parked.
    await eventually("the quick branch to finish beside the parked sensor", async () => {
      const s = await status("t_branches", "r1");
      return s && states(s).quick === "success" && states(s).slow === "deferred" && states(s).join === "scheduled";
    });
    await eventually("the sensor to register", () => ingress.call({ service: "test_events", handler: "fire", key: "branches" }, "slow").then(() => true));
    const s = await finished("t_branches", "r1");
    expect(states(s)).toEqual({ slow: "success", quick: "success", join: "success" });
  });

  it("fails a cancelled run: the parked sensor fails and nothing downstream starts", async () => {
    const { invocationId } = await start("t_waits", "cancel_me", { key: "kc", timeout: "1h" });
    await eventually("the sensor to defer", async () => (await status("t_waits", "cancel_me"))?.task_instances[0]?.state === "deferred");
    const res = await fetch(`${server.adminUrl}/invocations/${invocationId}/cancel`, { method: "PATCH" });
    expect(res.ok).toBe(true);
    const s = await finished("t_waits", "cancel_me");
    expect(s.dag_run.state).toBe("failed");
    expect(states(s)).toEqual({ wait: "failed", use: "upstream_failed" });
    expect(s.task_instances[0]?.note).toBe("the run was cancelled");
  });

  it("refuses a conf that does not fit the params before any task runs", async () => {
    await start("t_waits", "bad", { key: 5 });
    const rows = await eventually("the invocation to complete", async () => {
      const r = await server.query<{ status: string; completion_failure: string | null }>(
        "SELECT status, completion_failure FROM sys_invocation WHERE target_service_name = 't_waits' AND target_service_key = 'bad'",
      );
      return r[0]?.status === "completed" ? r : undefined;
    });
    expect(rows[0]?.completion_failure).toContain("key");
    expect(await status("t_waits", "bad")).toBeNull();
  });
});
