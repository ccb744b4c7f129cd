import * as restate from "@restatedev/restate-sdk";
import { toMillis } from "./duration.js";
import type { Json } from "./json.js";
import { describe, isRetryable } from "./attempt.js";
import type {
  LastWord,
  ReleaseReason,
  TaskInstanceKey,
} from "./defer-context.js";
import type { DeferrableOperator } from "./deferrable-operator.js";
import type { Follow, InFlight, Settled } from "./in-flight.js";
import { ended } from "./run-resume.js";
import type { RunState } from "./run-state.js";
import { DeferrableSensor } from "./sensor.js";
import { resolveArg, resolveArgs } from "./xcom.js";

type AnyDeferrable = DeferrableOperator<object, Json, Json>;

/** What a deferred try resolved when it parked, kept to complete or release its wait with. */
interface Parked {
  readonly args: object;
  readonly timeout: string | number | null;
  readonly softFail: boolean;
  readonly key: TaskInstanceKey;
}

/**
 * Deferral: a deferrable operator or sensor hands its work to an event source and parks on a Restate awakeable
 * (holding no worker) until the event, the timeout (where the source's last word decides) or a failure ends the
 * wait. The source is told when a try stops waiting without its event; a failed try of an operator is retried.
 */
export class Deferral {
  readonly #parked = new Map<string, Parked>();

  constructor(
    private readonly state: RunState,
    private readonly inFlight: InFlight,
    private readonly follow: Follow,
  ) {}

