import "./polyfill.js";
import * as restate from "@restatedev/restate-sdk";
import type { Dag } from "./dag.js";
import { ConfError } from "./errors.js";
import type { Json } from "./json.js";
import { describe } from "./attempt.js";
import { Deferral } from "./deferral.js";
import { DeferrableOperator } from "./deferrable-operator.js";
import type { Settled } from "./in-flight.js";
import { BaseOperator } from "./operator.js";
import { OperatorTries } from "./operator-tries.js";
import type { BaseTask } from "./task.js";
import type { TriggeredBy } from "./dag-run-starter.js";
import { FINISHED, RunState } from "./run-state.js";
import type { WorkerRuntime } from "./task-context.js";
import type { DagRunState } from "./task-instance.js";
import { readiness } from "./trigger-rule.js";
import { instancesOf, runOf, type RunResume } from "./run-resume.js";

type AnyDeferrable = DeferrableOperator<object, Json, Json>;
type AnyOperator = BaseOperator<object, Json>;

/**
 * Runs one DAG run inside its Restate workflow handler. Every task try is one durable promise (a step, a
 * timer or an awakeable); ready tasks start together and `RestatePromise.race`, whose order Restate journals,
 * picks the next to handle, so independent branches run concurrently and replays stay deterministic.
 * The run's state, operators' tries and deferred waits each have their own file; this is the loop that ties them.
 */
export class DagRunner {
  readonly #inFlight = new Map<string, restate.RestatePromise<Settled>>();
  readonly #state: RunState;
  readonly #tries: OperatorTries;
  readonly #deferral: Deferral;

  constructor(
    private readonly ctx: restate.WorkflowContext,
    private readonly dag: Dag,
    runtime: WorkerRuntime,
  ) {
    this.#state = new RunState(ctx, dag, runtime);
    const inFlight = {
      wait: (taskId: string, promise: restate.RestatePromise<Settled>) =>
        void this.#inFlight.set(taskId, promise),
    };
    const follow = (task: BaseTask<object, Json>, output: Json, at: string) =>
      this.#follow(task, output, at);
    this.#tries = new OperatorTries(this.#state, inFlight, follow);
    this.#deferral = new Deferral(this.#state, inFlight, follow);
  }

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
    const state = this.#state;
    const before = resume ? runOf(resume.state) : null;
    let refused: ConfError | undefined;
    try {
      state.params = this.dag.parseConf(before?.conf ?? conf);
    } catch (error) {
      if (!(error instanceof ConfError)) throw error;
      refused = error;
    }
    // The run's first step: its start time, and which journal version it writes (older runs replay theirs).
    const started = await state.start();
    state.run = {
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
      state.run.state = "failed";
      state.run.end_date = started;
      this.ctx.set("dag_run", state.run);
      throw new restate.TerminalError(refused.message, { errorCode: 400 });
    }
    const kept = new Map(
      (resume ? instancesOf(resume.state) : []).map((ti) => [ti.task_id, ti]),
    );
    for (const t of this.dag.tasks) {
      state.instances.set(
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
    if (resume) state.restore(resume.state);
    // Version 2 writes them at the first flush, with the states of the tasks the run starts with.
    if (state.journal === 1) state.save();
    try {
      for (;;) {
        await this.#startReady();
        if (this.#inFlight.size === 0) break;
        state.flush();
        const settled = await restate.RestatePromise.race([
          ...this.#inFlight.values(),
        ]);
        this.#inFlight.delete(settled.taskId);
        await this.#handle(settled);
      }
    } catch (error) {
      if (error instanceof restate.CancelledError) await this.#cancelled();
      // Version 2 writes only before it waits: a run failing before its first wait (a task neither an operator nor a
      // sensor) would end with no record of it, as version 1 never did. A terminal error is final, so this write is.
      else if (error instanceof restate.TerminalError) state.flush();
      throw error;
    }
    const failed = [...state.instances.values()].filter(
      (ti) => ti.state === "failed" || ti.state === "upstream_failed",
    );
    const markedFailed = resume?.endAs === "failed";
    state.run.state = failed.length > 0 || markedFailed ? "failed" : "success";
    // Version 2 ends the run when its last task ended (journaled times): one step and its round trip fewer per run.
    state.run.end_date =
      state.journal === 1 ? await state.now() : this.#lastTime();
    state.save();
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
    return { dag_run_id: this.ctx.key, state: state.run.state };
  }

  /**
   * The latest journaled time of the run: its clock, its start, or a task's start or end if later. A press's time,
   * which becomes the clock when its sensor completes, may be earlier than a task that ended before the sensor was
   * woken, or (clock skew, a run whose only task is such a sensor) than the run's or the sensor's own start.
   */
  #lastTime(): string {
    // The start is a time this runner read; an event's (a source's word) only counts when it reads as one.
    let latest = this.#state.run.start_date;
    const later = (time: string | null) => {
      if (time && Date.parse(time) > Date.parse(latest)) latest = time;
    };
    later(this.#state.clock);
    for (const ti of this.#state.instances.values()) {
      later(ti.start_date);
      later(ti.end_date);
    }
    return latest;
  }

  /**
   * Starts every task its trigger rule lets run, and ends those it never will (skipped, upstream_failed). Tasks are
   * in topological order, so one pass carries a skip or a failure all the way down.
   */
  async #startReady(): Promise<void> {
    const state = this.#state;
    for (const t of this.dag.tasks) {
      if (state.instances.get(t.taskId)?.state !== "scheduled") continue;
      const upstream = t.upstreamTaskIds.map(
        (id) => state.instances.get(id)?.state,
      );
      const next = readiness(t.triggerRule, upstream);
      if (next === "wait") continue;
      if (next !== "run") state.set(t.taskId, { state: next });
      // Deferrable first: a deferrable operator is an operator too, but its work is done by an event source.
      else if (t instanceof DeferrableOperator)
        await this.#deferral.defer(t as AnyDeferrable);
      else if (t instanceof BaseOperator)
        this.#tries.start(t as AnyOperator, state.nextTry(t.taskId));
      else
        throw new restate.TerminalError(
          `task "${t.taskId}" is neither an operator nor a sensor`,
        );
    }
  }

  /** Hands what a task's durable promise settled with to the part of the runner that started it. */
  async #handle(settled: Settled): Promise<void> {
    const task = this.dag.task(settled.taskId);
    if (task instanceof DeferrableOperator)
      await this.#deferral.settled(task as AnyDeferrable, settled);
    else if (task instanceof BaseOperator)
      await this.#tries.settled(task as AnyOperator, settled);
  }

