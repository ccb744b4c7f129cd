import { setTimeout as delay } from "node:timers/promises";
import { nextSlot, type Pace, type PaceLimits } from "./pace.js";

/** Options of a {@link SlotGate}. */
export interface SlotGateOptions {
  /**
   * The round is being tried again after an attempt that may have sent requests no answer of which was recorded: the
   * first slot is a second (and the margin) after the retry began.
   */
  readonly retried?: boolean;
  /** Aborted when this attempt of the round is over (`ctx.request().attemptCompletedSignal`): no slot after that. */
  readonly signal?: AbortSignal;
}

/**
 * Hands out a base's request slots, in one process, to the steps of one round of the writer: one step at a time,
 * each at the earliest moment the answers so far allow (a request goes a second after the answer to the one
 * `requestsPerSecond` before it, so no second at Airtable's end holds more, however the requests were delayed on the
 * way). The steps run side by side; one that is late pushes the later ones back rather than crowding a second.
 */
export class SlotGate {
  #pausedUntil: number;
  /** When each request of the round (and the latest before it) was answered, or will be, in send order. */
  #answers: Promise<number>[];
  #turn: Promise<unknown> = Promise.resolve();

  readonly #retried: boolean;
  readonly #signal: AbortSignal | undefined;
  /** On a retried round, no request before this: a second after the retry took its first slot. */
  #floor: number | undefined;

  constructor(
    pace: Pace,
    private readonly limits: PaceLimits,
    options: SlotGateOptions = {},
  ) {
    this.#pausedUntil = pace.pausedUntil;
    this.#answers = pace.starts.map((t) => Promise.resolve(t));
    this.#retried = options.retried ?? false;
    this.#signal = options.signal;
  }

  /**
   * Pauses the base from now to `until` (epoch ms; `Infinity` for the rest of the round): a step answered with a 429
   * or a 5xx stops the round's later steps, even those already waiting for their slot, from sending into the penalty
   * or the outage. The round's outcome sets the base's real pause.
   */
  pause(until: number): void {
    this.#pausedUntil = Math.max(this.#pausedUntil, until);
  }

  /**
   * Waits for room for `requests` requests sent back to back and takes it, returning what to call once they are
   * answered (with how many requests the step made beyond those, if any); null, without waiting, when that room
   * opens more than `withinMs` from now (the base is paused, or the round is full).
   */
  take(
    requests: number,
    withinMs: number,
  ): Promise<((extra?: number) => void) | null> {
    const mine = this.#turn.then(async () => {
      // Every answer but the latest `keep - 1` must be a second old when the new requests begin: the latest of
      // them, not the one this many back in send order (answers may come back in another order than they went).
      const keep = Math.max(1, this.limits.requestsPerSecond - requests + 1);
      const earlier = this.#answers.slice(0, this.#answers.length - keep + 1);
      const starts =
        this.#answers.length >= keep
          ? [Math.max(...(await Promise.all(earlier)))]
          : [];
      const slot = nextSlot(
        { starts, pausedUntil: this.#pausedUntil },
        { ...this.limits, requestsPerSecond: 1 },
        1,
      );
      // A retry cannot know when the attempt before it sent what it sent: at most a second's worth, all before now.
      if (this.#retried)
        this.#floor ??= Date.now() + 1000 + this.limits.marginMs;
      const wait = Math.max(slot, this.#floor ?? 0) - Date.now();
      if (wait > withinMs || this.#signal?.aborted) return null;
      if (wait > 0) await delay(wait);
      // An attempt cut off meanwhile (Restate retries the round elsewhere) sends nothing more; nor does a round
      // that met a 429 or a 5xx meanwhile.
      if (this.#signal?.aborted || Date.now() < this.#pausedUntil) return null;
      let answered!: (extra?: number) => void;
      const at = new Promise<number>((resolve) => {
        answered = (extra = 0) => {
          const now = Date.now();
          resolve(now);
          // Requests the step made beyond its room (the hook's read of a refused column's type): the later steps
          // count a second from them too.
          for (let i = 0; i < extra; i++)
            this.#answers.push(Promise.resolve(now));
        };
      });
      // Every answer of the round is kept (a round has a few steps): one dropped while still pending could be the
      // latest of those a new request must wait a second for.
      for (let i = 0; i < requests; i++) this.#answers.push(at);
      return answered;
    });
    this.#turn = mine;
    return mine;
  }
}
