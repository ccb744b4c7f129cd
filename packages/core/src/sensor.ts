import type { TaskContext } from "./context.js";
import type { Duration } from "./duration.js";
import type { Json } from "./json.js";
import { BaseTask, type BaseTaskOptions } from "./task.js";
import type { Arg, Args } from "./xcom.js";

/** Options of every sensor. */
export interface BaseSensorOptions extends BaseTaskOptions {
  /** How long to wait for the event before giving up; no limit when absent. */
  readonly timeout?: Arg<Duration | null>;
  /** On timeout, end `skipped` (and skip downstream) instead of `failed`. */
  readonly softFail?: Arg<boolean>;
}

/** A durable one-way message to a Restate handler: how a sensor registers with its event source. */
export interface DeferTarget {
  readonly service: string;
  readonly handler: string;
  /** The virtual object's or workflow's key; absent for a plain service. */
  readonly key?: string;
}

/** What a deferrable sensor gets while it registers interest in its event. */
export interface DeferContext extends TaskContext {
  /** The id the event source resolves (a Restate awakeable id) to wake this sensor with the event. */
  readonly triggerId: string;
  /** When the wait times out (ISO 8601), or null for never: an event source should refuse events after it. */
  readonly deadline: string | null;
  /** Sends a journaled one-way message; sent exactly once even when the run is replayed. */
  send(target: DeferTarget, payload: Json): void;
}

/** Why a deferred wait ended without its event. */
export type ReleaseReason = "timeout" | "cancelled" | "failed";

/** What a deferrable sensor gets when its run stops waiting without the event. */
export interface ReleaseContext {
  readonly reason: ReleaseReason;
  /** Sends a journaled one-way message; sent exactly once even when the run is replayed. */
  send(target: DeferTarget, payload: Json): void;
}

/** A request to an event source, answered with an event it took or null (see {@link DeferrableSensor.lastWord}). */
export interface LastWord {
  readonly target: DeferTarget;
  readonly payload: Json;
}

/**
 * A sensor that registers interest with an event source and parks until the event arrives:
 * the run suspends on a Restate awakeable, so the wait holds no worker, however long it is.
 */
export abstract class DeferrableSensor<
  A extends object,
  E extends Json,
  O extends Json = E,
> extends BaseTask<A, O> {
  readonly kind = "deferrable-sensor";
  /** The state the task shows while parked: a wait for a person is `awaiting_input`, as Airflow 3.4 names it. */
  readonly parkedState: "deferred" | "awaiting_input" = "deferred";
  readonly timeout: Arg<Duration | null>;
  readonly softFail: Arg<boolean>;

  protected constructor(options: BaseSensorOptions, args: Args<A>) {
    super(options, args);
    this.timeout = options.timeout ?? null;
    this.softFail = options.softFail ?? false;
  }

  /** Registers with the event source; must only compute and call `context.send` (it runs during replays too). */
  abstract defer(args: A, context: DeferContext): void;

  /** Turns the event into the sensor's output; pure. */
  abstract complete(event: E, args: A): O;

  /**
   * When the event was taken, if it says so (ISO 8601): the task's end time, saving a journaled clock read.
   * Null (the default) reads the clock.
   */
  eventTime(_event: E): string | null {
    return null;
  }

  /**
   * Tells the event source that the run no longer waits, whatever ended the wait (timeout, a cancelled run, a
   * failure, even one in `defer` itself), so it stops taking events and can say so to whoever sends one. Like
   * `defer`, it must only compute and call `context.send`.
   */
  release(_args: A, _context: ReleaseContext): void {}

  /**
   * When the wait times out: a handler of the event source to call that stops it taking events and answers with the
   * event it took before (its wake-up still on the way), or null. The source's word is final: an event it took is
   * the sensor's, however late, so nobody is told their event was taken by a run that gave up on it. When given, it
   * replaces `release` on a timeout. Null (the default): the timer alone decides. Like `defer`, it must only compute.
   */
  lastWord(_args: A): LastWord | null {
    return null;
  }

  /** Runs once, as a journaled step, when the wait times out (e.g. to tell people it expired). */
  onTimeout(_args: A, _context: TaskContext): Promise<void> {
    return Promise.resolve();
  }
}
