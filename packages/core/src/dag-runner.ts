import "./polyfill.js";
import * as restate from "@restatedev/restate-sdk";
import type { TaskContext } from "./context.js";
import type { Dag } from "./dag.js";
import { toMillis, type Duration } from "./duration.js";
import { ConfError } from "./errors.js";
import type { Json, JsonObject } from "./json.js";
import { attempt, describe, type Outcome } from "./attempt.js";
import { BaseOperator } from "./operator.js";
import type { BaseTask } from "./task.js";
import type { TriggeredBy } from "./dag-run-starter.js";
import { BaseSensor, normalise } from "./poke-sensor.js";
import {
  DeferrableSensor,
  type DeferTarget,
  type LastWord,
  type ReleaseReason,
} from "./sensor.js";
import {
  maskSecrets,
  taskContext,
  type WorkerRuntime,
} from "./task-context.js";
import type {
  DagRun,
  DagRunState,
  TaskInstance,
  TaskState,
} from "./task-instance.js";
import { resolveArg, resolveArgs } from "./xcom.js";
import { readiness } from "./trigger-rule.js";
import {
  ended,
  instancesOf,
  logKey,
  RUN_KEY,
  runOf,
  TASK_INSTANCES_KEY,
  xcomKey,
  type RunResume,
} from "./run-resume.js";

/** What one in-flight durable promise of a task settled with. */
type Settled =
  | { taskId: string; kind: "try"; outcome: Outcome }
  | { taskId: string; kind: "retry-due" }
  | { taskId: string; kind: "poke-due" }
  | { taskId: string; kind: "event"; event: Json }
  | { taskId: string; kind: "event-failed"; failure: restate.TerminalError };

type AnySensor = DeferrableSensor<object, Json, Json>;
type AnyOperator = BaseOperator<object, Json>;
type AnyPokeSensor = BaseSensor<object, Json>;

const FINISHED: readonly TaskState[] = [
  "success",
  "failed",
  "skipped",
  "upstream_failed",
];

/**
 * Runs one DAG run inside its Restate workflow handler. Every task try is one durable promise (a step, a
 * timer or an awakeable); ready tasks start together and `RestatePromise.race`, whose order Restate journals,
 * picks the next to handle, so independent branches run concurrently and replays stay deterministic.
 */
