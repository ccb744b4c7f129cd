import "@poekhali/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  StaticConnections,
  branch,
  dag,
  dagWorkflow,
  task,
} from "@poekhali/core";
import {
  Dag as AirflowDag,
  compileAirflowDag,
  getContext,
} from "@poekhali/core/airflow";
import {
  startTemporaryRestate,
  type TemporaryRestate,
} from "../packages/poekhali/src/restate/temporary-restate.js";
import { dagRunClient, taskStatesOf } from "./dag-run-client.js";

/** A branch over two paths that meet again: the path not taken is skipped, the join runs on the other. */
const branching = dag(
  {
    id: "tr_branch",
    schedule: null,
    params: z.object({ n: z.number().default(5) }),
  },
  ({ params }) => {
    const count = task({ taskId: "count" }, ({ n }: { n: number }) => n, {
      n: params.n,
    });
    const pick = branch(
      { taskId: "pick" },
      ({ n }: { n: number }) => (n > 10 ? "big" : "small"),
      { n: count.output },
    );
    const big = task({ taskId: "big" }, () => "BIG", {}).after(pick);
    const small = task({ taskId: "small" }, () => "small", {}).after(pick);
    task({ taskId: "after_big" }, () => "never on a small n", {}).after(big);
    const join = task(
      { taskId: "join", triggerRule: "none_failed_min_one_success" },
      ({ b, s }: { b: string | null; s: string | null }) =>
        `${b ?? "-"}/${s ?? "-"}`,
      { b: big.output, s: small.output },
    );
    task(
      { taskId: "cleanup", triggerRule: "all_done" },
      () => "tidy",
      {},
    ).after(join);
    task({ taskId: "alert", triggerRule: "one_failed" }, () => "!", {}).after(
      join,
    );
  },
);

/** A failure seen through every rule that looks at one. */
const failures = dag({ id: "tr_failures", schedule: null }, () => {
  const ok = task({ taskId: "ok" }, () => "fine", {});
  const boom = task(
    { taskId: "boom" },
    () => {
      throw new Error("it broke");
    },
    {},
  );
  task({ taskId: "all_done", triggerRule: "all_done" }, () => 1, {}).after(
    ok,
    boom,
  );
  task({ taskId: "one_failed", triggerRule: "one_failed" }, () => 1, {}).after(
    boom,
  );
  task(
    { taskId: "none_failed", triggerRule: "none_failed" },
    () => 1,
    {},
  ).after(ok, boom);
  task(
    { taskId: "one_success", triggerRule: "one_success" },
    () => 1,
    {},
  ).after(ok, boom);
  task({ taskId: "all_success" }, () => 1, {}).after(ok, boom);
});

/** A branch whose code names a task that is not right after it. */
const stray = dag({ id: "tr_stray", schedule: null }, () => {
  const pick = branch({ taskId: "pick" }, () => "nope", {});
  task({ taskId: "yes" }, () => 1, {}).after(pick);
});

/** Airflow's TypeScript SDK: dag.if and dag.switch over a group, with a join under a trigger rule. */
const sdk = new AirflowDag("sdk_branches", {
  params: { amount: 5, region: "north" },
});
const amount = sdk.task("amount", () => getContext().params.amount as number)();
const big = sdk.task("big", () => "big")();
const small = sdk.task("small", () => "small")();
sdk
  .if(sdk.task("is_big", ({ n }: { n: number }) => n > 10)({ n: amount }))
  .then(big)
  .else(small);
sdk.task(
  "report",
  ({ b, s }: { b: string | null; s: string | null }) =>
    `${b ?? "-"}/${s ?? "-"}`,
  { triggerRule: "none_failed_min_one_success" },
)({ b: big, s: small });
const regions = sdk.taskGroup("regions");
const north = regions.task("north", () => "N")();
const south = regions.task("south", () => "S")();
const tail = regions.task("south_tail", () => "S!")();
south.before(tail);
sdk
  .switch(
    sdk.task("route", () =>
      getContext().params.region === "north" ? north : south,
    )(),
  )
  .case(north)
  .case(south);
sdk
  .if(sdk.task("not_a_boolean", () => "yes" as unknown as boolean)())
  .then(sdk.task("never", () => 0)());

