import type { TaskContext } from "./context.js";
import type { TriggeredBy } from "./dag-run-starter.js";
import { SkipTask } from "./errors.js";
import type { JsonObject } from "./json.js";
import {
  BaseSensor,
  type PokeResult,
  type PokeSensorOptions,
} from "./poke-sensor.js";
import type { DagRunState } from "./task-instance.js";
import type { Arg } from "./xcom.js";

/** What TriggerDagRunOperator takes (Airflow's arguments of the same names, camel-cased). */
export interface TriggerDagRunOptions extends Omit<
  PokeSensorOptions,
  "softFail"
> {
  /** The DAG to start a run of. */
  readonly triggerDagId: string;
  /** The new run's id; by default one naming this run and task, so a try repeated never starts a second run. */
  readonly triggerRunId?: Arg<string | null>;
  readonly conf?: Arg<JsonObject>;
  /** ISO 8601; the new run's logical date (else when it starts). */
  readonly logicalDate?: Arg<string | null>;
  /** Wait until the run ends, checking every `pokeInterval` (60 s by default) on a durable timer. */
  readonly waitForCompletion?: boolean;
  /** With `waitForCompletion`: the end states that make this task succeed; `["success"]` by default. */
  readonly allowedStates?: readonly DagRunState[];
  /** With `waitForCompletion`: the end states that make this task fail; `["failed"]` by default. */
  readonly failedStates?: readonly DagRunState[];
  /** A run with that id started by someone else: skip this task instead of failing it. */
  readonly skipWhenAlreadyExists?: boolean;
}

interface TriggerArgs {
  readonly run_id: string | null;
  readonly conf: JsonObject;
  readonly logical_date: string | null;
}

/** What the task's XCom holds: which run it started (Airflow pushes `trigger_run_id`). */
export interface TriggeredRun extends JsonObject {
  readonly trigger_dag_id: string;
  readonly trigger_run_id: string;
}

const sameTask = (a: TriggeredBy | null, b: TriggeredBy) =>
  a !== null &&
  a.dag_id === b.dag_id &&
  a.run_id === b.run_id &&
  a.task_id === b.task_id;

/**
 * Starts a run of another DAG (Airflow's TriggerDagRunOperator), and with `waitForCompletion` waits for it to end
 * on a durable timer, holding no worker between checks. The run it starts remembers this task, so a try repeated
 * after a crash finds its own run instead of starting a second one, and a run someone else started under the same
 * id is told apart (fail, or skip with `skipWhenAlreadyExists`).
 *
 * @example
 * new TriggerDagRunOperator({ taskId: "report", triggerDagId: "weekly_report", conf: { week: params.week } });
 */
export class TriggerDagRunOperator extends BaseSensor<
  TriggerArgs,
  TriggeredRun
> {
  readonly title: string;
  readonly triggerDagId: string;
  readonly waitForCompletion: boolean;
  readonly allowedStates: readonly DagRunState[];
  readonly failedStates: readonly DagRunState[];
  readonly skipWhenAlreadyExists: boolean;

  constructor(options: TriggerDagRunOptions) {
    super(
      { mode: "reschedule", ...options },
      {
        run_id: options.triggerRunId ?? null,
        conf: options.conf ?? {},
        logical_date: options.logicalDate ?? null,
      },
    );
    this.triggerDagId = options.triggerDagId;
    this.waitForCompletion = options.waitForCompletion ?? false;
    this.allowedStates = options.allowedStates ?? ["success"];
    this.failedStates = options.failedStates ?? ["failed"];
    this.skipWhenAlreadyExists = options.skipWhenAlreadyExists ?? false;
    this.title = `start a run of ${options.triggerDagId}`;
  }

  override async poke(
    args: TriggerArgs,
    context: TaskContext,
  ): Promise<PokeResult<TriggeredRun>> {
    const runs = context.runs;
    if (!runs)
      throw new Error(
        `task "${context.taskId}" starts a run of "${this.triggerDagId}" and needs a worker to do it (no run starter here)`,
      );
    const me: TriggeredBy = {
      dag_id: context.dagId,
      run_id: context.runId,
      task_id: context.taskId,
    };
    const runId =
      args.run_id ??
      `triggered__${context.dagId}__${context.runId}__${context.taskId}`;
    const output: TriggeredRun = {
      trigger_dag_id: this.triggerDagId,
      trigger_run_id: runId,
    };
    let found = await runs.find(this.triggerDagId, runId);
    if (!found) {
      const started = await runs.trigger(this.triggerDagId, runId, {
        conf: args.conf,
        ...(args.logical_date ? { logical_date: args.logical_date } : {}),
        triggered_by: me,
      });
      if (started === "started") {
        context.log.info(`started run ${runId} of ${this.triggerDagId}`);
        return this.waitForCompletion ? false : { done: true, value: output };
      }
      // Taken, but not started yet: whose it is shows once it has started.
      found = await runs.find(this.triggerDagId, runId);
      if (!found) return false;
    }
    if (!sameTask(found.triggered_by, me)) {
      const taken = `DAG run "${runId}" of "${this.triggerDagId}" already exists, and this task did not start it`;
      if (this.skipWhenAlreadyExists) throw new SkipTask(taken);
      throw Object.assign(new Error(taken), { retryable: false });
    }
    if (!this.waitForCompletion) return { done: true, value: output };
    if (this.failedStates.includes(found.state))
      throw Object.assign(
        new Error(`run ${runId} of ${this.triggerDagId} ended ${found.state}`),
        { retryable: false },
      );
    if (this.allowedStates.includes(found.state))
      return { done: true, value: output };
    context.log.info(`run ${runId} of ${this.triggerDagId} is ${found.state}`);
    return false;
  }
}
