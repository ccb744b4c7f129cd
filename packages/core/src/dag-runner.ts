import "./polyfill.js";
import * as restate from "@restatedev/restate-sdk";
import type { TaskContext } from "./context.js";
import type { Dag } from "./dag.js";
import { toMillis } from "./duration.js";
import { ConfError } from "./errors.js";
import type { Json, JsonObject } from "./json.js";
import { BaseOperator } from "./operator.js";
import { DeferrableSensor } from "./sensor.js";
import { taskContext, type WorkerRuntime } from "./task-context.js";
import type { DagRun, DagRunState, TaskInstance, TaskState } from "./task-instance.js";
import { resolveArg, resolveArgs } from "./xcom.js";

/** A try's result, journaled as the step's value; its times are read inside the step, saving journaled clock reads. */
type Outcome = ({ ok: true; value: Json } | { ok: false; error: string; retryable: boolean }) & {
  started_at: string;
  ended_at: string;
};

/** What one in-flight durable promise of a task settled with. */
type Settled =
  | { taskId: string; kind: "try"; outcome: Outcome }
  | { taskId: string; kind: "retry-due" }
  | { taskId: string; kind: "event"; event: Json }
  | { taskId: string; kind: "event-failed"; failure: restate.TerminalError };

type AnySensor = DeferrableSensor<object, Json, Json>;
type AnyOperator = BaseOperator<object, Json>;

const FINISHED: readonly TaskState[] = ["success", "failed", "skipped", "upstream_failed"];

/**
 * Runs one DAG run inside its Restate workflow handler. Every task try is one durable promise (a step, a
 * timer or an awakeable); ready tasks start together and `RestatePromise.race`, whose order Restate journals,
 * picks the next to handle, so independent branches run concurrently and replays stay deterministic.
 */
export class DagRunner {
  readonly #outputs = new Map<string, Json>();
  readonly #instances = new Map<string, TaskInstance>();
  readonly #inFlight = new Map<string, restate.RestatePromise<Settled>>();
  readonly #sensorArgs = new Map<string, { args: object; timeout: string | number | null; softFail: boolean }>();
  #params: JsonObject = {};
  /** The latest journaled time this run has seen: a free stand-in for "now" when a step starts. */
  #clock = "";
  #run!: DagRun;

  constructor(
    private readonly ctx: restate.WorkflowContext,
    private readonly dag: Dag,
    private readonly runtime: WorkerRuntime,
  ) {}