describe("trigger rules and branching, run by Restate", () => {
  let stack: TemporaryRestate;
  const client = dagRunClient(() => stack.ingress);
  beforeAll(async () => {
    stack = await startTemporaryRestate("poekhali-trigger-rules-");
    await stack.deploy(
      [branching, failures, stray, compileAirflowDag(sdk).dag].map((d) =>
        dagWorkflow(d, { connections: new StaticConnections([]) }),
      ),
    );
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
  });

  const outputs = async (dagId: string, runId: string, taskId: string) =>
    stack.ingress.call<{ value: unknown } | null>(
      { service: dagId, handler: "xcom", key: runId },
      { task_id: taskId },
    );

  it("skips the path a branch did not take, and joins on the one it took", async () => {
    await client.start("tr_branch", "small", { n: 5 });
    await client.start("tr_branch", "big", { n: 50 });
    const small = await client.finished("tr_branch", "small");
    expect(small.dag_run.state).toBe("success");
    expect(taskStatesOf(small)).toEqual({
      count: "success",
      pick: "success",
      big: "skipped",
      small: "success",
      after_big: "skipped",
      join: "success",
      cleanup: "success",
      alert: "skipped",
    });
    expect(await outputs("tr_branch", "small", "join")).toEqual({
      value: "-/small",
    });
    expect(await outputs("tr_branch", "small", "pick")).toEqual({
      value: "small",
    });
    const big = await client.finished("tr_branch", "big");
    expect(taskStatesOf(big)).toMatchObject({
      big: "success",
      small: "skipped",
      after_big: "success",
      join: "success",
    });
    expect(await outputs("tr_branch", "big", "join")).toEqual({
      value: "BIG/-",
    });
    expect(small.task_instances.find((t) => t.task_id === "big")?.note).toBe(
      '"pick" chose "small"',
    );
  });

  it("runs, skips or fails each task after a failure as its rule says", async () => {
    await client.start("tr_failures", "f1");
    const run = await client.finished("tr_failures", "f1");
    expect(run.dag_run.state).toBe("failed");
    expect(taskStatesOf(run)).toEqual({
      ok: "success",
      boom: "failed",
      all_done: "success",
      one_failed: "success",
      none_failed: "upstream_failed",
      one_success: "success",
      all_success: "upstream_failed",
    });
  });

  it("fails a branch that names a task not right after it, saying which", async () => {
    await client.start("tr_stray", "s1");
    const run = await client.finished("tr_stray", "s1");
    expect(taskStatesOf(run)).toEqual({
      pick: "failed",
      yes: "upstream_failed",
    });
    expect(run.task_instances[0]?.note).toBe(
      'Error: it chose "nope", which is not right downstream of it ("yes")',
    );
  });

  it("refuses a misspelt trigger rule when the DAG is declared, naming the closest", () => {
    expect(() =>
      dag({ id: "tr_typo", schedule: null }, () => {
        task(
          { taskId: "t", triggerRule: "none_faild" as "none_failed" },
          () => 1,
          {},
        );
      }),
    ).toThrow(
      /task "t": "none_faild" is not a trigger rule \(did you mean "none_failed"\?\)/,
    );
  });

  it("runs dag.if and dag.switch of Airflow's TypeScript SDK: the sides not chosen are skipped", async () => {
    await client.start("sdk_branches", "north_small");
    await client.start("sdk_branches", "south_big", {
      amount: 50,
      region: "south",
    });
    const one = await client.finished("sdk_branches", "north_small");
    expect(taskStatesOf(one)).toEqual({
      amount: "success",
      big: "skipped",
      small: "success",
      is_big: "success",
      report: "success",
      "regions.north": "success",
      "regions.south": "skipped",
      "regions.south_tail": "skipped",
      route: "success",
      not_a_boolean: "failed",
      never: "upstream_failed",
    });
    expect(await outputs("sdk_branches", "north_small", "report")).toEqual({
      value: "-/small",
    });
    expect(await outputs("sdk_branches", "north_small", "route")).toEqual({
      value: "regions.north",
    });
    expect(
      one.task_instances.find((t) => t.task_id === "not_a_boolean")?.note,
    ).toContain(
      'task "not_a_boolean" decides dag.if(...) and must return true or false, not "yes"',
    );
    const two = await client.finished("sdk_branches", "south_big");
    expect(taskStatesOf(two)).toMatchObject({
      big: "success",
      small: "skipped",
      "regions.north": "skipped",
      "regions.south": "success",
      "regions.south_tail": "success",
    });
    expect(await outputs("sdk_branches", "south_big", "report")).toEqual({
      value: "big/-",
    });
  });
});
