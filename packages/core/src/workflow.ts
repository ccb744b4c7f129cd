import "./polyfill.js";
import * as restate from "@restatedev/restate-sdk";
import type { Dag } from "./dag.js";
import { toMillis } from "./duration.js";
import { BaseOperator } from "./operator.js";
import { DeferrableOperator } from "./deferrable-operator.js";
import { DagRunner } from "./dag-runner.js";
import { logKey, xcomKey, type RunResume } from "./run-resume.js";
import type { TriggeredBy } from "./dag-run-starter.js";
import type { Json } from "./json.js";
import type { WorkerRuntime } from "./task-context.js";
import type {
  DagRun,
  DagRunState,
  DagRunStatus,
  TaskInstance,
} from "./task-instance.js";

/** The input of a DAG workflow's `run` handler: the trigger-time conf, and the logical date if the trigger gave one. */
export interface DagRunInput {
  readonly conf?: Record<string, unknown>;
  /** ISO 8601; without it the run's logical date is when it starts. */
  readonly logical_date?: string;
  /** The task of another run that started this one (Airflow's TriggerDagRunOperator). */
  readonly triggered_by?: TriggeredBy;
  /** Set when a finished run is started again after a clear or a state set by hand (see {@link RunResume}). */
  readonly resume?: RunResume;
}

const DAY_MS = 86_400_000;

/** How long a DAG run waits on something still open (an awakeable, a timer, a call) before Restate suspends it. */
export const DAG_INACTIVITY_TIMEOUT_MS = 2_000;

/**
 * Compiles a DAG to a Restate workflow: one run is one workflow key (the `dag_run_id`),
 * each task one or more journaled steps, task states kept in the workflow's state.
 *
 * @example
 * const endpoint = createEndpointHandler({ services: [dagWorkflow(myDag, { connections })] });
 */
export function dagWorkflow(dag: Dag, runtime: WorkerRuntime) {
  // A step runs without a word to restate-server; past inactivity + abort timeout it is aborted and run again.
  // So the abort timeout outlasts the longest execution timeout a task declares.
  const longestStep = Math.max(
    0,
    ...dag.tasks.map((t) =>
      // A deferrable operator's execution timeout bounds a parked wait, not a step.
      t instanceof BaseOperator &&
      !(t instanceof DeferrableOperator) &&
      t.executionTimeout !== null
        ? toMillis(t.executionTimeout)
        : 0,
    ),
  );
  return restate.workflow({
    name: dag.id,
    description: dag.description,
    options: {
      // A parked run holds an HTTP/2 stream, and the worker its journal, until this passes, then suspends: 2 s keeps
      // a burst of parked runs from piling up in the worker (at 5 s, 5 s of triggers were open at once), while 1 s
      // suspended so many runs waiting briefly on the Airtable writer that 5,000 at once had their streams cut.
      inactivityTimeout: DAG_INACTIVITY_TIMEOUT_MS,
      // Steps that legitimately take long must still finish within this after a suspension request.
      abortTimeout: Math.max(120_000, longestStep + 60_000),
      workflowRetention: 30 * DAY_MS,
      journalRetention: 30 * DAY_MS,
    },
    handlers: {
      run: async (ctx: restate.WorkflowContext, input: DagRunInput | null) =>
        new DagRunner(ctx, dag, runtime).run(
          input?.conf ?? {},
          input?.logical_date,
          input?.resume,
          input?.triggered_by,
        ),
      xcom: restate.handlers.workflow.shared(
        async (
          ctx: restate.WorkflowSharedContext,
          input: { task_id: string },
        ): Promise<{ value: Json } | null> => {
          const keys = await ctx.stateKeys();
          return keys.includes(xcomKey(input.task_id))
            ? { value: (await ctx.get<Json>(xcomKey(input.task_id))) ?? null }
            : null;
        },
      ),
      logs: restate.handlers.workflow.shared(
        async (
          ctx: restate.WorkflowSharedContext,
          input: { task_id: string; try_number: number },
        ): Promise<string[] | null> =>
          ctx.get<string[]>(logKey(input.task_id, input.try_number)),
      ),
      status: restate.handlers.workflow.shared(
        async (
          ctx: restate.WorkflowSharedContext,
        ): Promise<DagRunStatus | null> => {
          const run = await ctx.get<DagRun>("dag_run");
          if (!run) return null;
          return {
            dag_run: run,
            task_instances:
              (await ctx.get<TaskInstance[]>("task_instances")) ?? [],
          };
        },
      ),
    },
  });
}

/** The Restate workflow a DAG compiles to. */
export type DagWorkflow = ReturnType<typeof dagWorkflow>;

/** The result of a successful run. */
export type DagRunResult = { dag_run_id: string; state: DagRunState };