export class DagRunner {
  readonly #outputs = new Map<string, Json>();
  readonly #instances = new Map<string, TaskInstance>();
  readonly #inFlight = new Map<string, restate.RestatePromise<Settled>>();
  readonly #sensorArgs = new Map<
    string,
    { args: object; timeout: string | number | null; softFail: boolean }
  >();
  /** When each poking sensor first poked (journaled), to measure its timeout from. */
  readonly #firstPoke = new Map<string, { at: string; pokes: number }>();
  readonly #logs = new Map<string, string[]>();
  /** The try number each task started this invocation with: its retries count from there. */
  readonly #firstTry = new Map<string, number>();
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
  async run(
    conf: Record<string, unknown>,
    /** The trigger's logical date; when none was given, the run's start. */
    logicalDate?: string,
    /** A finished run started again: its kept state, as a clear or a state set by hand left it. */
    resume?: RunResume,
    /** The task of another run that started this one. */
    triggeredBy?: TriggeredBy,
  ): Promise<{ dag_run_id: string; state: DagRunState }> {
    const before = resume ? runOf(resume.state) : null;
    let refused: ConfError | undefined;
    try {
      this.#params = this.dag.parseConf(before?.conf ?? conf);
    } catch (error) {
      if (!(error instanceof ConfError)) throw error;
      refused = error;
    }
    const started = await this.#now();
    this.#run = {
      dag_id: this.dag.id,
      dag_run_id: this.ctx.key,
      state: "running",
      conf: before?.conf ?? conf,
      logical_date: before?.logical_date ?? logicalDate ?? started,
      start_date: started,
      end_date: null,
      ...(before?.clear_number ? { clear_number: before.clear_number } : {}),
      ...((before?.triggered_by ?? triggeredBy)
        ? { triggered_by: before?.triggered_by ?? triggeredBy }
        : {}),
    };
    if (refused) {
      // Kept as a failed run, so whoever reads it (the API, a task that started it) sees it ended, and why.
      this.#run.state = "failed";
      this.#run.end_date = started;
      this.ctx.set(RUN_KEY, this.#run);
      throw new restate.TerminalError(refused.message, { errorCode: 400 });
    }
    const kept = new Map(
      (resume ? instancesOf(resume.state) : []).map((ti) => [ti.task_id, ti]),
    );
    for (const t of this.dag.tasks) {
      this.#instances.set(
        t.taskId,
        kept.get(t.taskId) ?? {
          task_id: t.taskId,
          state: "scheduled",
          start_date: null,
          end_date: null,
          try_number: 0,
        },
      );
    }
    if (resume) this.#restore(resume.state);
    this.#save();
    try {
      for (;;) {
        await this.#startReady();
        if (this.#inFlight.size === 0) break;
        const settled = await restate.RestatePromise.race([
          ...this.#inFlight.values(),
        ]);
        this.#inFlight.delete(settled.taskId);
        await this.#handle(settled);
      }
    } catch (error) {
      if (error instanceof restate.CancelledError) await this.#cancelled();
      throw error;
    }
    const failed = [...this.#instances.values()].filter(
      (ti) => ti.state === "failed" || ti.state === "upstream_failed",
    );
    const markedFailed = resume?.endAs === "failed";
    this.#run.state = failed.length > 0 || markedFailed ? "failed" : "success";
    this.#run.end_date = await this.#now();
    this.#save();
    if (failed.length > 0 || markedFailed) {
      const why = failed
        .map(
          (ti) =>
            `task "${ti.task_id}" ${ti.state === "failed" ? "failed" : "did not run: an upstream task failed"}` +
            (ti.note && ti.state === "failed" ? `: ${ti.note}` : ""),
        )
        .join("; ");
      throw new restate.TerminalError(
        `DAG run ${this.ctx.key} failed: ${why || "it was marked failed"}`,
      );
    }
    return { dag_run_id: this.ctx.key, state: this.#run.state };
  }

  /** Takes over a resumed run's kept outputs and logs, and keeps them in this invocation's state. */
  #restore(state: Readonly<Record<string, Json>>): void {
    for (const [key, value] of Object.entries(state)) {
      if (key === RUN_KEY || key === TASK_INSTANCES_KEY) continue;
      if (key.startsWith("xcom:")) {
        const taskId = key.slice("xcom:".length);
        if (!this.dag.task(taskId)) continue;
        this.#outputs.set(taskId, value);
      } else if (key.startsWith("log:")) {
        this.#logs.set(key, value as string[]);
      } else continue;
      this.ctx.set(key, value);
    }
  }

  /** The try a task starts next: after a clear, the one after its last (Airflow counts tries across clears). */
  #nextTry(taskId: string): number {
    const next = (this.#instances.get(taskId)?.try_number ?? 0) + 1;
    this.#firstTry.set(taskId, next);
    return next;
  }

