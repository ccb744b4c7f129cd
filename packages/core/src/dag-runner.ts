import "./polyfill.js";
import * as restate from "@restatedev/restate-sdk";
import type { Connections } from "./connections.js";
import type { TaskContext, TaskLogger } from "./context.js";
import type { Dag } from "./dag.js";
import { toMillis } from "./duration.js";
import { ConfError } from "./errors.js";
import type { Json, JsonObject } from "./json.js";
import { BaseOperator } from "./operator.js";
import { DeferrableSensor } from "./sensor.js";
import type { DagRun, DagRunState, TaskInstance, TaskState } from "./task-instance.js";
import { resolveArg, resolveArgs, type ArgScope } from "./xcom.js";

/** One log line of a task try, as the worker's sink receives it. */
export interface TaskLogLine {
  readonly dagId: string;
  readonly runId: string;
  readonly taskId: string;
  readonly tryNumber: number;
  readonly level: "info" | "warn" | "error";
  readonly message: string;
}

/** What the worker lends every run: connections and a place for log lines. */
export interface WorkerRuntime {
  readonly connections: Connections;
  readonly log?: (line: TaskLogLine) => void;
}

/** A try's result, journaled as the step's value; `ended_at` is read inside the step, saving a journaled clock read. */
type Outcome = ({ ok: true; value: Json } | { ok: false; error: string; retryable: boolean }) & { started_at: string; ended_at: string };

/** Runs one DAG run inside its Restate workflow handler, keeping task states in workflow state. */
export class DagRunner {
  readonly #outputs = new Map<string, Json>();
  readonly #instances = new Map<string, TaskInstance>();
  #params: JsonObject = {};
  /** The latest journaled time this run has seen: a free stand-in for "now" between sequential steps. */
  #clock = "";
  #run!: DagRun;

  constructor(
    private readonly ctx: restate.WorkflowContext,
    private readonly dag: Dag,
    private readonly runtime: WorkerRuntime,
  ) {}

  /** Runs every task in order and returns the run's final state; a failed run ends in a TerminalError. */
  async run(conf: Record<string, unknown>): Promise<{ dag_run_id: string; state: DagRunState }> {
    try {
      this.#params = this.dag.parseConf(conf);
    } catch (error) {
      if (error instanceof ConfError) throw new restate.TerminalError(error.message, { errorCode: 400 });
      throw error;
    }
    const started = await this.#now();
    this.#run = {
      dag_id: this.dag.id,
      dag_run_id: this.ctx.key,
      state: "running",
      conf,
      logical_date: started,
      start_date: started,
      end_date: null,
    };
    for (const t of this.dag.tasks) {
      this.#instances.set(t.taskId, { task_id: t.taskId, state: "scheduled", start_date: null, end_date: null, try_number: 0 });
    }
    this.#save();