  /**
   * A task that succeeded chooses which of its direct downstream tasks go on (Airflow's branching); the others end
   * skipped. A choice naming a task that is not right downstream fails the task: the DAG and its code disagree.
   */
  #follow(task: BaseTask<object, Json>, output: Json, at: string): void {
    const state = this.#state;
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
      state.set(task.taskId, {
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
        state.instances.get(id)?.state === "scheduled"
      )
        state.set(id, {
          state: "skipped",
          note: `"${task.taskId}" chose ${chosen.length > 0 ? chosen.map((c) => `"${c}"`).join(", ") : "none of the tasks after it"}`,
        });
  }

  /** A cancelled run: what was running or waiting fails, the rest never starts, and the run is failed. */
  async #cancelled(): Promise<void> {
    const state = this.#state;
    for (const ti of state.instances.values()) {
      const task = this.dag.task(ti.task_id);
      if (
        (ti.state === "deferred" || ti.state === "awaiting_input") &&
        task instanceof DeferrableOperator
      )
        this.#deferral.cancel(task as AnyDeferrable);
      // A try cut off by the cancel may yet finish its work (a message posted after the run ended).
      if (
        task instanceof BaseOperator &&
        !(task instanceof DeferrableOperator) &&
        (ti.state === "running" || ti.state === "up_for_retry")
      )
        this.#tries.release(task as AnyOperator, "cancelled");
      if (!FINISHED.includes(ti.state)) {
        const started = ti.state !== "scheduled";
        state.set(
          ti.task_id,
          started
            ? { state: "failed", note: "the run was cancelled" }
            : { state: "upstream_failed" },
        );
      }
    }
    state.run.state = "failed";
    state.run.end_date = await state.now().catch(() => state.clock);
    state.save();
  }
}
