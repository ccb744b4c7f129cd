import { toMillis, type Duration } from "./duration.js";
import type { Json } from "./json.js";
import { attempt, describe, type Outcome } from "./attempt.js";
import type { Follow, InFlight, Settled } from "./in-flight.js";
import type { BaseOperator } from "./operator.js";
import { BaseSensor, normalise } from "./poke-sensor.js";
import { ended } from "./run-resume.js";
import type { RunState } from "./run-state.js";
import { resolveArg, resolveArgs } from "./xcom.js";

type AnyOperator = BaseOperator<object, Json>;
type AnyPokeSensor = BaseSensor<object, Json>;

/**
 * The tries of operators and the pokes of poking sensors: each try or poke is one journaled step, and the wait
 * before a retry or the next poke is a durable timer.
 */
export class OperatorTries {
  /** When each poking sensor first poked (journaled), to measure its timeout from. */
  readonly #firstPoke = new Map<string, { at: string; pokes: number }>();

  constructor(
    private readonly state: RunState,
    private readonly inFlight: InFlight,
    private readonly follow: Follow,
  ) {}

  /** Starts a try (or, for a poking sensor, a poke) as one journaled step. */
  start(op: AnyOperator, tryNumber: number): void {
    const state = this.state;
    const poking = op instanceof BaseSensor;
    const pokes = poking ? (this.#firstPoke.get(op.taskId)?.pokes ?? 0) + 1 : 0;
    state.set(op.taskId, {
      state: "running",
      try_number: tryNumber,
      ...(pokes > 1 ? {} : { start_date: state.clock }),
      end_date: null,
    });
    const what = poking ? `poke ${pokes}` : op.title;
    const step = `${op.taskId}: ${what}${tryNumber > 1 ? ` (try ${tryNumber})` : ""}`;
    const timeout =
      op.executionTimeout === null ? null : toMillis(op.executionTimeout);
    // No write of the task's state here: the runner writes it before it waits, once for every task it started.
    const run = state.ctx.run(step, () =>
      attempt(
        async (signal, kept) => {
          const args = resolveArgs(op.args, state.scope());
          const context = state.context(op.taskId, tryNumber, signal, kept);
          if (!poking) return op.execute(args, context);
          return normalise(await (op as AnyPokeSensor).poke(args, context));
        },
        timeout,
        (message, kept) =>
          state
            .context(op.taskId, tryNumber, undefined, kept)
            .log.error(message),
        (text) => state.mask(text),
      ),
    );
    this.inFlight.wait(
      op.taskId,
      run.map((outcome, failure): Settled => {
        if (outcome) return { taskId: op.taskId, kind: "try", outcome };
        const at = state.clock;
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

  /** Handles what an operator's step or timer settled with: its try's outcome, or a retry or poke now due. */
  async settled(op: AnyOperator, settled: Settled): Promise<void> {
    if (settled.kind === "try") return this.#tried(op, settled.outcome);
    if (settled.kind !== "retry-due" && settled.kind !== "poke-due") return;
    const tryNumber = this.state.instances.get(op.taskId)?.try_number ?? 1;
    if (settled.kind === "retry-due") await this.state.now();
    this.start(op, settled.kind === "retry-due" ? tryNumber + 1 : tryNumber);
  }

  /** A try ended: success, a skip, a retry after the delay, or a failure for good. */
  #tried(op: AnyOperator, outcome: Outcome): void {
    const state = this.state;
    if (outcome.ended_at) state.clock = outcome.ended_at;
    state.keepLog(op.taskId, outcome.log ?? []);
    if (outcome.ok && op instanceof BaseSensor)
      return this.#poked(op as AnyPokeSensor, outcome);
    const first = this.#firstPoke.get(op.taskId)?.at;
    const times = {
      start_date: first ?? outcome.started_at,
      end_date: outcome.ended_at,
    };
    if (outcome.ok) {
      state.output(op.taskId, outcome.value);
      state.set(op.taskId, { state: "success", ...times });
      return this.follow(op, outcome.value, times.end_date);
    }
    if (outcome.skipped)
      return state.set(op.taskId, {
        state: "skipped",
        ...times,
        note: outcome.error,
      });
    const tryNumber = state.tryOf(op.taskId);
    const nth = state.triesSoFar(op.taskId);
    const retry = outcome.retryable && nth <= op.retries;
    state.set(op.taskId, {
      state: retry ? "up_for_retry" : "failed",
      ...times,
      note: outcome.error,
    });
    if (retry) {
      // The try that failed goes into the history now: the next try overwrites its times and note.
      const ti = state.instances.get(op.taskId);
      if (ti)
        state.set(op.taskId, { tries: [...(ti.tries ?? []), ...ended(ti)] });
    }
    if (!retry) this.release(op, "failed");
    if (retry)
      this.#after(
        op.taskId,
        op.retryDelayAfter(nth),
        `wait before try ${tryNumber + 1}`,
        "retry-due",
      );
  }

  /** A poke answered: done, timed out, or wait for the next (a durable timer either way). */
  #poked(sensor: AnyPokeSensor, outcome: Outcome & { ok: true }): void {
    const state = this.state;
    const seen = this.#firstPoke.get(sensor.taskId);
    const first = {
      at: seen?.at ?? outcome.started_at,
      pokes: (seen?.pokes ?? 0) + 1,
    };
    this.#firstPoke.set(sensor.taskId, first);
    const result = outcome.value as { done: boolean; value: Json };
    if (result.done) {
      state.output(sensor.taskId, result.value);
      state.set(sensor.taskId, {
        state: "success",
        start_date: first.at,
        end_date: outcome.ended_at,
      });
      return this.follow(sensor, result.value, outcome.ended_at);
    }
    const scope = state.scope();
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
      return state.set(sensor.taskId, {
        state: "failed",
        start_date: first.at,
        end_date: outcome.ended_at,
        note: describe(error),
      });
    }
    if (left <= 0) {
      const ends = softFail ? "skipped" : "failed";
      const note = `not done after ${first.pokes} pokes within ${String(timeout)}`;
      return state.set(sensor.taskId, {
        state: ends,
        start_date: first.at,
        end_date: outcome.ended_at,
        note,
      });
    }
    state.set(sensor.taskId, {
      state: sensor.mode === "reschedule" ? "up_for_reschedule" : "running",
    });
    this.#after(
      sensor.taskId,
      Math.min(sensor.intervalAfter(first.pokes), left),
      `wait before poke ${first.pokes + 1}`,
      "poke-due",
    );
  }

  /** Starts a durable timer after which the task gets a `retry-due` or `poke-due`. */
  #after(
    taskId: string,
    ms: number,
    why: string,
    kind: "retry-due" | "poke-due",
  ): void {
    this.inFlight.wait(
      taskId,
      this.state.ctx
        .sleep(ms, `${taskId}: ${why}`)
        .map((): Settled => ({ taskId, kind })),
    );
  }

  /** Tells an operator the run gave up on it (a try cut off may have done its work); its own error is only logged. */
  release(op: AnyOperator, reason: "cancelled" | "failed"): void {
    const state = this.state;
    const tryNumber = state.instances.get(op.taskId)?.try_number ?? 1;
    const context = state.context(op.taskId, tryNumber);
    try {
      op.release(resolveArgs(op.args, state.scope()), {
        ...context,
        reason,
        send: (target, payload) => state.send(target, payload),
      });
    } catch (error) {
      context.log.warn(
        `could not tell what the task began that the run gave up on it (${reason}): ${describe(error)}`,
      );
    }
  }
}