    for (const t of this.dag.tasks) {
      const upstream = t.upstreamTaskIds.map((id) => this.#instances.get(id)?.state);
      if (upstream.some((s) => s === "failed" || s === "upstream_failed")) this.#set(t.taskId, { state: "upstream_failed" });
      else if (upstream.some((s) => s === "skipped")) this.#set(t.taskId, { state: "skipped" });
      else if (t instanceof BaseOperator) await this.#runOperator(t as BaseOperator<object, Json>);
      else if (t instanceof DeferrableSensor) await this.#runSensor(t as DeferrableSensor<object, Json, Json>);
      else throw new restate.TerminalError(`task "${t.taskId}" is neither an operator nor a sensor`);
    }

    const failed = [...this.#instances.values()].filter((ti) => ti.state === "failed");
    this.#run.state = failed.length > 0 ? "failed" : "success";
    this.#run.end_date = await this.#now();
    this.#save();
    if (failed.length > 0) {
      const why = failed.map((ti) => `task "${ti.task_id}" failed${ti.note ? `: ${ti.note}` : ""}`).join("; ");
      throw new restate.TerminalError(`DAG run ${this.ctx.key} failed: ${why}`);
    }
    return { dag_run_id: this.ctx.key, state: this.#run.state };
  }

  async #runOperator(op: BaseOperator<object, Json>): Promise<void> {
    for (let tryNumber = 1; ; tryNumber++) {
      // Shown while the step runs; the step's own start replaces it when it ends (a retry reads the clock anew).
      const shownStart = tryNumber === 1 && this.#clock ? this.#clock : await this.#now();
      this.#set(op.taskId, { state: "running", try_number: tryNumber, start_date: shownStart, end_date: null });
      const context = this.#taskContext(op.taskId, tryNumber);
      const step = `${op.taskId}: ${op.title}${tryNumber > 1 ? ` (try ${tryNumber})` : ""}`;
      // Failures come back as values so that Airflow's retries, not Restate's, decide what happens next.
      const outcome = await this.ctx.run(step, async (): Promise<Outcome> => {
        const started_at = new Date().toISOString();
        try {
          const args = resolveArgs(op.args, this.#scope());
          const value = (await op.execute(args, context)) ?? null;
          return { ok: true, value, started_at, ended_at: new Date().toISOString() };
        } catch (error) {
          context.log.error(describe(error));
          const retryable = !(error instanceof restate.TerminalError);
          return { ok: false, error: describe(error), retryable, started_at, ended_at: new Date().toISOString() };
        }
      });
      this.#clock = outcome.ended_at;
      const times = { start_date: outcome.started_at, end_date: outcome.ended_at };
      if (outcome.ok) {
        this.#outputs.set(op.taskId, outcome.value);
        this.#set(op.taskId, { state: "success", ...times });
        return;
      }
      const retry = outcome.retryable && tryNumber <= op.retries;
      this.#set(op.taskId, { state: retry ? "up_for_retry" : "failed", ...times, note: outcome.error });
      if (!retry) return;
      await this.ctx.sleep(toMillis(op.retryDelay), `${op.taskId}: wait before try ${tryNumber + 1}`);
    }
  }

  async #runSensor(sensor: DeferrableSensor<object, Json, Json>): Promise<void> {
    this.#set(sensor.taskId, { state: "deferred", try_number: 1, start_date: await this.#now(), end_date: null });
    const context = this.#taskContext(sensor.taskId, 1);
    const scope = this.#scope();
    const args = resolveArgs(sensor.args, scope);
    const timeout = resolveArg(sensor.timeout, scope);
    const softFail = resolveArg(sensor.softFail, scope);
    const awakeable = this.ctx.awakeable<Json>();
    sensor.defer(args, {
      ...context,
      triggerId: awakeable.id,
      send: (target, payload) => {
        this.ctx.genericSend({
          service: target.service,
          method: target.handler,
          ...(target.key === undefined ? {} : { key: target.key }),
          parameter: payload,
          inputSerde: restate.serde.json,
        });
      },
    });
    try {
      const event = await (timeout === null ? awakeable.promise : awakeable.promise.orTimeout(toMillis(timeout)));
      this.#outputs.set(sensor.taskId, sensor.complete(event, args));
      this.#set(sensor.taskId, { state: "success", end_date: await this.#now() });
    } catch (error) {
      if (error instanceof restate.TimeoutError) {
        await this.ctx.run(`${sensor.taskId}: ${sensor.title} timed out`, async () => {
          try {
            await sensor.onTimeout(args, context);
          } catch (hookError) {
            context.log.warn(`after the timeout: ${describe(hookError)}`);
          }
        });
        const state: TaskState = softFail ? "skipped" : "failed";
        this.#set(sensor.taskId, { state, end_date: await this.#now(), note: `no event within ${String(timeout)}` });
      } else if (error instanceof restate.TerminalError && !(error instanceof restate.CancelledError)) {
        this.#set(sensor.taskId, { state: "failed", end_date: await this.#now(), note: error.message });
      } else {
        throw error;
      }
    }
  }

  #taskContext(taskId: string, tryNumber: number): TaskContext {
    const dagId = this.dag.id;
    const runId = this.ctx.key;
    const logicalDate = new Date(this.#run.logical_date);
    const sink = this.runtime.log;
    const emit = (level: "info" | "warn" | "error") => (message: string) =>
      sink?.({ dagId, runId, taskId, tryNumber, level, message });
    const log: TaskLogger = { info: emit("info"), warn: emit("warn"), error: emit("error") };
    return { dagId, runId, taskId, tryNumber, logicalDate, params: this.#params, log, connections: this.runtime.connections };
  }

  #scope(): ArgScope {
    return { outputs: this.#outputs, params: this.#params };
  }

  #set(taskId: string, patch: Partial<TaskInstance>): void {
    const current = this.#instances.get(taskId);
    if (current) this.#instances.set(taskId, { ...current, ...patch });
    this.#save();
  }

  #save(): void {
    this.ctx.set("dag_run", this.#run);
    this.ctx.set("task_instances", [...this.#instances.values()]);
  }

  async #now(): Promise<string> {
    this.#clock = new Date(await this.ctx.date.now()).toISOString();
    return this.#clock;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
