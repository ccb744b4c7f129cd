import "@poekhali/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import type { RestateIngress } from "@poekhali/core";
import {
  BaseSensor,
  BaseTask,
  DeferrableSensor,
  chain,
  StaticConnections,
  dag,
  dagWorkflow,
  task,
  type Args,
  type BaseSensorOptions,
  type DeferContext,
  type PokeSensorOptions,
  type TaskContext,
} from "@poekhali/core";
import type { RestateServer } from "../packages/poekhali/src/restate/restate-server.js";
import {
  startTemporaryRestate,
  type TemporaryRestate,
} from "../packages/poekhali/src/restate/temporary-restate.js";
import { eventually } from "./harness.js";
import { testTriggers } from "./test-triggers.js";
import { dagRunClient, taskStatesOf } from "./dag-run-client.js";

// The test sensor's event source: fire(key, { value }) wakes the sensor watching that key.
const events = testTriggers("test_events");

let timeoutHooks = 0;

class WaitForEvent extends DeferrableSensor<
  { key: string },
  { value: string },
  string
> {
  readonly title = "wait for a test event";
  constructor(options: BaseSensorOptions & Args<{ key: string }>) {
    super(options, { key: options.key });
  }
  override defer(args: { key: string }, context: DeferContext): void {
    if (args.key.startsWith("bad"))
      throw new Error(`key "${args.key}" names no event source`);
    context.send(
      { service: "test_events", handler: "watch", key: args.key },
      context.triggerId,
    );
  }
  override complete(event: { value: string }): string {
    return event.value;
  }
  override onTimeout(
    _args: { key: string },
    _context: TaskContext,
  ): Promise<void> {
    timeoutHooks++;
    return Promise.resolve();
  }
}

/** Says its event was taken long before the run started (a source's clock behind the worker's). */
class WaitForOldEvent extends WaitForEvent {
  override eventTime(): string {
    return "2001-01-01T00:00:00.000Z";
  }
}
const oldEvent = dag({ id: "t_old_event", schedule: null }, () => {
  new WaitForOldEvent({ taskId: "wait", key: "old" });
});

/** A custom task that is neither an operator nor a sensor: the run fails at its first pass over the ready tasks. */
class NeitherTask extends BaseTask<object, null> {
  readonly title = "be neither";
  constructor() {
    super({ taskId: "odd" }, {});
  }
}
const oddTask = dag({ id: "t_odd_task", schedule: null }, () => {
  new NeitherTask();
});

let flakyCalls = 0;
const flaky = dag({ id: "t_flaky", schedule: null }, () => {
  const first = task(
    { taskId: "flaky", retries: 2, retryDelay: "50ms" },
    () => {
      flakyCalls++;
      if (flakyCalls === 1) throw new Error("first try fails");
      return flakyCalls;
    },
    {},
  );
  task(
    { taskId: "after", title: "double it" },
    ({ n }: { n: number }) => n * 2,
    { n: first.output },
  );
});

const broken = dag({ id: "t_broken", schedule: null }, () => {
  const boom = task(
    { taskId: "boom" },
    (): number => {
      throw new Error("no luck");
    },
    {},
  );
  task({ taskId: "never", title: "never runs" }, ({ n }: { n: number }) => n, {
    n: boom.output,
  });
});

const waits = dag(
  {
    id: "t_waits",
    schedule: null,
    params: z.object({
      key: z.string(),
      timeout: z.string(),
      soft: z.boolean().default(false),
    }),
  },
  ({ params }) => {
    const got = new WaitForEvent({
      taskId: "wait",
      key: params.key,
      timeout: params.timeout,
      softFail: params.soft,
    });
    task(
      { taskId: "use", title: "shout it" },
      ({ v }: { v: string }) => v.toUpperCase(),
      { v: got.output },
    );
  },
);

const branches = dag({ id: "t_branches", schedule: null }, () => {
  const slow = new WaitForEvent({ taskId: "slow", key: "branches" });
  const quick = task(
    { taskId: "quick", title: "answer at once" },
    () => "quick",
    {},
  );
  task(
    { taskId: "join", title: "join both" },
    ({ a, b }: { a: string; b: string }) => `${a}+${b}`,
    { a: slow.output, b: quick.output },
  );
});

