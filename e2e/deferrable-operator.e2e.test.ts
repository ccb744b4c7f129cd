import "@poekhali/core";
import * as restate from "@restatedev/restate-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DeferrableOperator,
  DeferrableSensor,
  StaticConnections,
  dag,
  dagWorkflow,
  type Args,
  type BaseOperatorOptions,
  type BaseSensorOptions,
  type DeferContext,
  type LastWord,
  type ReleaseContext,
  type TaskInstanceKey,
} from "@poekhali/core";
import {
  startTemporaryRestate,
  type TemporaryRestate,
} from "../packages/poekhali/src/restate/temporary-restate.js";
import { dagRunClient, taskStatesOf } from "./dag-run-client.js";

type Job = { key: string; failTimes: number; answer: boolean };
type Released = Omit<ReleaseContext, "send">;

// A stand-in event source: a job fails its first `failTimes` tries (the wait is rejected), then is done; a job
// that does not answer never wakes its run. Releases are kept, to see which try each one names.
const jobs = restate.object({
  name: "test_jobs",
  handlers: {
    start: async (
      ctx: restate.ObjectContext,
      req: Job & { trigger: string },
    ) => {
      const tries = ((await ctx.get<number>("tries")) ?? 0) + 1;
      ctx.set("tries", tries);
      if (!req.answer) return;
      if (tries <= req.failTimes)
        ctx.rejectAwakeable(
          req.trigger,
          `job ${req.key} failed on try ${tries}`,
        );
      else ctx.resolveAwakeable(req.trigger, { tries });
    },
    release: async (ctx: restate.ObjectContext, released: Released) => {
      ctx.set("released", [
        ...((await ctx.get<Released[]>("released")) ?? []),
        released,
      ]);
    },
    released: async (ctx: restate.ObjectContext) =>
      (await ctx.get<Released[]>("released")) ?? [],
    /** A sensor's last word after its timeout: answers with the key it was asked under, as a late event. */
    late: (ctx: restate.ObjectContext) => Promise.resolve(ctx.key),
  },
});

class RunJob extends DeferrableOperator<Job, { tries: number }> {
  readonly title = "run the job";
  constructor(options: BaseOperatorOptions & Args<Job>) {
    super(options, {
      key: options.key,
      failTimes: options.failTimes,
      answer: options.answer,
    });
  }
  override defer(args: Job, context: DeferContext): void {
    context.send(
      { service: "test_jobs", handler: "start", key: args.key },
      { ...args, trigger: context.triggerId },
    );
  }
  override complete(event: { tries: number }): { tries: number } {
    return event;
  }
  override release(args: Job, context: ReleaseContext): void {
    const { dagId, runId, taskId, tryNumber, reason } = context;
    const released: Released = { dagId, runId, taskId, tryNumber, reason };
    context.send(
      { service: "test_jobs", handler: "release", key: args.key },
      {
        ...released,
      },
    );
  }
}

/** A sensor whose source has, after the timeout, an event for exactly the task instance it is asked about. */
class AskLate extends DeferrableSensor<{ key: string }, string> {
  readonly title = "wait, then ask";
  constructor(options: BaseSensorOptions & Args<{ key: string }>) {
    super(options, { key: options.key });
  }
  override defer(): void {}
  override complete(event: string): string {
    return event;
  }
  override lastWord(
    _args: { key: string },
    context: TaskInstanceKey,
  ): LastWord {
    return {
      target: {
        service: "test_jobs",
        handler: "late",
        key: `${context.dagId}/${context.runId}/${context.taskId}/${context.tryNumber}`,
      },
      payload: null,
    };
  }
}

const retried = dag({ id: "t_defer_retry", schedule: null }, () => {
  new RunJob({
    taskId: "job",
    key: "retried",
    failTimes: 1,
    answer: true,
    retries: 2,
    retryDelay: "50ms",
  });
});
const noRetries = dag({ id: "t_defer_no_retries", schedule: null }, () => {
  new RunJob({ taskId: "job", key: "once", failTimes: 1, answer: true });
});
const timedOut = dag({ id: "t_defer_timeout", schedule: null }, () => {
  new RunJob({
    taskId: "job",
    key: "silent",
    failTimes: 0,
    answer: false,
    retries: 1,
    retryDelay: "50ms",
    executionTimeout: "300ms",
  });
});
const late = dag({ id: "t_last_word", schedule: null }, () => {
  new AskLate({ taskId: "wait", key: "x", timeout: "200ms" });
});

describe("deferrable operators", () => {
  let stack: TemporaryRestate;
  beforeAll(async () => {
    stack = await startTemporaryRestate("poekhali-deferrable-");
    const runtime = { connections: new StaticConnections([]) };
    await stack.deploy([
      jobs,
      ...[retried, noRetries, timedOut, late].map((d) =>
        dagWorkflow(d, runtime),
      ),
    ]);
  });
  afterAll(async () => {
    await stack?.stop();
  });
  const { start, finished } = dagRunClient(() => stack.ingress);
  const released = (key: string) =>
    stack.ingress.call<Released[]>({
      service: "test_jobs",
      handler: "released",
      key,
    });

  it("retries a try whose event source failed it, deferring anew, and releases the failed try by its key", async () => {
    await start("t_defer_retry", "r1");
    const s = await finished("t_defer_retry", "r1");
    expect(s.dag_run.state).toBe("success");
    const [job] = s.task_instances;
    expect(job).toMatchObject({ state: "success", try_number: 2 });
    expect(job?.tries).toEqual([
      expect.objectContaining({
        try_number: 1,
        state: "up_for_retry",
        note: "job retried failed on try 1",
      }),
    ]);
    expect(await released("retried")).toEqual([
      {
        dagId: "t_defer_retry",
        runId: "r1",
        taskId: "job",
        tryNumber: 1,
        reason: "failed",
      },
    ]);
  });

  it("fails the task when its event source fails it and no retries are left", async () => {
    await start("t_defer_no_retries", "r1");
    const s = await finished("t_defer_no_retries", "r1");
    expect(s.dag_run.state).toBe("failed");
    expect(s.task_instances[0]).toMatchObject({
      state: "failed",
      try_number: 1,
      note: "job once failed on try 1",
    });
  });

  it("fails a try that waits past its execution timeout, retries it, and releases each try with reason timeout", async () => {
    await start("t_defer_timeout", "r1");
    const s = await finished("t_defer_timeout", "r1");
    expect(taskStatesOf(s)).toEqual({ job: "failed" });
    expect(s.task_instances[0]?.try_number).toBe(2);
    expect(s.task_instances[0]?.note).toContain("execution timeout of 300ms");
    expect(
      (await released("silent")).map((r) => [r.reason, r.tryNumber]),
    ).toEqual([
      ["timeout", 1],
      ["timeout", 2],
    ]);
  });

  it("asks a sensor's last word with the key of the task instance that timed out", async () => {
    await start("t_last_word", "r1");
    const s = await finished("t_last_word", "r1");
    expect(taskStatesOf(s)).toEqual({ wait: "success" });
    const output = await stack.ingress.call<{ value: unknown } | null>(
      {
        service: "t_last_word",
        handler: "xcom",
        key: "r1",
      },
      { task_id: "wait" },
    );
    expect(output).toEqual({ value: "t_last_word/r1/wait/1" });
  });
});
