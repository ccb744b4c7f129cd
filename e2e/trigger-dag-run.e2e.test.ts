import "@poekhali/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  StaticConnections,
  TriggerDagRunOperator,
  dag,
  dagWorkflow,
  task,
  template,
} from "@poekhali/core";
import { Dag as AirflowDag, compileAirflowDag } from "@poekhali/core/airflow";
import {
  startTemporaryRestate,
  type TemporaryRestate,
} from "../packages/poekhali/src/restate/temporary-restate.js";
import { ingressRunStarter } from "../packages/poekhali/src/worker/run-starter.js";
import { dagRunClient, taskStatesOf } from "./dag-run-client.js";

const child = dag(
  {
    id: "tdr_child",
    schedule: null,
    params: z.object({
      n: z.number().default(1),
      fail: z.boolean().default(false),
    }),
  },
  ({ params }) => {
    task(
      { taskId: "double" },
      ({ n, fail }: { n: number; fail: boolean }) => {
        if (fail) throw new Error("the child was asked to fail");
        return n * 2;
      },
      { n: params.n, fail: params.fail },
    );
  },
);

const withConf = dag(
  {
    id: "tdr_conf",
    schedule: null,
    params: z.object({
      n: z.number().default(2),
      fail: z.boolean().default(false),
    }),
  },
  ({ params }) => {
    new TriggerDagRunOperator({
      taskId: "start_child",
      triggerDagId: "tdr_child",
      conf: template(
        ({ n, fail }: { n: number; fail: boolean }) => ({ n, fail }),
        {
          n: params.n,
          fail: params.fail,
        },
      ),
      waitForCompletion: true,
      pokeInterval: "100ms",
    });
  },
);
/** Asks for a run whose conf the child refuses: the child ends at once, and the wait must see it. */
const badConf = dag({ id: "tdr_bad_conf", schedule: null }, () => {
  new TriggerDagRunOperator({
    taskId: "start_child",
    triggerDagId: "tdr_child",
    conf: { n: "many" },
    waitForCompletion: true,
    pokeInterval: "100ms",
  });
});
const taken = dag(
  {
    id: "tdr_taken",
    schedule: null,
    params: z.object({ skip: z.boolean().default(false) }),
  },
  () => {
    new TriggerDagRunOperator({
      taskId: "start_child",
      triggerDagId: "tdr_child",
      triggerRunId: "someone_elses",
    });
    new TriggerDagRunOperator({
      taskId: "skip_if_taken",
      triggerDagId: "tdr_child",
      triggerRunId: "someone_elses",
      skipWhenAlreadyExists: true,
    });
    new TriggerDagRunOperator({
      taskId: "nowhere",
      triggerDagId: "no_such_dag",
      retries: 3,
    });
  },
);

const sdk = new AirflowDag("tdr_sdk");
const first = sdk.task("first", () => "ready")();
sdk
  .triggerDagRun({
    taskId: "start_child",
    dagId: "tdr_child",
    conf: { n: 21 },
    waitForCompletion: true,
    pokeInterval: 0.1,
  })
  .after(first);

describe("a task that starts a run of another DAG (TriggerDagRunOperator)", () => {
  let stack: TemporaryRestate;
  const client = dagRunClient(() => stack.ingress);
  beforeAll(async () => {
    stack = await startTemporaryRestate("poekhali-trigger-dag-run-");
    const runtime = {
      connections: new StaticConnections([]),
      runs: ingressRunStarter(stack.ingress.url),
    };
    await stack.deploy(
      [child, withConf, badConf, taken, compileAirflowDag(sdk).dag].map((d) =>
        dagWorkflow(d, runtime),
      ),
    );
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
  });

  const xcom = async (dagId: string, runId: string, taskId: string) =>
    stack.ingress.call<{ value: unknown } | null>(
      { service: dagId, handler: "xcom", key: runId },
      { task_id: taskId },
    );

  it("starts the run once, waits for it to end, and the run it started names it", async () => {
    await client.start("tdr_conf", "c1", { n: 4 });
    const run = await client.finished("tdr_conf", "c1");
    expect(taskStatesOf(run)).toEqual({ start_child: "success" });
    const childRunId = "triggered__tdr_conf__c1__start_child";
    expect(await xcom("tdr_conf", "c1", "start_child")).toEqual({
      value: { trigger_dag_id: "tdr_child", trigger_run_id: childRunId },
    });
    const started = await client.finished("tdr_child", childRunId);
    expect(started.dag_run.conf).toEqual({ n: 4, fail: false });
    expect(started.dag_run.triggered_by).toEqual({
      dag_id: "tdr_conf",
      run_id: "c1",
      task_id: "start_child",
    });
    expect(await xcom("tdr_child", childRunId, "double")).toEqual({ value: 8 });
  });

  it("fails when the run it waits for fails", async () => {
    await client.start("tdr_conf", "c2", { fail: true });
    const run = await client.finished("tdr_conf", "c2");
    expect(taskStatesOf(run)).toEqual({ start_child: "failed" });
    expect(run.task_instances[0]?.note).toContain(
      "run triggered__tdr_conf__c2__start_child of tdr_child ended failed",
    );
  });

  it("fails, not waits forever, when the run it started refuses its conf", async () => {
    await client.start("tdr_bad_conf", "b1");
    const run = await client.finished("tdr_bad_conf", "b1");
    expect(taskStatesOf(run)).toEqual({ start_child: "failed" });
    const started = await client.status(
      "tdr_child",
      "triggered__tdr_bad_conf__b1__start_child",
    );
    expect(started?.dag_run.state).toBe("failed");
    expect(started?.dag_run.conf).toEqual({ n: "many" });
  });

  it("tells a run someone else started under the id apart: fails, or skips when told to", async () => {
    await client.start("tdr_child", "someone_elses");
    await client.finished("tdr_child", "someone_elses");
    await client.start("tdr_taken", "t1");
    const run = await client.finished("tdr_taken", "t1");
    expect(taskStatesOf(run)).toEqual({
      start_child: "failed",
      skip_if_taken: "skipped",
      nowhere: "failed",
    });
    const note = (id: string) =>
      run.task_instances.find((t) => t.task_id === id)?.note;
    expect(note("start_child")).toContain(
      'DAG run "someone_elses" of "tdr_child" already exists, and this task did not start it',
    );
    expect(note("skip_if_taken")).toBe(
      'DAG run "someone_elses" of "tdr_child" already exists, and this task did not start it',
    );
    // No retry can make a DAG appear: the task fails at its first try.
    expect(note("nowhere")).toContain('there is no DAG "no_such_dag"');
    expect(
      run.task_instances.find((t) => t.task_id === "nowhere")?.try_number,
    ).toBe(1);
  });

  it("runs dag.triggerDagRun of Airflow's TypeScript SDK after the task it is ordered after", async () => {
    await client.start("tdr_sdk", "s1");
    const run = await client.finished("tdr_sdk", "s1");
    expect(taskStatesOf(run)).toEqual({
      first: "success",
      start_child: "success",
    });
    const started = await client.finished(
      "tdr_child",
      "triggered__tdr_sdk__s1__start_child",
    );
    expect(started.dag_run.conf).toEqual({ n: 21 });
  });
});
