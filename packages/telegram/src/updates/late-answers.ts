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

/** How many late answers are in flight to Telegram at once: a burst's answers fall due together. */
const LATE_ANSWER_CONCURRENCY = 16;

/** Options of {@link LateAnswers}. */
export interface LateAnswersOptions {
  readonly hook: Pick<TelegramHook, "answerCallbackQuery" | "answeredLately">;
  /** After how long a press is answered if nothing answered it first; {@link LATE_ANSWER_AFTER_MS} by default. */
  readonly afterMs?: number;
  /** The toast; {@link LATE_ANSWER_TEXT} by default. */
  readonly text?: string;
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
 * The delays live in this process only: an ingester that dies loses its late answers, which then depend on the
 * consumers alone, as without this class.
 *
 * @example
 * const late = new LateAnswers({ hook });
 * late.watch(updates); // as each batch arrives
 * late.stop();
 */
export class LateAnswers {
  readonly #hook: LateAnswersOptions["hook"];
  readonly #afterMs: number;
  readonly #text: string;
  readonly #log: (message: string) => void;
  /** Presses in the order they arrived, which is the order their answers fall due (one delay for all). */
  #due: { readonly id: string; readonly at: number }[] = [];
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
  /** Late answers shown since the last report, and why sending failed since then (said once). */
  #shownSinceReport = 0;
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
  }

  /** Takes the presses of a batch as it arrives; other updates are not answered. */
  watch(updates: readonly IncomingUpdate[]): void {
    if (this.#stopped) return;
    const at = performance.now() + this.#afterMs;
    for (const update of updates) {
      const id = update.callback_query?.id;
      if (!id || this.#known.has(id)) continue;
      this.#known.add(id);
      this.#due.push({ id, at });
    }
    this.#pump();
  }

  /** How the late answers went so far. */
  get counts(): LateAnswerCounts {
    return {
      shown: this.#shown,
      refused: this.#refused,
      failed: this.#failed,
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
    const now = performance.now();
    while (this.#inFlight < LATE_ANSWER_CONCURRENCY) {
      const next = this.#due[this.#head];
      if (!next || next.at > now) break;
      this.#head++;
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
    else if (!next && this.#inFlight === 0) this.#report();
  }

  async #answer(id: string): Promise<void> {
    // Answered in this process (the worker that polls serves the router too): Telegram would refuse the call.
    if (this.#hook.answeredLately(id)) {
      this.#refused++;
      return;
    }
    try {
      await this.#hook.answerCallbackQuery(id, this.#text);
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

  /** Says, once a wave of late answers is through, how many presses nothing else answered in time. */
  #report(): void {
    if (this.#shownSinceReport === 0) return;
    this.#log(
      `answered ${this.#shownSinceReport} press(es) with «${this.#text}»: nothing else answered them within ` +
        `${this.#afterMs} ms of their arrival (the runs' own answers came later, and Telegram refused those)`,
    );
    this.#shownSinceReport = 0;
  }
}