/** Pokes are counted and stamped per key; done on poke `doneAt` (never when 0). */
const pokes = new Map<string, number[]>();
class CountingSensor extends BaseSensor<
  { key: string; doneAt: number },
  string
> {
  readonly title = "count pokes";
  constructor(
    options: PokeSensorOptions & Args<{ key: string; doneAt: number }>,
  ) {
    super(options, { key: options.key, doneAt: options.doneAt });
  }
  override poke({
    key,
    doneAt,
  }: {
    key: string;
    doneAt: number;
  }): Promise<{ done: boolean; value?: string }> {
    const seen = [...(pokes.get(key) ?? []), Date.now()];
    pokes.set(key, seen);
    return Promise.resolve(
      seen.length === doneAt
        ? { done: true, value: `done after ${seen.length}` }
        : { done: false },
    );
  }
}
const gaps = (key: string) =>
  (pokes.get(key) ?? []).slice(1).map((t, i) => t - pokes.get(key)![i]!);

const poking = dag(
  {
    id: "t_poke",
    schedule: null,
    params: z.object({
      key: z.string(),
      doneAt: z.number(),
      timeout: z.string().nullable().default(null),
      soft: z.boolean().default(false),
    }),
  },
  ({ params }) => {
    const s = new CountingSensor({
      taskId: "sense",
      key: params.key,
      doneAt: params.doneAt,
      pokeInterval: "100ms",
      timeout: params.timeout,
      softFail: params.soft,
    });
    task(
      { taskId: "after_sense", title: "use it" },
      ({ v }: { v: string }) => v,
      { v: s.output },
    );
  },
);
const backoff = dag(
  { id: "t_backoff", schedule: null, params: z.object({ key: z.string() }) },
  ({ params }) => {
    new CountingSensor({
      taskId: "sense",
      key: params.key,
      doneAt: 5,
      pokeInterval: "100ms",
      exponentialBackoff: true,
      maxWait: "300ms",
      mode: "reschedule",
    });
  },
);

let aborted = false;
const slow = dag({ id: "t_slow", schedule: null }, () => {
  task(
    {
      taskId: "hang",
      retries: 1,
      retryDelay: "50ms",
      executionTimeout: "200ms",
    },
    (_: object, context) => {
      context.signal.addEventListener("abort", () => (aborted = true));
      return new Promise<number>(() => undefined);
    },
    {},
  );
});

const tryTimes: number[] = [];
const failing = dag({ id: "t_retry_backoff", schedule: null }, () => {
  task(
    {
      taskId: "fail3",
      retries: 2,
      retryDelay: "100ms",
      retryExponentialBackoff: true,
    },
    (): number => {
      tryTimes.push(Date.now());
      throw new Error("still failing");
    },
    {},
  );
});

const order: string[] = [];
const ordered = dag({ id: "t_order", schedule: null }, () => {
  const mark = (id: string) =>
    task(
      { taskId: id },
      () => {
        order.push(id);
        return id;
      },
      {},
    );
  const [c, a, b] = [mark("c"), mark("a"), mark("b")];
  chain(a, b);
  b.before(c);
});

