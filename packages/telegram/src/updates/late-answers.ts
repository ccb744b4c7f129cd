import { TelegramError } from "../errors.js";
import type { TelegramHook } from "../hooks/telegram-hook.js";
import type { IncomingUpdate } from "./hand-over.js";

/** What a press nobody answered in time is told: true whatever became of it (it was received), and nothing more. */
export const LATE_ANSWER_TEXT = "Нажатие получено";

/**
 * After how long an ingester answers a press itself: Telegram refuses answers 15 s after the press, and the press
 * reached the ingester some time after it was made (a long poll's round trip, a webhook's delivery).
 */
export const LATE_ANSWER_AFTER_MS = 10_000;

/** Telegram refuses an answer this long after the press: a late answer due after it is not sent. */
const ANSWER_WINDOW_MS = 15_000;

/** How many late answers are in flight to Telegram at once: a burst's answers fall due together (~100 ms each). */
const LATE_ANSWER_CONCURRENCY = 64;

/** How often, at most, a stream of late answers is reported while it goes on. */
const REPORT_EVERY_MS = 60_000;

/** Options of {@link LateAnswers}. */
export interface LateAnswersOptions {
  readonly hook: Pick<TelegramHook, "answerCallbackQuery" | "answeredLately">;
  /** After how long a press is answered if nothing answered it first; {@link LATE_ANSWER_AFTER_MS} by default. */
  readonly afterMs?: number;
  /** The toast; {@link LATE_ANSWER_TEXT} by default. */
  readonly text?: string;
  /** The monotonic clock (ms), `performance.now` unless a test moves time on. */
  readonly now?: () => number;
  readonly log?: (message: string) => void;
}

/** How the late answers went so far. */
export interface LateAnswerCounts {
  /** Presses Telegram took the late answer for: nothing had answered them within the delay. */
  readonly shown: number;
  /** Presses already answered (by their router or request) when the late answer came: Telegram refused it. */
  readonly refused: number;
  /** Late answers that could not be sent (Telegram unreachable, rate-limited, a server error): not retried. */
  readonly failed: number;
  /** Presses that reached the ingester too late: due only after Telegram's 15 s had surely passed, not sent. */
  readonly expired: number;
  /** Presses whose late answer is still to come. */
  readonly waiting: number;
}

/**
 * The ingester's guarantee that no button spins out Telegram's answer window: every press it takes gets, a fixed
 * delay after it arrived, the answer «Нажатие получено», unless something answered it first. The router and the
 * `telegram_hitl` objects answer with what is true (taken, already pressed, not for you); under a burst that
 * outruns them, their answers come after Telegram's 15 s and are refused, and the button would spin and fail. Telegram
 * takes one answer per press: a late answer to a press already answered is refused, and a router's answer after
 * a late one is refused too, so each press shows exactly one toast. What became of the press shows in the message
 * (its keyboard goes when a run took a press).
 *
 * The delay is counted from the earliest moment the press can have been made, which the ingester tells: a poller
 * behind a backlog at Telegram gets presses made long before they reach it, and answers them sooner. Only presses
 * with a message (the ones handed to a consumer) are answered; an answer due after the press's window surely closed
 * is not sent. The delays live in this process only: an ingester that dies loses its late answers, which then depend
 * on the consumers alone, as without this class.
 *
 * @example
 * const late = new LateAnswers({ hook });
 * late.watch(updates, pressedAfter); // as each batch arrives
 * late.stop();
 */
export class LateAnswers {
  readonly #hook: LateAnswersOptions["hook"];
  readonly #afterMs: number;
  readonly #text: string;
  readonly #log: (message: string) => void;
  readonly #now: () => number;
  /**
   * Presses in the order they arrived, which is the order their answers fall due: an ingester's `pressedAfter` does
   * not go back (a webhook's concurrent requests may by a moment; such an answer waits for the one before it).
   */
  #due: { readonly id: string; readonly at: number; readonly until: number }[] =
    [];
  /** Where the next press due is in `#due` (a head index: shifting a 10,000-long array per answer is quadratic). */
  #head = 0;
  /** Presses queued or in flight, so that an update polled twice (a lost lease, a retried batch) is answered once. */
  readonly #known = new Set<string>();
  #inFlight = 0;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #shown = 0;
  #refused = 0;
  #failed = 0;
  #expired = 0;
  /** Late answers shown since the last report, when that was (`performance.now()`), and why sending failed lately. */
  #shownSinceReport = 0;
  #reportedAt: number;
  #failing: string | undefined;