  /** Runs the DAG to its end and returns the run's state; a failed run ends in a TerminalError. */
  async run(conf: Record<string, unknown>): Promise<{ dag_run_id: string; state: DagRunState }> {
    try {
      this.#params = this.dag.parseConf(conf);
    } catch (error) {
      if (error instanceof ConfError) throw new restate.TerminalError(error.message, { errorCode: 400 });
      throw error;
    }
    const started = await this.#now();
    this.#run = { dag_id: this.dag.id, dag_run_id: this.ctx.key, state: "running", conf, logical_date: started, start_date: started, end_date: null };
    for (const t of this.dag.tasks) {
      this.#instances.set(t.taskId, { task_id: t.taskId, state: "scheduled", start_date: null, end_date: null, try_number: 0 });
    }
    this.#save();
    try {
      for (;;) {
        await this.#startReady();
        if (this.#inFlight.size === 0) break;
        const settled = await restate.RestatePromise.race([...this.#inFlight.values()]);
        this.#inFlight.delete(settled.taskId);
        await this.#handle(settled);
      }
    } catch (error) {
      if (error instanceof restate.CancelledError) await this.#cancelled();
      throw error;
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

  /** Starts every task whose upstream all succeeded; propagates failures and skips (Airflow's all_success). */
  async #startReady(): Promise<void> {
    for (const t of this.dag.tasks) {
      if (this.#instances.get(t.taskId)?.state !== "scheduled") continue;
      const upstream = t.upstreamTaskIds.map((id) => this.#instances.get(id)?.state);
      if (upstream.some((s) => s === "failed" || s === "upstream_failed")) this.#set(t.taskId, { state: "upstream_failed" });
      else if (upstream.some((s) => s === "skipped")) this.#set(t.taskId, { state: "skipped" });
      else if (!upstream.every((s) => s === "success")) continue;
      else if (t instanceof BaseOperator) this.#startTry(t as AnyOperator, 1);
      else if (t instanceof DeferrableSensor) await this.#defer(t as AnySensor);
      else throw new restate.TerminalError(`task "${t.taskId}" is neither an operator nor a sensor`);
    }
  }

  #startTry(op: AnyOperator, tryNumber: number): void {
    this.#set(op.taskId, { state: "running", try_number: tryNumber, start_date: this.#clock, end_date: null });
    const context = this.#context(op.taskId, tryNumber);
    const step = `${op.taskId}: ${op.title}${tryNumber > 1 ? ` (try ${tryNumber})` : ""}`;
    // Failures come back as values so that Airflow's retries, not Restate's, decide what happens next.
    const attempt = this.ctx.run(step, async (): Promise<Outcome> => {
      const started_at = new Date().toISOString();
      try {
        const value = (await op.execute(resolveArgs(op.args, this.#scope()), context)) ?? null;
        return { ok: true, value, started_at, ended_at: new Date().toISOString() };
      } catch (error) {
        context.log.error(describe(error));
        const retryable = !(error instanceof restate.TerminalError);
        return { ok: false, error: describe(error), retryable, started_at, ended_at: new Date().toISOString() };
      }
    });
    this.#inFlight.set(
      op.taskId,
      attempt.map((outcome, failure): Settled => {
        if (outcome) return { taskId: op.taskId, kind: "try", outcome };
        const at = this.#clock;
        return { taskId: op.taskId, kind: "try", outcome: { ok: false, error: describe(failure), retryable: false, started_at: at, ended_at: at } };
      }),
    );
  }

  async #defer(sensor: AnySensor): Promise<void> {
    this.#set(sensor.taskId, { state: "deferred", try_number: 1, start_date: await this.#now(), end_date: null });
    const scope = this.#scope();
    const args = resolveArgs(sensor.args, scope);
    const timeout = resolveArg(sensor.timeout, scope);
    this.#sensorArgs.set(sensor.taskId, { args, timeout, softFail: resolveArg(sensor.softFail, scope) });
    const awakeable = this.ctx.awakeable<Json>();
    sensor.defer(args, {
      ...this.#context(sensor.taskId, 1),
      triggerId: awakeable.id,
      send: (target, payload) => {
        const key = target.key === undefined ? {} : { key: target.key };
        this.ctx.genericSend({ service: target.service, method: target.handler, ...key, parameter: payload, inputSerde: restate.serde.json });
      },
    });
    const wait = timeout === null ? awakeable.promise : awakeable.promise.orTimeout(toMillis(timeout));
    this.#inFlight.set(
      sensor.taskId,
      wait.map((event, failure): Settled =>
        failure ? { taskId: sensor.taskId, kind: "event-failed", failure } : { taskId: sensor.taskId, kind: "event", event: event ?? null },
      ),
    );
  }

  async #handle(settled: Settled): Promise<void> {
    const task = this.dag.task(settled.taskId);
    if (settled.kind === "try" && task instanceof BaseOperator) {
      const { outcome } = settled;
      if (outcome.ended_at) this.#clock = outcome.ended_at;
      const times = { start_date: outcome.started_at, end_date: outcome.ended_at };
      if (outcome.ok) {
        this.#outputs.set(task.taskId, outcome.value);
        return this.#set(task.taskId, { state: "success", ...times });
      }
      const tryNumber = this.#instances.get(task.taskId)?.try_number ?? 1;
      const retry = outcome.retryable && tryNumber <= task.retries;
      this.#set(task.taskId, { state: retry ? "up_for_retry" : "failed", ...times, note: outcome.error });
      if (retry) {
        const timer = this.ctx.sleep(toMillis(task.retryDelay), `${task.taskId}: wait before try ${tryNumber + 1}`);
        this.#inFlight.set(task.taskId, timer.map((): Settled => ({ taskId: task.taskId, kind: "retry-due" })));
      }
    } else if (settled.kind === "retry-due" && task instanceof BaseOperator) {
      await this.#now();
      this.#startTry(task as AnyOperator, (this.#instances.get(task.taskId)?.try_number ?? 1) + 1);
    } else if (task instanceof DeferrableSensor) {
      await this.#sensorSettled(task as AnySensor, settled);
    }
  }

  async #sensorSettled(sensor: AnySensor, settled: Settled): Promise<void> {
    const { args, timeout, softFail } = this.#sensorArgs.get(sensor.taskId) ?? { args: {}, timeout: null, softFail: false };
    if (settled.kind === "event") {
      this.#outputs.set(sensor.taskId, sensor.complete(settled.event, args));
      return this.#set(sensor.taskId, { state: "success", end_date: await this.#now() });
    }
    if (settled.kind !== "event-failed") return;
    const { failure } = settled;
    if (failure instanceof restate.CancelledError) throw failure;
    if (failure instanceof restate.TimeoutError) {
      const context = this.#context(sensor.taskId, 1);
      await this.ctx.run(`${sensor.taskId}: ${sensor.title} timed out`, async () => {
        try {
          await sensor.onTimeout(args, context);
        } catch (hookError) {
          context.log.warn(`after the timeout: ${describe(hookError)}`);
        }
      });
      const note = `no event within ${String(timeout)}`;
      return this.#set(sensor.taskId, { state: softFail ? "skipped" : "failed", end_date: await this.#now(), note });
    }
    this.#set(sensor.taskId, { state: "failed", end_date: await this.#now(), note: failure.message });
  }

  /** A cancelled run: what was running or waiting fails, the rest never starts, and the run is failed. */
  async #cancelled(): Promise<void> {
    for (const ti of this.#instances.values()) {
      if (!FINISHED.includes(ti.state)) {
        const started = ti.state !== "scheduled";
        this.#set(ti.task_id, started ? { state: "failed", note: "the run was cancelled" } : { state: "upstream_failed" });
      }
    }
    this.#run.state = "failed";
    this.#run.end_date = await this.#now().catch(() => this.#clock);
    this.#save();
  }

  #context(taskId: string, tryNumber: number): TaskContext {
    const run = { dagId: this.dag.id, runId: this.ctx.key, logicalDate: new Date(this.#run.logical_date), params: this.#params };
    return taskContext(this.runtime, run, taskId, tryNumber);
  }

  #scope() {
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