describe("DAG runs on a real restate-server", () => {
  let stack: TemporaryRestate;
  let server: RestateServer;
  let ingress: RestateIngress;

  beforeAll(async () => {
    stack = await startTemporaryRestate("poekhali-dagruns-");
    ({ server, ingress } = stack);
    const runtime = { connections: new StaticConnections([]) };
    await stack.deploy([
      events,
      ...[
        flaky,
        broken,
        waits,
        branches,
        poking,
        backoff,
        slow,
        failing,
        ordered,
        oldEvent,
        oddTask,
      ].map((d) => dagWorkflow(d, runtime)),
    ]);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const { start, status, finished } = dagRunClient(() => ingress);
  const states = taskStatesOf;

  it("retries a failed try after the delay and counts the tries", async () => {
    await start("t_flaky", "r1");
    const s = await finished("t_flaky", "r1");
    expect(s.dag_run.state).toBe("success");
    expect(states(s)).toEqual({ flaky: "success", after: "success" });
    expect(
      s.task_instances.find((t) => t.task_id === "flaky")?.try_number,
    ).toBe(2);
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
    await eventually(
      "the sensor to defer",
      async () =>
        (await status("t_waits", "r1"))?.task_instances[0]?.state ===
        "deferred",
    );
    await eventually("the sensor to register", () =>
      ingress
        .call(
          { service: "test_events", handler: "fire", key: "k1" },
          { value: "go" },
        )
        .then(() => true),
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

  it("fails a sensor whose registration throws, naming why, and marks downstream upstream_failed", async () => {
    await start("t_waits", "r_bad", { key: "bad_key", timeout: "1h" });
    const s = await finished("t_waits", "r_bad");
    expect(s.dag_run.state).toBe("failed");
    expect(states(s)).toEqual({ wait: "failed", use: "upstream_failed" });
    expect(s.task_instances[0]?.note).toContain(
      'key "bad_key" names no event source',
    );
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
    await eventually(
      "the quick branch to finish beside the parked sensor",
      async () => {
        const s = await status("t_branches", "r1");
        return (
          s &&
          states(s).quick === "success" &&
          states(s).slow === "deferred" &&
          states(s).join === "scheduled"
        );
      },
    );
    await eventually("the sensor to register", () =>
      ingress
        .call(
          { service: "test_events", handler: "fire", key: "branches" },
          { value: "slow" },
        )
        .then(() => true),
    );
    const s = await finished("t_branches", "r1");
    expect(states(s)).toEqual({
      slow: "success",
      quick: "success",
      join: "success",
    });
  });

  it("fails a cancelled run: the parked sensor fails and nothing downstream starts", async () => {
    const { invocationId } = await start("t_waits", "cancel_me", {
      key: "kc",
      timeout: "1h",
    });
    await eventually(
      "the sensor to defer",
      async () =>
        (await status("t_waits", "cancel_me"))?.task_instances[0]?.state ===
        "deferred",
    );
    const res = await fetch(
      `${server.adminUrl}/invocations/${invocationId}/cancel`,
      { method: "PATCH" },
    );
    expect(res.ok).toBe(true);
    const s = await finished("t_waits", "cancel_me");
    expect(s.dag_run.state).toBe("failed");
    expect(states(s)).toEqual({ wait: "failed", use: "upstream_failed" });
    expect(s.task_instances[0]?.note).toBe("the run was cancelled");
  });

  it("pokes until the sensor is done, with durable waits between pokes", async () => {
    await start("t_poke", "p1", { key: "p1", doneAt: 3 });
    const s = await finished("t_poke", "p1");
    expect(states(s)).toEqual({ sense: "success", after_sense: "success" });
    expect(pokes.get("p1")).toHaveLength(3);
    for (const gap of gaps("p1")) expect(gap).toBeGreaterThanOrEqual(100);
  });

  it("skips a poking sensor that times out with softFail, and fails it without", async () => {
    await start("t_poke", "p2", {
      key: "p2",
      doneAt: 0,
      timeout: "350ms",
      soft: true,
    });
    await start("t_poke", "p3", { key: "p3", doneAt: 0, timeout: "350ms" });
    const [soft, hard] = await Promise.all([
      finished("t_poke", "p2"),
      finished("t_poke", "p3"),
    ]);
    expect(states(soft)).toEqual({ sense: "skipped", after_sense: "skipped" });
    expect(soft.dag_run.state).toBe("success");
    expect(states(hard)).toEqual({
      sense: "failed",
      after_sense: "upstream_failed",
    });
    expect(hard.task_instances[0]?.note).toMatch(
      /not done after \d+ pokes within 350ms/,
    );
  });

  it("backs off exponentially up to maxWait, showing up_for_reschedule between pokes", async () => {
    await start("t_backoff", "b1", { key: "b1" });
    await eventually("the sensor to wait for a reschedule", async () => {
      const s = await status("t_backoff", "b1");
      return s ? states(s).sense === "up_for_reschedule" : undefined;
    });
    await finished("t_backoff", "b1");
    const g = gaps("b1");
    expect(g).toHaveLength(4);
    // Durable timers fire no earlier than asked: 100, 200, then capped at 300.
    expect(g[0]).toBeGreaterThanOrEqual(100);
    expect(g[1]).toBeGreaterThanOrEqual(200);
    expect(g[2]).toBeGreaterThanOrEqual(300);
    expect(g[3]).toBeGreaterThanOrEqual(300);
  });

  it("fails a try past its execution timeout, aborts its signal, and retries it", async () => {
    await start("t_slow", "s1");
    const s = await finished("t_slow", "s1");
    expect(states(s)).toEqual({ hang: "failed" });
    expect(s.task_instances[0]?.try_number).toBe(2);
    expect(s.task_instances[0]?.note).toContain("execution timeout of 200 ms");
    expect(aborted).toBe(true);
  });

  it("doubles the retry delay with retryExponentialBackoff", async () => {
    await start("t_retry_backoff", "rb1");
    const s = await finished("t_retry_backoff", "rb1");
    expect(s.task_instances[0]).toMatchObject({
      state: "failed",
      try_number: 3,
    });
    expect(tryTimes).toHaveLength(3);
    expect(tryTimes[1]! - tryTimes[0]!).toBeGreaterThanOrEqual(100);
    expect(tryTimes[2]! - tryTimes[1]!).toBeGreaterThanOrEqual(200);
  });

  it("runs tasks ordered with chain() and before() one after another", async () => {
    await start("t_order", "o1");
    await finished("t_order", "o1");
    expect(order).toEqual(["a", "b", "c"]);
  });

  it("never ends a run before its start or a task's, when a sensor's event says it was taken earlier", async () => {
    await start("t_old_event", "r1");
    await eventually("the sensor to register", () =>
      ingress
        .call(
          { service: "test_events", handler: "fire", key: "old" },
          { value: "late" },
        )
        .then(() => true),
    );
    const s = await finished("t_old_event", "r1");
    expect(s.task_instances[0]).toMatchObject({
      state: "success",
      end_date: "2001-01-01T00:00:00.000Z",
    });
    const end = Date.parse(s.dag_run.end_date!);
    expect(end).toBeGreaterThanOrEqual(Date.parse(s.dag_run.start_date));
    for (const ti of s.task_instances)
      expect(end).toBeGreaterThanOrEqual(Date.parse(ti.start_date!));
  });

  it("keeps the record of a run that fails before its first wait, so it can be read and started again", async () => {
    await start("t_odd_task", "r1");
    const rows = await eventually("the invocation to complete", async () => {
      const r = await server.query<{
        status: string;
        completion_failure: string | null;
      }>(
        "SELECT status, completion_failure FROM sys_invocation WHERE target_service_name = 't_odd_task' AND target_service_key = 'r1'",
      );
      return r[0]?.status === "completed" ? r : undefined;
    });
    expect(rows[0]?.completion_failure).toContain(
      'task "odd" is neither an operator nor a sensor',
    );
    // What `restart` reads: without it, it answers that the run's conf was refused.
    const kept = await status("t_odd_task", "r1");
    expect(kept?.dag_run).toMatchObject({
      dag_id: "t_odd_task",
      dag_run_id: "r1",
      conf: {},
    });
    expect(kept?.task_instances.map((ti) => ti.task_id)).toEqual(["odd"]);
  });

  it("refuses a conf that does not fit the params before any task runs", async () => {
    await start("t_waits", "bad", { key: 5 });
    const rows = await eventually("the invocation to complete", async () => {
      const r = await server.query<{
        status: string;
        completion_failure: string | null;
      }>(
        "SELECT status, completion_failure FROM sys_invocation WHERE target_service_name = 't_waits' AND target_service_key = 'bad'",
      );
      return r[0]?.status === "completed" ? r : undefined;
    });
    expect(rows[0]?.completion_failure).toContain("key");
    // Kept as a failed run with its conf, so a reader (the API, a task that started it) sees it ended; no task ran.
    const kept = await status("t_waits", "bad");
    expect(kept?.dag_run).toMatchObject({ state: "failed", conf: { key: 5 } });
    expect(kept?.dag_run.end_date).not.toBeNull();
    expect(kept?.task_instances).toEqual([]);
  });
});
