import type { Duration } from "./duration.js";
import type { Json } from "./json.js";
import { DeferrableOperator } from "./deferrable-operator.js";
import type { BaseOperatorOptions } from "./operator.js";
import type { Arg, Args } from "./xcom.js";

export type {
  DeferContext,
  DeferTarget,
  LastWord,
  ReleaseContext,
  ReleaseReason,
  TaskInstanceKey,
} from "./defer-context.js";

/** Options of every deferrable sensor. */
export interface BaseSensorOptions extends Omit<
  BaseOperatorOptions,
  "executionTimeout"
> {
  /** How long to wait for the event before giving up; no limit when absent. */
  readonly timeout?: Arg<Duration | null>;
  /** On timeout, end `skipped` (and skip downstream) instead of `failed`. */
  readonly softFail?: Arg<boolean>;
}

/**
 * A deferrable operator that waits for an event rather than doing work (Airflow's deferrable sensor): its wait is
 * bounded by `timeout`, and passing it ends the task failed, or skipped with `softFail`, without a retry, as
 * Airflow's sensor timeout does. A try whose wait fails otherwise is retried per `retries`, like any operator's.
 */
export abstract class DeferrableSensor<
  A extends object,
  E extends Json,
  O extends Json = E,
> extends DeferrableOperator<A, E, O> {
  override readonly kind = "deferrable-sensor";
  readonly timeout: Arg<Duration | null>;
  readonly softFail: Arg<boolean>;

  protected constructor(options: BaseSensorOptions, args: Args<A>) {
    super(options, args);
    this.timeout = options.timeout ?? null;
    this.softFail = options.softFail ?? false;
  }
}