  /**
   * Registers a try with its event source and parks it on an awakeable (with a timer, if the wait has a limit: a
   * sensor's `timeout`, an operator's `executionTimeout`). Without `tryNumber`, the task's first try of this run.
   */
  async defer(op: AnyDeferrable, tryNumber?: number): Promise<void> {
    const state = this.state;
    const sensor = op instanceof DeferrableSensor ? op : null;
    // The latest journaled time is when the event that made this task ready was handled: no clock read needed.
    const start = state.clock || (await state.now());
    const nth = tryNumber ?? state.nextTry(op.taskId);
    state.set(op.taskId, {
      state: op.parkedState,
      try_number: nth,
      start_date: start,
      end_date: null,
    });
    const scope = state.scope();
    const awakeable = state.ctx.awakeable<Json>();
    let timeout: string | number | null;
    let timeoutMs: number | null;
    let args: object | undefined;
    try {
      // Pure by contract (arguments, templates, defer's checks), so a failure here fails the same way on replay.
      args = resolveArgs(op.args, scope);
      const context = state.context(op.taskId, nth);
      const key = {
        dagId: context.dagId,
        runId: context.runId,
        taskId: op.taskId,
        tryNumber: nth,
      };
      // Kept before the rest resolves, so that a failure from here on can still be released.
      this.#parked.set(op.taskId, {
        args,
        timeout: null,
        softFail: false,
        key,
      });
      timeout = sensor
        ? resolveArg(sensor.timeout, scope)
        : op.executionTimeout;
      this.#parked.set(op.taskId, {
        args,
        timeout,
        softFail: sensor ? resolveArg(sensor.softFail, scope) : false,
        key,
      });
      timeoutMs = timeout === null ? null : toMillis(timeout);
      op.defer(args, {
        ...context,
        triggerId: awakeable.id,
        deadline:
          timeoutMs === null
            ? null
            : new Date(Date.parse(start) + timeoutMs).toISOString(),
        send: (target, payload) => state.send(target, payload),
      });
    } catch (error) {
      if (args) this.release(op, "failed");
      return this.#fail(op, describe(error), isRetryable(error), start);
    }
    const wait =
      timeoutMs === null
        ? awakeable.promise
        : awakeable.promise.orTimeout(timeoutMs);
    this.inFlight.wait(
      op.taskId,
      wait.map((event, failure): Settled =>
        failure
          ? { taskId: op.taskId, kind: "event-failed", failure }
          : { taskId: op.taskId, kind: "event", event: event ?? null },
      ),
    );
  }

  /** Ends a wait: the event completes the task; a timeout asks the source's last word; a failure fails the try. */
  async settled(op: AnyDeferrable, settled: Settled): Promise<void> {
    const state = this.state;
    if (settled.kind === "retry-due") {
      await state.now();
      return this.defer(op, state.tryOf(op.taskId) + 1);
    }
    const { args, timeout, softFail, key } = this.#parked.get(op.taskId) ?? {
      args: {},
      timeout: null,
      softFail: false,
      key: {
        dagId: state.dag.id,
        runId: state.ctx.key,
        taskId: op.taskId,
        tryNumber: state.tryOf(op.taskId),
      },
    };
    if (settled.kind === "event") {
      let output: Json;
      let stamped: string | null;
      try {
        // User code outside a step: pure by contract, so a throw here throws the same way on replay.
        output = op.complete(settled.event, args);
        stamped = op.eventTime(settled.event);
      } catch (error) {
        this.release(op, "failed");
        return this.#fail(op, describe(error), isRetryable(error));
      }
      state.output(op.taskId, output);
      if (stamped) state.clock = stamped;
      const end = stamped ?? (await state.now());
      state.set(op.taskId, { state: "success", end_date: end });
      return this.follow(op, output, end);
    }
    if (settled.kind !== "event-failed") return;
    const { failure } = settled;
    if (failure instanceof restate.CancelledError) throw failure;
    if (failure instanceof restate.TimeoutError) {
      // The event source may have taken an event just before the timer fired: its word decides, not the race.
      let ask: LastWord | null = null;
      try {
        ask = op.lastWord(args, key);
      } catch (error) {
        state
          .context(op.taskId, state.tryOf(op.taskId))
          .log.warn(
            `could not ask the event source for a late event: ${describe(error)}`,
          );
      }
      if (ask) {
        let late: Json = null;
        state.flush();
        try {
          late = await state.ctx.genericCall<Json, Json>({
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
          state
            .context(op.taskId, state.tryOf(op.taskId))
            .log.warn(
              `the event source did not answer after the timeout: ${describe(error)}`,
            );
          ask = null;
        }
        if (late !== null && late !== undefined)
          return this.settled(op, {
            taskId: op.taskId,
            kind: "event",
            event: late,
          });
      }
      const context = state.context(op.taskId, state.tryOf(op.taskId));
      state.flush();
      await state.ctx.run(`${op.taskId}: ${op.title} timed out`, async () => {
        try {
          await op.onTimeout(args, context);
        } catch (hookError) {
          context.log.warn(`after the timeout: ${describe(hookError)}`);
        }
      });
      if (!ask) this.release(op, "timeout");
      if (!(op instanceof DeferrableSensor))
        // An operator's try that outwaits its execution timeout fails like any try, and is retried.
        return this.#fail(
          op,
          `the try waited longer than its execution timeout of ${String(timeout)}`,
          true,
        );
      // A sensor's timeout is final, as Airflow's: failed, or skipped with softFail; never retried.
      const note = `no event within ${String(timeout)}`;
      return state.set(op.taskId, {
        state: softFail ? "skipped" : "failed",
        end_date: await state.now(),
        note,
      });
    }
    this.release(op, "failed");
    return this.#fail(op, failure.message, true);
  }

  /**
   * Ends a try that failed: retried after the delay when it may be and tries are left (a durable timer, then a new
   * deferral), else the task fails. Without `end`, the end time is read from the clock.
   */
  async #fail(
    op: AnyDeferrable,
    note: string,
    retryable: boolean,
    end?: string,
  ): Promise<void> {
    const state = this.state;
    const nth = state.triesSoFar(op.taskId);
    const retry = retryable && nth <= op.retries;
    state.set(op.taskId, {
      state: retry ? "up_for_retry" : "failed",
      end_date: end ?? (await state.now()),
      note,
    });
    if (!retry) return;
    // The try that failed goes into the history now: the next try overwrites its times and note.
    const ti = state.instances.get(op.taskId);
    if (ti)
      state.set(op.taskId, { tries: [...(ti.tries ?? []), ...ended(ti)] });
    const next = state.tryOf(op.taskId) + 1;
    this.inFlight.wait(
      op.taskId,
      state.ctx
        .sleep(op.retryDelayAfter(nth), `${op.taskId}: wait before try ${next}`)
        .map((): Settled => ({ taskId: op.taskId, kind: "retry-due" })),
    );
  }

  /** Tells the event source of a task parked when the run was cancelled that nobody waits any more. */
  cancel(op: AnyDeferrable): void {
    if (this.#parked.has(op.taskId)) this.release(op, "cancelled");
  }

  /** Tells a deferred try's event source the run stops waiting; the task's own error there is only logged. */
  release(op: AnyDeferrable, reason: ReleaseReason): void {
    const state = this.state;
    const parked = this.#parked.get(op.taskId);
    if (!parked) return;
    try {
      op.release(parked.args, {
        ...parked.key,
        reason,
        send: (target, payload) => state.send(target, payload),
      });
    } catch (error) {
      state
        .context(op.taskId, state.tryOf(op.taskId))
        .log.warn(
          `could not tell the event source the wait ended (${reason}): ${describe(error)}`,
        );
    }
  }
}
