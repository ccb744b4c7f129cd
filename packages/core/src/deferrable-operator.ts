import * as restate from "@restatedev/restate-sdk";
import type { TaskContext } from "./context.js";
import type {
  DeferContext,
  LastWord,
  ReleaseContext,
  TaskInstanceKey,
} from "./defer-context.js";
import type { Json } from "./json.js";
import { BaseOperator, type BaseOperatorOptions } from "./operator.js";
import type { Args } from "./xcom.js";

/**
 * An operator that hands its work to an event source and parks until the source reports it done (Airflow's
 * deferrable operator): the run suspends on a Restate awakeable and holds no worker. Like any operator it is retried
 * per `retries` / `retryDelay` when a try fails (the source rejects the wait, `complete` throws, or the wait passes
 * `executionTimeout`); each try defers anew, with a new trigger id.
 *
 * @example
 * class Render extends DeferrableOperator<{ doc: string }, { url: string }> {
 *   readonly title = "render the document";
 *   defer(args: { doc: string }, context: DeferContext) { context.send({ service: "renderer", handler: "render" }, { ...args, trigger: context.triggerId }); }
 *   complete(event: { url: string }) { return event; }
 * }
 */
export abstract class DeferrableOperator<
  A extends object,
  E extends Json,
  O extends Json = E,
> extends BaseOperator<A, O> {
  override readonly kind: "deferrable-operator" | "deferrable-sensor" =
    "deferrable-operator";
  /** The state the task shows while parked: a wait for a person is `awaiting_input`, as Airflow 3.4 names it. */
  readonly parkedState: "deferred" | "awaiting_input" = "deferred";

  protected constructor(options: BaseOperatorOptions, args: Args<A>) {
    super(options, args);
  }

  /** Registers with the event source; must only compute and call `context.send` (it runs during replays too). */
  abstract defer(args: A, context: DeferContext): void;

  /**
   * What the parked task waits for, in words a person reads on the run page and in the try's log (e.g. "a press of
   * the button on message 42 in chat -100…"); pure. Defaults to the task's title.
   */
  waitsFor(_args: A): string {
    return this.title;
  }

  /** Turns the event into the task's output; pure. A throw fails the try (retried if the error allows it). */
  abstract complete(event: E, args: A): O;

  /**
   * When the event was taken, if it says so (ISO 8601): the task's end time, saving a journaled clock read.
   * Null (the default) reads the clock.
   */
  eventTime(_event: E): string | null {
    return null;
  }

  /**
   * Tells the event source that this try no longer waits, whatever ended the wait (timeout, a cancelled run, a
   * failure, even one in `defer` itself), so it stops taking events and can say so to whoever sends one. Like
   * `defer`, it must only compute and call `context.send`.
   */
  override release(_args: A, _context: ReleaseContext): void {}

  /**
   * When the wait times out: a handler of the event source to call that stops it taking events and answers with the
   * event it took before (its wake-up still on the way), or null. The source's word is final: an event it took is
   * the task's, however late, so nobody is told their event was taken by a run that gave up on it. When given, it
   * replaces `release` on a timeout. Null (the default): the timer alone decides. Like `defer`, it must only compute.
   */
  lastWord(_args: A, _context: TaskInstanceKey): LastWord | null {
    return null;
  }

  /** Runs once, as a journaled step, when the wait times out (e.g. to tell people it expired). */
  onTimeout(_args: A, _context: TaskContext): Promise<void> {
    return Promise.resolve();
  }

  /**
   * Does the work in this process, without the event source, for `poekhali tasks test`; a DAG run defers instead.
   * By default it refuses, naming why: a subclass whose work can be done directly (a write through a hook) overrides it.
   */
  override execute(_args: A, _context: TaskContext): Promise<O> {
    return Promise.reject(
      new restate.TerminalError(
        `"${this.taskId}" hands its work to an event source that only a running DAG has; trigger the DAG instead`,
      ),
    );
  }

  /** Whether `execute` does the work in this process (a subclass overrode it), so `tasks test` can run the task. */
  get runsInProcess(): boolean {
    return this.execute !== DeferrableOperator.prototype.execute;
  }
}
