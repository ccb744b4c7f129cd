import * as restate from "@restatedev/restate-sdk";
import { toMillis } from "./duration.js";
import type { Json } from "./json.js";
import { describe } from "./attempt.js";
import type { Follow, InFlight, Settled } from "./in-flight.js";
import type { RunState } from "./run-state.js";
import type { DeferrableSensor, LastWord, ReleaseReason } from "./sensor.js";
import { resolveArg, resolveArgs } from "./xcom.js";

type AnySensor = DeferrableSensor<object, Json, Json>;

/** What a deferred task resolved when it parked, kept to complete or release its wait with. */
interface Parked {
  readonly args: object;
  readonly timeout: string | number | null;
  readonly softFail: boolean;
}

/**
 * Deferral: a task hands its work to an event source and parks on a Restate awakeable (held no worker) until the
 * event, the timeout (when the source's last word decides) or a failure ends the wait; the source is told when the
 * run stops waiting without the event.
 */
export class Deferral {
  readonly #parked = new Map<string, Parked>();

  constructor(
    private readonly state: RunState,
    private readonly inFlight: InFlight,
    private readonly follow: Follow,
  ) {}

  /** Registers the task with its event source and parks it on an awakeable (with a timer, if it has a timeout). */
  async defer(sensor: AnySensor): Promise<void> {
    const state = this.state;
    // The latest journaled time is when the event that made this sensor ready was handled: no clock read needed.
    const start = state.clock || (await state.now());
    const tryNumber = state.nextTry(sensor.taskId);
    state.set(sensor.taskId, {
      state: sensor.parkedState,
      try_number: tryNumber,
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
      args = resolveArgs(sensor.args, scope);
      timeout = resolveArg(sensor.timeout, scope);
      this.#parked.set(sensor.taskId, {
        args,
        timeout,
        softFail: resolveArg(sensor.softFail, scope),
      });
      timeoutMs = timeout === null ? null : toMillis(timeout);
      sensor.defer(args, {
        ...state.context(sensor.taskId, tryNumber),
        triggerId: awakeable.id,
        deadline:
          timeoutMs === null
            ? null
            : new Date(Date.parse(start) + timeoutMs).toISOString(),
        send: (target, payload) => state.send(target, payload),
      });
    } catch (error) {
      if (args) this.release(sensor, args, "failed");
      return state.set(sensor.taskId, {
        state: "failed",
        end_date: start,
        note: describe(error),
      });
    }
    const wait =
      timeoutMs === null
        ? awakeable.promise
        : awakeable.promise.orTimeout(timeoutMs);
    this.inFlight.wait(
      sensor.taskId,
      wait.map((event, failure): Settled =>
        failure
          ? { taskId: sensor.taskId, kind: "event-failed", failure }
          : { taskId: sensor.taskId, kind: "event", event: event ?? null },
      ),
    );
  }

  /** Ends a wait: the event completes the task; a timeout asks the source's last word; a failure fails it. */
  async settled(sensor: AnySensor, settled: Settled): Promise<void> {
    const state = this.state;
    const { args, timeout, softFail } = this.#parked.get(sensor.taskId) ?? {
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
        this.release(sensor, args, "failed");
        return state.set(sensor.taskId, {
          state: "failed",
          end_date: await state.now(),
          note: describe(error),
        });
      }
      state.output(sensor.taskId, output);
      if (stamped) state.clock = stamped;
      const end = stamped ?? (await state.now());
      state.set(sensor.taskId, { state: "success", end_date: end });
      return this.follow(sensor, output, end);
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
        state
          .context(sensor.taskId, state.tryOf(sensor.taskId))
          .log.warn(
            `could not ask the event source for a late event: ${describe(error)}`,
          );
      }
      if (ask) {
        let late: Json = null;
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
            .context(sensor.taskId, state.tryOf(sensor.taskId))
            .log.warn(
              `the event source did not answer after the timeout: ${describe(error)}`,
            );
          ask = null;
        }
        if (late !== null && late !== undefined)
          return this.settled(sensor, {
            taskId: sensor.taskId,
            kind: "event",
            event: late,
          });
      }
      const context = state.context(sensor.taskId, state.tryOf(sensor.taskId));
      await state.ctx.run(
        `${sensor.taskId}: ${sensor.title} timed out`,
        async () => {
          try {
            await sensor.onTimeout(args, context);
          } catch (hookError) {
            context.log.warn(`after the timeout: ${describe(hookError)}`);
          }
        },
      );
      if (!ask) this.release(sensor, args, "timeout");
      const note = `no event within ${String(timeout)}`;
      return state.set(sensor.taskId, {
        state: softFail ? "skipped" : "failed",
        end_date: await state.now(),
        note,
      });
    }
    this.release(sensor, args, "failed");
    state.set(sensor.taskId, {
      state: "failed",
      end_date: await state.now(),
      note: failure.message,
    });
  }

  /** Tells the event source of a task parked when the run was cancelled that nobody waits any more. */
  cancel(sensor: AnySensor): void {
    const parked = this.#parked.get(sensor.taskId);
    if (parked) this.release(sensor, parked.args, "cancelled");
  }

  /** Tells a deferred sensor's event source the run stops waiting; a sensor's own error there is only logged. */
  release(sensor: AnySensor, args: object, reason: ReleaseReason): void {
    const state = this.state;
    try {
      sensor.release(args, {
        reason,
        send: (target, payload) => state.send(target, payload),
      });
    } catch (error) {
      state
        .context(sensor.taskId, state.tryOf(sensor.taskId))
        .log.warn(
          `could not tell the event source the wait ended (${reason}): ${describe(error)}`,
        );
    }
  }
}