  constructor(options: LateAnswersOptions) {
    this.#hook = options.hook;
    this.#afterMs = options.afterMs ?? LATE_ANSWER_AFTER_MS;
    if (!Number.isInteger(this.#afterMs) || this.#afterMs < 0)
      throw new RangeError(
        `afterMs must be a whole number of milliseconds ≥ 0, got ${this.#afterMs}`,
      );
    this.#text = options.text ?? LATE_ANSWER_TEXT;
    this.#log = options.log ?? (() => undefined);
    this.#now = options.now ?? (() => performance.now());
    this.#reportedAt = this.#now();
  }

  /**
   * Takes the presses of a batch as it arrives. `pressedAfter` (`performance.now()`, now by default) is the earliest
   * moment they can have been made: their answers fall due `afterMs` after it. Other updates are not answered.
   */
  watch(updates: readonly IncomingUpdate[], pressedAfter?: number): void {
    if (this.#stopped) return;
    const now = this.#now();
    pressedAfter ??= now;
    const at = Math.min(pressedAfter, now) + this.#afterMs;
    // Made before it reached us: its window closes within 15 s of now at the latest.
    const until = now + ANSWER_WINDOW_MS;
    for (const update of updates) {
      const query = update.callback_query;
      if (!query?.message || this.#known.has(query.id)) continue;
      this.#known.add(query.id);
      this.#due.push({ id: query.id, at, until });
    }
    this.#pump();
  }

  /** How the late answers went so far. */
  get counts(): LateAnswerCounts {
    return {
      shown: this.#shown,
      refused: this.#refused,
      failed: this.#failed,
      expired: this.#expired,
      waiting: this.#due.length - this.#head + this.#inFlight,
    };
  }

  /** Drops the answers still to come; those in flight finish. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    for (const { id } of this.#due.slice(this.#head)) this.#known.delete(id);
    this.#due = [];
    this.#head = 0;
  }

  /** Sends what is due, up to the concurrency, and sets the timer for the next one. */
  #pump(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const now = this.#now();
    while (this.#inFlight < LATE_ANSWER_CONCURRENCY) {
      const next = this.#due[this.#head];
      if (!next || next.at > now) break;
      this.#head++;
      if (now > next.until) {
        this.#expired++;
        this.#known.delete(next.id);
        continue;
      }
      this.#inFlight++;
      void this.#answer(next.id).finally(() => {
        this.#inFlight--;
        this.#known.delete(next.id);
        if (!this.#stopped) this.#pump();
      });
    }
    if (this.#head > 1_024 && this.#head * 2 > this.#due.length) {
      this.#due = this.#due.slice(this.#head);
      this.#head = 0;
    }
    const next = this.#due[this.#head];
    if (next && this.#inFlight < LATE_ANSWER_CONCURRENCY)
      // Unref'd: a process with nothing else to do does not stay up for late answers.
      this.#timer = setTimeout(
        () => this.#pump(),
        Math.max(0, next.at - now),
      ).unref();
    if (!next && this.#inFlight === 0) this.#report(true);
    else this.#report();
  }

  async #answer(id: string): Promise<void> {
    // Answered in this process (the worker that polls serves the router too): Telegram would refuse the call.
    if (this.#hook.answeredLately(id)) {
      this.#refused++;
      return;
    }
    try {
      // A 429 is not waited out: by the time it is over, the window may be too.
      await this.#hook.answerCallbackQuery(id, this.#text, {
        waitOutRateLimits: false,
      });
      this.#shown++;
      this.#shownSinceReport++;
      this.#failing = undefined;
    } catch (error) {
      // Telegram's refusal: the press was answered already (or is past its window). That is the usual case.
      if (error instanceof TelegramError && !error.retryable) {
        this.#refused++;
        return;
      }
      this.#failed++;
      // The hook's errors carry no token; anything else is named only by its kind.
      const why =
        error instanceof TelegramError
          ? error.message
          : `a ${error instanceof Error ? error.name : typeof error}`;
      if (this.#failing !== why)
        this.#log(`could not give a press its late answer: ${why}`);
      this.#failing = why;
    }
  }

  /** Says how many presses nothing else answered in time: once a wave is through, and each minute while it lasts. */
  #report(force = false): void {
    if (this.#shownSinceReport === 0) return;
    const now = this.#now();
    if (!force && now - this.#reportedAt < REPORT_EVERY_MS) return;
    this.#log(
      `answered ${this.#shownSinceReport} press(es) with «${this.#text}»: nothing else answered them within ` +
        `${this.#afterMs} ms (Telegram takes one answer, so their runs' own answers are not shown)`,
    );
    this.#shownSinceReport = 0;
    this.#reportedAt = now;
  }
}
