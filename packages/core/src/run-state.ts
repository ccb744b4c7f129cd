import * as restate from "@restatedev/restate-sdk";
import type { TaskContext } from "./context.js";
import type { Dag } from "./dag.js";
import type { Json, JsonObject } from "./json.js";
import type { DeferTarget } from "./defer-context.js";
import {
  maskSecrets,
  taskContext,
  type WorkerRuntime,
} from "./task-context.js";
import type { DagRun, TaskInstance, TaskState } from "./task-instance.js";
import { logKey, RUN_KEY, TASK_INSTANCES_KEY, xcomKey } from "./run-resume.js";
import { readStart, type JournalVersion } from "./run-start.js";

/** The states a task instance ends in. */
export const FINISHED: readonly TaskState[] = [
  "success",
  "failed",
  "skipped",
  "upstream_failed",
];

/**
 * What one DAG run knows while its workflow handler runs: the task instances, outputs and logs, kept in the
 * workflow's state as they change, the try numbers, and the latest journaled time. Every write to Restate state goes
 * through here, so the order of `ctx.set` calls is that of the changes.
 */
export class RunState {
  readonly outputs = new Map<string, Json>();
  readonly instances = new Map<string, TaskInstance>();
  readonly #logs = new Map<string, string[]>();
  /** The try number each task started this invocation with: its retries count from there. */
  readonly #firstTry = new Map<string, number>();
  params: JsonObject = {};
  /** The latest journaled time this run has seen: a free stand-in for "now" when a step starts. */
  clock = "";
  run!: DagRun;
  /** How this run writes its record and task instances (see {@link JournalVersion}); known once it has started. */
  journal: JournalVersion = 1;
  /** What was last written of the run record and of the task instances (version 2 writes only what changed). */
  readonly #written = { run: "", instances: "" };

  constructor(
    readonly ctx: restate.WorkflowContext,
    readonly dag: Dag,
    private readonly runtime: WorkerRuntime,
  ) {}

  /** Takes over a resumed run's kept outputs and logs, and keeps them in this invocation's state. */
  restore(state: Readonly<Record<string, Json>>): void {
    for (const [key, value] of Object.entries(state)) {
      if (key === RUN_KEY || key === TASK_INSTANCES_KEY) continue;
      if (key.startsWith("xcom:")) {
        const taskId = key.slice("xcom:".length);
        if (!this.dag.task(taskId)) continue;
        this.outputs.set(taskId, value);
      } else if (key.startsWith("log:")) {
        this.#logs.set(key, value as string[]);
      } else continue;
      this.ctx.set(key, value);
    }
  }

  /** The try a task starts next: after a clear, the one after its last (Airflow counts tries across clears). */
  nextTry(taskId: string): number {
    const next = (this.instances.get(taskId)?.try_number ?? 0) + 1;
    this.#firstTry.set(taskId, next);
    return next;
  }

  /** The try number a task is on now. */
  tryOf(taskId: string): number {
    return this.instances.get(taskId)?.try_number || 1;
  }

  /** How many tries this invocation has made of a task so far, counting the one it is on. */
  triesSoFar(taskId: string): number {
    return this.tryOf(taskId) - (this.#firstTry.get(taskId) ?? 1) + 1;
  }

  /** What a task's code sees of its run on a try. */
  context(
    taskId: string,
    tryNumber: number,
    signal?: AbortSignal,
    kept?: string[],
  ): TaskContext {
    const run = {
      dagId: this.dag.id,
      runId: this.ctx.key,
      logicalDate: new Date(this.run.logical_date),
      clearNumber: this.run.clear_number ?? 0,
      params: this.params,
    };
    return taskContext(this.runtime, run, taskId, tryNumber, signal, kept);
  }

  /** Keeps a task's output for downstream tasks and, in the run's state, for the REST API (Airflow's XCom). */
  output(taskId: string, value: Json): void {
    this.outputs.set(taskId, value);
    this.ctx.set(xcomKey(taskId), value);
  }

  /** Appends a try's lines to its kept log (the pokes of one try share it). */
  keepLog(taskId: string, lines: string[]): void {
    if (lines.length === 0) return;
    const key = logKey(taskId, this.instances.get(taskId)?.try_number ?? 1);
    const kept = [...(this.#logs.get(key) ?? []), ...lines].slice(-500);
    this.#logs.set(key, kept);
    this.ctx.set(key, kept);
  }

  /** What arguments resolve from: outputs, and null for a task that ended without one (Airflow's None). */
  scope() {
    let outputs: ReadonlyMap<string, Json> = this.outputs;
    for (const ti of this.instances.values())
      if (
        !this.outputs.has(ti.task_id) &&
        FINISHED.includes(ti.state) &&
        ti.state !== "success"
      ) {
        if (outputs === this.outputs) outputs = new Map(this.outputs);
        (outputs as Map<string, Json>).set(ti.task_id, null);
      }
    return { outputs, params: this.params };
  }

  /** Replaces every connection secret with `***`: notes and run errors are kept in state and shown. */
  mask(text: string): string {
    return maskSecrets(text, this.runtime.connections.secrets());
  }

  /** Changes a task instance and keeps the run's state (version 1 at once, version 2 at the next {@link flush}). */
  set(taskId: string, patch: Partial<TaskInstance>): void {
    if (patch.note) patch = { ...patch, note: this.mask(patch.note) };
    const current = this.instances.get(taskId);
    if (current) this.instances.set(taskId, { ...current, ...patch });
    if (this.journal === 1) this.save();
  }

  /** Keeps the run record and its task instances in the workflow's state. */
  save(): void {
    if (this.journal !== 1) return this.flush();
    this.ctx.set(RUN_KEY, this.run);
    this.ctx.set(TASK_INSTANCES_KEY, [...this.instances.values()]);
  }

  /**
   * Writes what changed of the run record and the task instances since they were last written, on version 2 (version
   * 1 wrote them at every change). Called before the run waits (on its steps, timers and events) or tells anyone, so
   * that whoever reads the run's state meanwhile, or is told of it, sees it as it is: one write of each per such
   * moment instead of one per change, which is most of what a parked run replays when it resumes.
   */
  flush(): void {
    if (this.journal === 1) return;
    const run = JSON.stringify(this.run);
    if (run !== this.#written.run) {
      this.ctx.set(RUN_KEY, this.run);
      this.#written.run = run;
    }
    const instances = [...this.instances.values()];
    const written = JSON.stringify(instances);
    if (written !== this.#written.instances) {
      this.ctx.set(TASK_INSTANCES_KEY, instances);
      this.#written.instances = written;
    }
  }

  /** Reads the run's start time, its first journaled step, which also tells the run's journal version. */
  async start(): Promise<string> {
    const { at, journal } = await readStart(this.ctx);
    this.journal = journal;
    this.clock = at;
    return at;
  }

  /** Reads the clock, journaled. */
  async now(): Promise<string> {
    this.clock = new Date(await this.ctx.date.now()).toISOString();
    return this.clock;
  }

  /** A journaled one-way message to a Restate handler, sent once however often the run replays. */
  send(target: DeferTarget, payload: Json): void {
    // Whoever is told sees the run's state as it is when told.
    this.flush();
    const key = target.key === undefined ? {} : { key: target.key };
    this.ctx.genericSend({
      service: target.service,
      method: target.handler,
      ...key,
      parameter: payload,
      inputSerde: restate.serde.json,
    });
  }
}
