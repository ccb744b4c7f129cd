import type { TaskContext } from "./context.js";
import { toMillis, type Duration } from "./duration.js";
import type { Json } from "./json.js";
import { BaseOperator, type BaseOperatorOptions } from "./operator.js";
import type { Arg, Args } from "./xcom.js";

/** What `poke` answers: done or not, and optionally the sensor's output once done. */
export type PokeResult<O extends Json> =
  boolean | { readonly done: boolean; readonly value?: O };

/** Options of a poking sensor (Airflow's BaseSensorOperator arguments). */
export interface PokeSensorOptions extends BaseOperatorOptions {
  /** Time between pokes; 60 s by default, as in Airflow. */
  readonly pokeInterval?: Duration;
  /** Give up after this long since the first poke; 7 days by default, as in Airflow; null for never. */
  readonly timeout?: Arg<Duration | null>;
  /** On timeout, end `skipped` (and skip downstream) instead of `failed`. */
  readonly softFail?: Arg<boolean>;
  /** Double the interval after every poke that is not done. */
  readonly exponentialBackoff?: boolean;
  /** The longest interval exponential backoff may reach. */
  readonly maxWait?: Duration;
  /**
   * `poke` shows the task `running` between pokes, `reschedule` shows it `up_for_reschedule`. Either way
   * the wait is a durable Restate timer: the run suspends and holds no worker slot, unlike Airflow's poke mode.
   */
  readonly mode?: "poke" | "reschedule";
}

const SEVEN_DAYS = "7d";

/**
 * A sensor that checks a condition now and then: `poke` runs as one journaled step per check, with a
 * durable timer between checks, until it says done or the timeout passes.
 *
 * @example
 * class FileSensor extends BaseSensor<{ path: string }> {
 *   readonly title = "wait for the file";
 *   async poke({ path }: { path: string }) { return existsSync(path); }
 * }
 */
export abstract class BaseSensor<
  A extends object,
  O extends Json = null,
> extends BaseOperator<A, O> {
  readonly pokeInterval: number;
  readonly timeout: Arg<Duration | null>;
  readonly softFail: Arg<boolean>;
  readonly exponentialBackoff: boolean;
  readonly maxWait: number | null;
  readonly mode: "poke" | "reschedule";

  protected constructor(options: PokeSensorOptions, args: Args<A>) {
    super(options, args);
    this.pokeInterval = toMillis(options.pokeInterval ?? "60s");
    this.timeout = options.timeout === undefined ? SEVEN_DAYS : options.timeout;
    this.softFail = options.softFail ?? false;
    this.exponentialBackoff = options.exponentialBackoff ?? false;
    this.maxWait =
      options.maxWait === undefined ? null : toMillis(options.maxWait);
    this.mode = options.mode ?? "poke";
  }

  /** Checks the condition once; must not wait itself. */
  abstract poke(args: A, context: TaskContext): Promise<PokeResult<O>>;

  /** The wait after the `pokes`-th check that was not done. */
  intervalAfter(pokes: number): number {
    const interval = this.exponentialBackoff
      ? this.pokeInterval * 2 ** Math.max(0, pokes - 1)
      : this.pokeInterval;
    return this.maxWait === null ? interval : Math.min(interval, this.maxWait);
  }

  /** Pokes in this process until done, for `tasks test`; a DAG run pokes through the runner instead. */
  override async execute(args: A, context: TaskContext): Promise<O> {
    for (let pokes = 1; ; pokes++) {
      const result = normalise(await this.poke(args, context));
      if (result.done) return (result.value ?? null) as O;
      await new Promise((resolve) =>
        setTimeout(resolve, this.intervalAfter(pokes)),
      );
    }
  }
}

/** A poke's answer in one shape. */
export function normalise<O extends Json>(
  result: PokeResult<O>,
): { done: boolean; value: O | null } {
  return typeof result === "boolean"
    ? { done: result, value: null }
    : { done: result.done, value: result.value ?? null };
}