  /** The try number a task is on now. */
  #tryOf(taskId: string): number {
    return this.#instances.get(taskId)?.try_number || 1;
  }

  /**
   * Starts every task its trigger rule lets run, and ends those it never will (skipped, upstream_failed). Tasks are
   * in topological order, so one pass carries a skip or a failure all the way down.
   */
  async #startReady(): Promise<void> {
    for (const t of this.dag.tasks) {
      if (this.#instances.get(t.taskId)?.state !== "scheduled") continue;
      const upstream = t.upstreamTaskIds.map(
        (id) => this.#instances.get(id)?.state,
      );
      const next = readiness(t.triggerRule, upstream);
      if (next === "wait") continue;
      if (next !== "run") this.#set(t.taskId, { state: next });
      else if (t instanceof BaseOperator)
        this.#startTry(t as AnyOperator, this.#nextTry(t.taskId));
      else if (t instanceof DeferrableSensor) await this.#defer(t as AnySensor);
      else
        throw new restate.TerminalError(
          `task "${t.taskId}" is neither an operator nor a sensor`,
        );
    }
  }

  #startTry(op: AnyOperator, tryNumber: number): void {
    const poking = op instanceof BaseSensor;
    const pokes = poking ? (this.#firstPoke.get(op.taskId)?.pokes ?? 0) + 1 : 0;
    this.#set(op.taskId, {
      state: "running",
      try_number: tryNumber,
      ...(pokes > 1 ? {} : { start_date: this.#clock }),
      end_date: null,
    });
    const what = poking ? `poke ${pokes}` : op.title;
    const step = `${op.taskId}: ${what}${tryNumber > 1 ? ` (try ${tryNumber})` : ""}`;
    const timeout =
      op.executionTimeout === null ? null : toMillis(op.executionTimeout);
    const run = this.ctx.run(step, () =>
      attempt(
        async (signal, kept) => {
          const args = resolveArgs(op.args, this.#scope());
          const context = this.#context(op.taskId, tryNumber, signal, kept);
          if (!poking) return op.execute(args, context);
          return normalise(await (op as AnyPokeSensor).poke(args, context));
        },
        timeout,
        (message, kept) =>
          this.#context(op.taskId, tryNumber, undefined, kept).log.error(
            message,
          ),
        (text) => this.#mask(text),
      ),
    );
    this.#inFlight.set(
      op.taskId,
      run.map((outcome, failure): Settled => {
        if (outcome) return { taskId: op.taskId, kind: "try", outcome };
        const at = this.#clock;
        const outcomeOf = {
          ok: false as const,
          error: describe(failure),
          retryable: false,
          started_at: at,
          ended_at: at,
          log: [],
        };
        return { taskId: op.taskId, kind: "try", outcome: outcomeOf };
      }),
    );
  }

  async #defer(sensor: AnySensor): Promise<void> {
    // The latest journaled time is when the event that made this sensor ready was handled: no clock read needed.
    const start = this.#clock || (await this.#now());
    const tryNumber = this.#nextTry(sensor.taskId);
    this.#set(sensor.taskId, {
      state: sensor.parkedState,
      try_number: tryNumber,
      start_date: start,
      end_date: null,
    });
    const scope = this.#scope();
    const awakeable = this.ctx.awakeable<Json>();
    let timeout: string | number | null;
    let timeoutMs: number | null;
    let args: object | undefined;
    try {
      // Pure by contract (arguments, templates, defer's checks), so a failure here fails the same way on replay.
      args = resolveArgs(sensor.args, scope);
      timeout = resolveArg(sensor.timeout, scope);
      this.#sensorArgs.set(sensor.taskId, {
        args,
        timeout,
        softFail: resolveArg(sensor.softFail, scope),
      });
      timeoutMs = timeout === null ? null : toMillis(timeout);
      sensor.defer(args, {
        ...this.#context(sensor.taskId, tryNumber),
        triggerId: awakeable.id,
        deadline:
          timeoutMs === null
            ? null
            : new Date(Date.parse(start) + timeoutMs).toISOString(),
        send: (target, payload) => this.#send(target, payload),
      });
    } catch (error) {
      if (args) this.#release(sensor, args, "failed");
      return this.#set(sensor.taskId, {
        state: "failed",
        end_date: start,
        note: describe(error),
      });
    }
    const wait =
      timeoutMs === null
        ? awakeable.promise
        : awakeable.promise.orTimeout(timeoutMs);
    this.#inFlight.set(
      sensor.taskId,
      wait.map((event, failure): Settled =>
        failure
          ? { taskId: sensor.taskId, kind: "event-failed", failure }
          : { taskId: sensor.taskId, kind: "event", event: event ?? null },
      ),
    );
  }

  async #handle(settled: Settled): Promise<void> {
    const task = this.dag.task(settled.taskId);
    if (settled.kind === "try" && task instanceof BaseOperator) {
      const op = task as AnyOperator;
      const { outcome } = settled;
      if (outcome.ended_at) this.#clock = outcome.ended_at;
      this.#keepLog(op.taskId, outcome.log ?? []);
      if (outcome.ok && op instanceof BaseSensor)
        return this.#poked(op as AnyPokeSensor, outcome);
      const first = this.#firstPoke.get(op.taskId)?.at;
      const times = {
        start_date: first ?? outcome.started_at,
        end_date: outcome.ended_at,
      };
      if (outcome.ok) {
        this.#output(op.taskId, outcome.value);
        this.#set(op.taskId, { state: "success", ...times });
        return this.#follow(op, outcome.value, times.end_date);
      }
      if (outcome.skipped)
        return this.#set(op.taskId, {
          state: "skipped",
          ...times,
          note: outcome.error,
        });
      const tryNumber = this.#tryOf(op.taskId);
      const nth = tryNumber - (this.#firstTry.get(op.taskId) ?? 1) + 1;
      const retry = outcome.retryable && nth <= op.retries;
      this.#set(op.taskId, {
        state: retry ? "up_for_retry" : "failed",
        ...times,
        note: outcome.error,
      });
      if (retry) {
        // The try that failed goes into the history now: the next try overwrites its times and note.
        const ti = this.#instances.get(op.taskId);
        if (ti)
          this.#set(op.taskId, { tries: [...(ti.tries ?? []), ...ended(ti)] });
      }
      if (!retry) this.#releaseOperator(op, "failed");
      if (retry)
        this.#after(
          op.taskId,
          op.retryDelayAfter(nth),
          `wait before try ${tryNumber + 1}`,
          "retry-due",
        );
    } else if (
      (settled.kind === "retry-due" || settled.kind === "poke-due") &&
      task instanceof BaseOperator
    ) {
      const tryNumber = this.#instances.get(task.taskId)?.try_number ?? 1;
      if (settled.kind === "retry-due") await this.#now();
      this.#startTry(
        task as AnyOperator,
        settled.kind === "retry-due" ? tryNumber + 1 : tryNumber,
      );
    } else if (task instanceof DeferrableSensor) {
      await this.#sensorSettled(task as AnySensor, settled);
    }
  }

  /** A poke answered: done, timed out, or wait for the next (a durable timer either way). */
  #poked(sensor: AnyPokeSensor, outcome: Outcome & { ok: true }): void {
    const seen = this.#firstPoke.get(sensor.taskId);
    const first = {
      at: seen?.at ?? outcome.started_at,
      pokes: (seen?.pokes ?? 0) + 1,
    };
    this.#firstPoke.set(sensor.taskId, first);
    const result = outcome.value as { done: boolean; value: Json };
    if (result.done) {
      this.#output(sensor.taskId, result.value);
      this.#set(sensor.taskId, {
        state: "success",
        start_date: first.at,
        end_date: outcome.ended_at,
      });
      return this.#follow(sensor, result.value, outcome.ended_at);
    }
    const scope = this.#scope();
    let timeout: Duration | null;
    let softFail: boolean;
    let left: number;
    try {
      timeout = resolveArg(sensor.timeout, scope);
      softFail = resolveArg(sensor.softFail, scope);
      left =
        timeout === null
          ? Infinity
          : toMillis(timeout) -
            (Date.parse(outcome.ended_at) - Date.parse(first.at));
    } catch (error) {
      return this.#set(sensor.taskId, {
        state: "failed",
        start_date: first.at,
        end_date: outcome.ended_at,
        note: describe(error),
      });
    }
    if (left <= 0) {
      const state = softFail ? "skipped" : "failed";
      const note = `not done after ${first.pokes} pokes within ${String(timeout)}`;
      return this.#set(sensor.taskId, {
        state,
        start_date: first.at,
        end_date: outcome.ended_at,
        note,
      });
    }
    this.#set(sensor.taskId, {
      state: sensor.mode === "reschedule" ? "up_for_reschedule" : "running",
    });
    this.#after(
      sensor.taskId,
      Math.min(sensor.intervalAfter(first.pokes), left),
      `wait before poke ${first.pokes + 1}`,
      "poke-due",
    );
  }

  /**
   * A task that succeeded chooses which of its direct downstream tasks go on (Airflow's branching); the others end
   * skipped. A choice naming a task that is not right downstream fails the task: the DAG and its code disagree.
   */
  #follow(task: BaseTask<object, Json>, output: Json, at: string): void {
    const downstream = this.dag.tasks
      .filter((t) => t.upstreamTaskIds.includes(task.taskId))
      .map((t) => t.taskId);
    let chosen: readonly string[] | null;
    try {
      chosen = task.follow(output);
      const stray = (chosen ?? []).filter((id) => !downstream.includes(id));
      if (stray.length > 0)
        throw new Error(
          `it chose ${stray.map((id) => `"${id}"`).join(", ")}, which ${stray.length > 1 ? "are" : "is"} not right downstream of it ` +
            `(${downstream.map((id) => `"${id}"`).join(", ") || "nothing is"})`,
        );
    } catch (error) {
      this.#set(task.taskId, {
        state: "failed",
        end_date: at,
        note: describe(error),
      });
      return;
    }
    if (chosen === null) return;
    for (const id of downstream)
      if (
        !chosen.includes(id) &&
        this.#instances.get(id)?.state === "scheduled"
      )
        this.#set(id, {
          state: "skipped",
          note: `"${task.taskId}" chose ${chosen.length > 0 ? chosen.map((c) => `"${c}"`).join(", ") : "none of the tasks after it"}`,
        });
  }

  /** Starts a durable timer after which the task gets a `retry-due` or `poke-due`. */
  #after(
    taskId: string,
    ms: number,
    why: string,
    kind: "retry-due" | "poke-due",
  ): void {
    this.#inFlight.set(
      taskId,
      this.ctx
        .sleep(ms, `${taskId}: ${why}`)
        .map((): Settled => ({ taskId, kind })),
    );
  }

  async #sensorSettled(sensor: AnySensor, settled: Settled): Promise<void> {
    const { args, timeout, softFail } = this.#sensorArgs.get(sensor.taskId) ?? {
      args: {},
      timeout: null,
      softFail: false,
    };
    if (settled.kind === "event") {
      let output: Json;
      let stamped: string | null;
      try {
        // User code outside a step: pure by contract, so a throw here throws the same way on replay.
        output = sensor.complete(settled.event, args);
        stamped = sensor.eventTime(settled.event);
      } catch (error) {
        this.#release(sensor, args, "failed");
        return this.#set(sensor.taskId, {
          state: "failed",
          end_date: await this.#now(),
          note: describe(error),
        });
      }
      this.#output(sensor.taskId, output);
      if (stamped) this.#clock = stamped;
      const end = stamped ?? (await this.#now());
      this.#set(sensor.taskId, { state: "success", end_date: end });
      return this.#follow(sensor, output, end);
    }
    if (settled.kind !== "event-failed") return;
    const { failure } = settled;
    if (failure instanceof restate.CancelledError) throw failure;
    if (failure instanceof restate.TimeoutError) {
      // The event source may have taken an event just before the timer fired: its word decides, not the race.
      let ask: LastWord | null = null;
      try {
        ask = sensor.lastWord(args);
      } catch (error) {
        this.#context(sensor.taskId, this.#tryOf(sensor.taskId)).log.warn(
          `could not ask the event source for a late event: ${describe(error)}`,
        );
      }
      if (ask) {
        let late: Json = null;
        try {
          late = await this.ctx.genericCall<Json, Json>({
            service: ask.target.service,
            method: ask.target.handler,
            ...(ask.target.key === undefined ? {} : { key: ask.target.key }),
            parameter: ask.payload,
            inputSerde: restate.serde.json,
            outputSerde: restate.serde.json,
          });
        } catch (error) {
          if (error instanceof restate.CancelledError) throw error;
          if (!(error instanceof restate.TerminalError)) throw error;
          this.#context(sensor.taskId, this.#tryOf(sensor.taskId)).log.warn(
            `the event source did not answer after the timeout: ${describe(error)}`,
          );
          ask = null;
        }
        if (late !== null && late !== undefined)
          return this.#sensorSettled(sensor, {
            taskId: sensor.taskId,
            kind: "event",
            event: late,
          });
      }
      const context = this.#context(sensor.taskId, this.#tryOf(sensor.taskId));
      await this.ctx.run(
        `${sensor.taskId}: ${sensor.title} timed out`,
        async () => {
          try {
            await sensor.onTimeout(args, context);
          } catch (hookError) {
            context.log.warn(`after the timeout: ${describe(hookError)}`);
          }
        },
      );
      if (!ask) this.#release(sensor, args, "timeout");
      const note = `no event within ${String(timeout)}`;
      return this.#set(sensor.taskId, {
        state: softFail ? "skipped" : "failed",
        end_date: await this.#now(),
        note,
      });
    }
    this.#release(sensor, args, "failed");
    this.#set(sensor.taskId, {
      state: "failed",
      end_date: await this.#now(),
      note: failure.message,
    });
  }

  /** Tells a deferred sensor's event source the run stops waiting; a sensor's own error there is only logged. */
  #release(sensor: AnySensor, args: object, reason: ReleaseReason): void {
    try {
      sensor.release(args, {
        reason,
        send: (target, payload) => this.#send(target, payload),
      });
    } catch (error) {
      this.#context(sensor.taskId, this.#tryOf(sensor.taskId)).log.warn(
        `could not tell the event source the wait ended (${reason}): ${describe(error)}`,
      );
    }
  }

  /** Tells an operator the run gave up on it (a try cut off may have done its work); its own error is only logged. */
  #releaseOperator(op: AnyOperator, reason: "cancelled" | "failed"): void {
    const tryNumber = this.#instances.get(op.taskId)?.try_number ?? 1;
    const context = this.#context(op.taskId, tryNumber);
    try {
      op.release(resolveArgs(op.args, this.#scope()), {
        ...context,
        reason,
        send: (target, payload) => this.#send(target, payload),
      });
    } catch (error) {
      context.log.warn(
        `could not tell what the task began that the run gave up on it (${reason}): ${describe(error)}`,
      );
    }
  }

  /** A journaled one-way message to a Restate handler, sent once however often the run replays. */
  #send(target: DeferTarget, payload: Json): void {
    const key = target.key === undefined ? {} : { key: target.key };
    this.ctx.genericSend({
      service: target.service,
      method: target.handler,
      ...key,
      parameter: payload,
      inputSerde: restate.serde.json,
    });
  }

  /** A cancelled run: what was running or waiting fails, the rest never starts, and the run is failed. */
  async #cancelled(): Promise<void> {
    for (const ti of this.#instances.values()) {
      const task = this.dag.task(ti.task_id);
      const waiting = this.#sensorArgs.get(ti.task_id);
      if (
        (ti.state === "deferred" || ti.state === "awaiting_input") &&
        task instanceof DeferrableSensor &&
        waiting
      )
        this.#release(task as AnySensor, waiting.args, "cancelled");
      // A try cut off by the cancel may yet finish its work (a message posted after the run ended).
      if (
        task instanceof BaseOperator &&
        (ti.state === "running" || ti.state === "up_for_retry")
      )
        this.#releaseOperator(task as AnyOperator, "cancelled");
      if (!FINISHED.includes(ti.state)) {
        const started = ti.state !== "scheduled";
        this.#set(
          ti.task_id,
          started
            ? { state: "failed", note: "the run was cancelled" }
            : { state: "upstream_failed" },
        );
      }
    }
    this.#run.state = "failed";
    this.#run.end_date = await this.#now().catch(() => this.#clock);
    this.#save();
  }

  #context(
    taskId: string,
    tryNumber: number,
    signal?: AbortSignal,
    kept?: string[],
  ): TaskContext {
    const run = {
      dagId: this.dag.id,
      runId: this.ctx.key,
      logicalDate: new Date(this.#run.logical_date),
      clearNumber: this.#run.clear_number ?? 0,
      params: this.#params,
    };
    return taskContext(this.runtime, run, taskId, tryNumber, signal, kept);
  }

  /** Keeps a task's output for downstream tasks and, in the run's state, for the REST API (Airflow's XCom). */
  #output(taskId: string, value: Json): void {
    this.#outputs.set(taskId, value);
    this.ctx.set(xcomKey(taskId), value);
  }

  /** Appends a try's lines to its kept log (the pokes of one try share it). */
  #keepLog(taskId: string, lines: string[]): void {
    if (lines.length === 0) return;
    const key = logKey(taskId, this.#instances.get(taskId)?.try_number ?? 1);
    const kept = [...(this.#logs.get(key) ?? []), ...lines].slice(-500);
    this.#logs.set(key, kept);
    this.ctx.set(key, kept);
  }

  /** What arguments resolve from: outputs, and null for a task that ended without one (Airflow's None). */
  #scope() {
    let outputs: ReadonlyMap<string, Json> = this.#outputs;
    for (const ti of this.#instances.values())
      if (
        !this.#outputs.has(ti.task_id) &&
        FINISHED.includes(ti.state) &&
        ti.state !== "success"
      ) {
        if (outputs === this.#outputs) outputs = new Map(this.#outputs);
        (outputs as Map<string, Json>).set(ti.task_id, null);
      }
    return { outputs, params: this.#params };
  }

  /** Replaces every connection secret with `***`: notes and run errors are kept in state and shown. */
  #mask(text: string): string {
    return maskSecrets(text, this.runtime.connections.secrets());
  }

  #set(taskId: string, patch: Partial<TaskInstance>): void {
    if (patch.note) patch = { ...patch, note: this.#mask(patch.note) };
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
