import type { TaskContext } from "./context.js";
import { toMillis, type Duration } from "./duration.js";
import { currentDefaults } from "./dag-builder.js";
import type { Json } from "./json.js";
import type { DeferTarget } from "./defer-context.js";
import { BaseTask, type BaseTaskOptions } from "./task.js";
import type { Args } from "./xcom.js";

/** Options of every operator (Airflow's BaseOperator arguments). */
export interface BaseOperatorOptions extends BaseTaskOptions {
  /** How many times a failed try is tried again; 0 by default, as in Airflow. */
  readonly retries?: number;
  /** How long to wait before a retry: 5 seconds by default (Airflow waits 5 minutes; these runs are interactive). */
  readonly retryDelay?: Duration;
  /** Double the delay after every failed try. */
  readonly retryExponentialBackoff?: boolean;
  /** The longest a retry delay may grow to; 24 hours by default, as in Airflow. */
  readonly maxRetryDelay?: Duration;
  /**
   * A try that runs longer than this fails (and may be retried); its `context.signal` is aborted. A try without
   * one must end within about two minutes, or Restate aborts and reruns it: set this for longer work.
   */
  readonly executionTimeout?: Duration;
}

/** What an operator gets when its run gives up on it after it began (see {@link BaseOperator.release}). */
export interface OperatorReleaseContext extends TaskContext {
  /** `cancelled`: the run was cancelled while a try ran or waited to retry; `failed`: its last try failed. */
  readonly reason: "cancelled" | "failed";
  /** Sends a journaled one-way message to a Restate handler; sent exactly once even when the run is replayed. */
  send(target: DeferTarget, payload: Json): void;
}

/**
 * A task that does one thing when it runs: `execute` is called inside one journaled step,
 * so its result is recorded and a replay never runs it again.
 *
 * @example
 * class Hello extends BaseOperator<{ name: string }, string> {
 *   readonly title = "say hello";
 *   constructor(options: BaseOperatorOptions & Args<{ name: string }>) { super(options, { name: options.name }); }
 *   async execute({ name }: { name: string }) { return `hello, ${name}`; }
 * }
 */
export abstract class BaseOperator<
  A extends object,
  O extends Json,
> extends BaseTask<A, O> {
  /** What sort of operator: one that works in a step, or one that defers its work or its wait to an event source. */
  readonly kind: "operator" | "deferrable-operator" | "deferrable-sensor" =
    "operator";
  readonly retries: number;
  readonly retryDelay: Duration;
  readonly retryExponentialBackoff: boolean;
  readonly maxRetryDelay: Duration;
  readonly executionTimeout: Duration | null;

  protected constructor(options: BaseOperatorOptions, args: Args<A>) {
    super(options, args);
    const defaults = currentDefaults();
    this.retries = options.retries ?? defaults.retries ?? 0;
    this.retryDelay = options.retryDelay ?? defaults.retryDelay ?? "5s";
    this.retryExponentialBackoff =
      options.retryExponentialBackoff ??
      defaults.retryExponentialBackoff ??
      false;
    this.maxRetryDelay =
      options.maxRetryDelay ?? defaults.maxRetryDelay ?? "24h";
    this.executionTimeout =
      options.executionTimeout ?? defaults.executionTimeout ?? null;
    if (!Number.isInteger(this.retries) || this.retries < 0) {
      throw new RangeError(
        `task "${this.taskId}": retries must be a whole number ≥ 0, got ${this.retries}`,
      );
    }
  }

  /** The wait before try `tryNumber + 1`, after try `tryNumber` failed. */
  retryDelayAfter(tryNumber: number): number {
    const base = toMillis(this.retryDelay);
    const delay = this.retryExponentialBackoff
      ? base * 2 ** Math.max(0, tryNumber - 1)
      : base;
    return Math.min(delay, toMillis(this.maxRetryDelay));
  }

  /** Does the task's work with its resolved arguments; the returned value is its output (XCom). */
  abstract execute(args: A, context: TaskContext): Promise<O>;

  /**
   * Called when the run gives up on this task after it began: cancelled while a try ran or waited to retry, or
   * failed for good. A try cut off may still have done its work (Telegram posted the message); this tells whoever
   * would act on that work that no run will. Like a sensor's `release`, it must only compute and call
   * `context.send`.
   */
  release(_args: A, _context: OperatorReleaseContext): void {}
}
