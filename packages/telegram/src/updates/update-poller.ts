import { hostname } from "node:os";
import { IngressError, type RestateIngress } from "@poekhali/core";
import { TelegramError } from "../errors.js";
import type { TelegramHook } from "../hooks/telegram-hook.js";
import {
  DEFAULT_ALLOWED_UPDATES,
  type IngestedUpdateType,
} from "./hand-over.js";
import { relayUpdates, UPDATE_RELAY_NAME } from "./update-relay.js";
import {
  holderWorker,
  leaseHolder,
  leaseMargin,
  POLL_LEASE_NAME,
  PollLeaseClient,
  type LeaseAnswer,
  type SentAsk,
} from "./poll-lease.js";
import { ReceptionClock } from "./reception-clock.js";
import { LateAnswers, type LateAnswersOptions } from "./late-answers.js";
import type { WebhookSettings } from "./webhook-settings.js";

/** How many updates `getUpdates` returns at most (Telegram's default limit, which the poller keeps). */
const GET_UPDATES_LIMIT = 100;
/** A long poll that took this long waited for its updates, which came as it returned. */
const WAITED_MS = 1_000;

/** Options of an {@link UpdatePoller}. */
export interface UpdatePollerOptions {
  readonly hook: TelegramHook;
  /** Restate's ingress, where each update is handed over before it is confirmed to Telegram. */
  readonly ingress: RestateIngress;
  /** Used at start to tell whether a webhook is set (then Telegram refuses `getUpdates`); no check without it. */
  readonly webhook?: WebhookSettings;
  /**
   * This worker's readable name, safe to log; `<host>:<pid>` by default. The poller holds the bot's lease as this name
   * and a nonce of its own (see {@link leaseHolder}), so two live processes under one name never both poll.
   */
  readonly workerId?: string;
  /**
   * The nonce of this poller's lease holder; a fresh one by default. Give the same one to a process that replaces one
   * known to be dead (as `poekhali up` does for the worker it restarts): it then renews the dead one's lease at once
   * instead of waiting it out. Never give one to two live processes.
   */
  readonly leaseNonce?: string;
  /** How long the lease lasts unless renewed (it is renewed every tenth of that, without waiting for answers); 15 s by default. The holder stops polling min(1 s, a tenth of it) early, its margin for clocks. */
  readonly leaseMs?: number;
  /**
   * The update types asked for; `["callback_query"]` by default. Add `"message"` only once the
   * `telegram_messages` object is deployed: until then Restate refuses messages and every update waits.
   */
  readonly allowedUpdates?: readonly IngestedUpdateType[];
  /** How many consumers' updates are handed to Restate at once (each consumer's in order); 32 by default. */
  readonly handOverConcurrency?: number;
  /** The wall clock the lease's asks are stamped with (epoch ms); `Date.now` unless a test sets one that is off. */
  readonly wallClock?: () => number;
  /**
   * The neutral answer each press gets some time after it arrived unless its router or request answered it first
   * (see {@link LateAnswers}); on by default, after 10 s. `false` leaves presses to their
   * consumers alone.
   */
  readonly lateAnswers?: Pick<LateAnswersOptions, "afterMs" | "text"> | false;
  /** Long-poll length; must stay well under Restate's and proxies' timeouts. 25 s by default. */
  readonly timeoutSeconds?: number;
  readonly log?: (message: string) => void;
}

/**
 * The one long-poller of a bot across a deployment. Every worker runs one, but only the holder of the bot's
 * lease (a Restate virtual object, {@link pollLease}) polls; the others stand by and take over when it stops
 * renewing. The holder hands each update to Restate (idempotency key = update id) and only then advances the
 * offset, which confirms the update to Telegram: a poller killed halfway loses nothing and duplicates nothing.
 *
 * @example
 * const poller = new UpdatePoller({ hook, ingress: new RestateIngress(ingressUrl), webhook, workerId: "host-a:9080" });
 * poller.start();
 * await poller.stop();
 */
export class UpdatePoller {
  readonly #options: UpdatePollerOptions;
  readonly #lease: PollLeaseClient;
  readonly #log: (message: string) => void;
  readonly #stop = new AbortController();
  readonly #clock = new ReceptionClock();
  readonly #late: LateAnswers | undefined;
  /** Whether Telegram may hold more updates than the last batch (it was full, or not handed over). */
  #behind = false;
  /** When (`performance.now()`) a poll last came back with all that Telegram held, and when the last one came back. */
  #caughtUpAt: number | undefined;
  #lastReturn: number | undefined;
  #loops: Promise<unknown> | undefined;
  #offset: number | undefined;
  /** Aborted when the lease is lost, which ends the poll round in flight. */
  #held: AbortController | undefined;
  #gained = deferred();
  #expiry: NodeJS.Timeout | undefined;
  /** Until when (`performance.now()`) this worker counts the lease as its own, and when the ask it counts from was made. */
  #heldUntil = 0;
  #granted = 0;
  /** Asks Restate has taken and not yet answered. */
  #queued = 0;
  /** When each ask still waiting for Restate to take it was sent (`performance.now()`). */
  readonly #sending = new Set<{ readonly at: number }>();
  /** Asks for the lease made and the latest one answered, by their order: renewals overlap. */
  #asks = 0;
  #answered = 0;
  /** Whether answers of asks could not be had from Restate lately (said once until one comes). */
  #attachFailing = false;
  /** Asks that failed in a row. */
  #failures = 0;
  /**
   * How far this worker's wall clock was last seen behind the one that judged its ask (ms; 0 when within half the
   * margin). Its asks are judged that much in the past, so it counts its lease that much shorter.
   */
  #behindMs = 0;
  /**
   * Standing by: until when (epoch ms, on the judging worker's clock) the latest refusal said the lease is another's,
   * and when (`performance.now()`) this worker last sent an ask past its one unanswered (see {@link #extraDue}).
   */
  #refusedUntil: number | undefined;
  #extraSent = -Infinity;
  /** The `asked_at` (epoch ms) of the newest ask Restate took. */
  #lastAskedAt = -Infinity;
  /** Who holds the lease while this worker stands by, once said. */
  #standingBy: string | undefined;
  /** Whether it was said that Restate's deployment has no `ask` for the lease yet (said once per poller). */
  #saidNoAsk = false;
  /** Whether it was said that Restate has no relay yet (said once per poller). */
  #saidNoRelay = false;
  /** Problems already reported since polling last worked: each is said once. */
  readonly #reported = new Set<string>();

  constructor(options: UpdatePollerOptions) {
    this.#options = options;
    this.#log = options.log ?? (() => undefined);
    const workerId = options.workerId ?? `${hostname()}:${process.pid}`;
    this.#late =
      options.lateAnswers === false
        ? undefined
        : new LateAnswers({
            hook: options.hook,
            ...options.lateAnswers,
            log: this.#log,
          });
    this.#lease = new PollLeaseClient(
      options.ingress,
      options.hook.botId,
      leaseHolder(workerId, options.leaseNonce),
      // 15 s: 30 s ran out as often under the burst (renewals answered late either way) and doubles how long a
      // crashed holder's bot goes unpolled.
      options.leaseMs ?? 15_000,
      options.wallClock,
    );
  }

  /** Whether this poller holds its bot's lease (and so is the one polling). */
  get polling(): boolean {
    return this.#held !== undefined && !this.#held.signal.aborted;
  }

  /** Starts keeping the lease and, while it is held, polling, in the background. */
  start(): void {
    this.#loops ??= Promise.all([this.#keepLease(), this.#poll()]);
  }

  /** Stops polling, waits for the current round to end and gives the lease up, so another worker polls at once. */
  async stop(): Promise<void> {
    this.#stop.abort();
    this.#gained.resolve();
    await this.#loops;
    this.#late?.stop();
    clearTimeout(this.#expiry);
    if (this.#held) await this.#lease.release().catch(() => undefined);
  }

  /**
   * Takes the lease and, while it is held, renews it every {@link RENEWALS_PER_LEASE}th of its length on a timer of
   * its own, without waiting for the previous renewal's answer (at most {@link MAX_RENEWALS_IN_FLIGHT} waiting to be
   * taken by Restate, and {@link MAX_RENEWALS_QUEUED} taken and waiting to run).
   * While Restate holds asks it has taken but not yet run, a further one is sent only once the lease has less than
   * {@link RENEW_WHEN_LEFT} of its length left: one key's asks run one after another, so more would only queue up
   * there, and a stand-by's ask to take over after a crash would wait behind them all. Standing by (or before the
   * worker is registered), it asks again once its last ask was answered, or a period later while Restate has not
   * yet taken it, or, once, when the lease it was refused against has run out (see {@link #extraDue}).
   */
  async #keepLease(): Promise<void> {
    const period = this.#lease.ttlMs / RENEWALS_PER_LEASE;
    const inFlight = new Set<Promise<void>>();
    while (!this.#stop.signal.aborted) {
      const asked = Date.now();
      if (
        this.#sending.size < MAX_RENEWALS_IN_FLIGHT &&
        this.#queued < MAX_RENEWALS_QUEUED &&
        this.#askDue()
      ) {
        if (this.#queued > 0 && !this.polling)
          this.#extraSent = performance.now();
        const ask = this.#ask().finally(() => inFlight.delete(ask));
        inFlight.add(ask);
        // Not yet holding, an answer decides sooner than a period (a refusal at start-up is asked again at once),
        // but a slow one must not hold the next ask back: the first renewals are due before it comes.
        if (!this.polling)
          await Promise.race([ask, pause(period, this.#stop.signal)]);
      }
      // Unanswered (e.g. at start-up, before the worker is registered), ask again soon rather than a period away.
      await pause(
        this.#failures > 0 && !this.polling
          ? Math.min(period, 100 * 2 ** this.#failures)
          : Math.max(0, period - (Date.now() - asked)),
        this.#stop.signal,
      );
    }
    await Promise.all(inFlight);
  }

  /**
   * Whether to ask now: always while Restate holds none of this worker's asks unanswered; while it does, standing by
   * only for one more (see {@link #extraDue}), and holding only once the lease runs low.
   */
  #askDue(): boolean {
    if (this.#queued === 0) return true;
    if (!this.polling) return this.#extraDue();
    return (
      this.#heldUntil - performance.now() <= this.#lease.ttlMs * RENEW_WHEN_LEFT
    );
  }

  /**
   * Standing by with one ask unanswered, whether to send one more: when that ask was made before the lease it was
   * last refused against ends (plus the margin for clocks, and however far this worker's clock was seen behind), it
   * will be refused too, and once this worker's clock has passed that end an ask made now may not be. Asks are judged
   * at their `asked_at`, not by their place in Restate's queue, so there is no need to wait for the answer, which
   * under load comes only after every ask queued ahead of it (a dead holder's included) has run, and which would
   * make the takeover wait that long and then a whole ask more. At most one such ask is unanswered at once, and one
   * is sent per lease at most, so a stand-by adds at most one ask per lease to the bot's queue.
   */
  #extraDue(): boolean {
    const until = this.#refusedUntil;
    const { ttlMs } = this.#lease;
    if (until === undefined || this.#queued !== 1 || this.#sending.size > 0)
      return false;
    if (performance.now() - this.#extraSent < ttlMs) return false;
    const over = until + leaseMargin(ttlMs) + this.#behindMs;
    return this.#lastAskedAt < over && this.#lease.wallClock() >= over;
  }

  /**
   * One ask for the lease. Once Restate has taken it, an ask made while the lease is held and taken before the lease
   * ran out extends it at once, without waiting for its answer (see {@link pollLease}: a worker asking to take over
   * is judged after it, so it cannot be granted until a whole lease after this ask). Its answer, however late,
   * grants the lease, or says who holds it instead.
   */
  async #ask(): Promise<void> {
    const { botId, holder } = this.#lease;
    const sequence = ++this.#asks;
    let sent: SentAsk;
    try {
      // A stop does not wait for a renewal that an overloaded Restate holds.
      const sending = { at: performance.now() };
      this.#sending.add(sending);
      sent = await this.#lease
        .send(this.#stop.signal)
        .finally(() => this.#sending.delete(sending));
    } catch (error) {
      if (this.#stop.signal.aborted) return;
      if (error instanceof IngressError && error.status === 404) {
        // The registered deployment is older than this worker: its lease object has no `ask` (it would judge an ask
        // when it runs, so an ask it took must not extend this worker's lease). Nothing was taken; stand by and ask
        // again every period until this worker's code is registered.
        if (!this.#saidNoAsk) {
          this.#saidNoAsk = true;
          this.#log(
            `Restate does not know ${POLL_LEASE_NAME}/ask yet (the registered deployment is older than this worker): ` +
              `this worker stands by for bot ${botId} until its code is registered (${message(error)})`,
          );
        }
        return;
      }
      this.#failed(error);
      return;
    }
    let answer: LeaseAnswer;
    this.#queued++;
    this.#lastAskedAt = Math.max(this.#lastAskedAt, sent.askedAt);
    try {
      if (this.polling && sent.accepted < this.#heldUntil)
        this.#extend(sent.asked);
      answer = await this.#answerOf(sent);
    } catch (error) {
      if (this.#stop.signal.aborted) return;
      // The lease may already count on this ask; an ask killed, cancelled or refused in Restate was never judged, so a
      // stand-by's ask behind it may be granted: the lease is lost at once.
      this.#lose(
        `Restate did not answer its ask for the lease (${message(error)}); never cancel or kill ${POLL_LEASE_NAME} ` +
          "invocations while a worker polls",
      );
      this.#failed(error);
      return;
    } finally {
      this.#queued--;
    }
    const asked = sent.asked;
    this.#failures = 0;
    // Renewals overlap: an answer to an older ask than one already answered says nothing newer.
    if (sequence < this.#answered) return;
    this.#answered = sequence;
    this.#checkClock(answer, sent.asked);
    if (!answer.held) {
      this.#refusedUntil = answer.expires_at;
      if (this.polling)
        this.#lose(`${describeHolder(answer.holder)} took its lease`);
      if (this.#standingBy !== answer.holder)
        this.#log(
          `bot ${botId} is polled by ${holderWorker(answer.holder)}; this worker stands by` +
            (holderWorker(answer.holder) === answer.holder
              ? ""
              : ` (lease holder ${answer.holder})`),
        );
      this.#standingBy = answer.holder;
      return;
    }
    // Granted, but answered so late that the lease, counted from the ask, is already over: the next ask decides.
    if (!this.#extend(asked)) return;
    if (!this.polling) {
      this.#standingBy = undefined;
      this.#refusedUntil = undefined;
      this.#held = new AbortController();
      this.#log(
        `polling bot ${botId} as ${describeHolder(holder)}: this worker holds the bot's poll lease`,
      );
      this.#gained.resolve();
    }
  }

  /**
   * Waits for an ask's answer. While Restate cannot be reached for it, or a proxy answers 502–504, the ask is still in
   * Restate and still counted (it runs, and may extend the lease, whatever this worker hears): it attaches again with
   * backoff, for as long as Restate keeps the answer, rather than count it gone and ask again every period. Throws at
   * once what says the ask itself failed (killed, cancelled, refused).
   */
  async #answerOf(sent: SentAsk): Promise<LeaseAnswer> {
    const until = performance.now() + ANSWER_KEPT_MS;
    for (let attempt = 0; ; attempt++) {
      try {
        const answer = await sent.answer(this.#stop.signal);
        if (attempt > 0 && this.#attachFailing) {
          this.#attachFailing = false;
          this.#log(
            `Restate answers bot ${this.#lease.botId}'s asks for the lease again`,
          );
        }
        return answer;
      } catch (error) {
        const unreachable =
          !(error instanceof IngressError) ||
          (error.status >= 502 && error.status <= 504);
        if (
          this.#stop.signal.aborted ||
          !unreachable ||
          performance.now() >= until
        )
          throw error;
        if (!this.#attachFailing) {
          this.#attachFailing = true;
          this.#log(
            `could not get the answer of an ask for bot ${this.#lease.botId}'s poll lease (${message(error)}); ` +
              "it stays counted and is asked for again",
          );
        }
        await pause(Math.min(5_000, 100 * 2 ** attempt), this.#stop.signal);
      }
    }
  }

  /**
   * Compares this worker's wall clock with the one that judged an ask (answers of older lease objects do not say),
   * from an answer that came back within half the margin of the ask: the judging worker read its time somewhere in
   * between, so a slow answer measures nothing (taken at face value it would hide a gap that is still there). A clock
   * behind by more than the margin would have this worker poll after the lease object let another take over. Seen
   * behind by more than half the margin, the lease is counted that much shorter until a prompt answer says otherwise,
   * at most half the lease shorter: a gap that large may as well be the judging worker's clock running ahead, which
   * the object's rule already makes harmless, and every worker would otherwise stop polling.
   */
  #checkClock(answer: LeaseAnswer, asked: number): void {
    if (typeof answer.now !== "number") return;
    const { ttlMs, botId } = this.#lease;
    const margin = leaseMargin(ttlMs);
    if (performance.now() - asked > margin / 2) return;
    const seen = Math.round(answer.now - this.#lease.wallClock());
    const cap = Math.floor(ttlMs / 2);
    const behind = seen > margin / 2 ? Math.min(seen, cap) : 0;
    if (behind > 0 && this.#behindMs === 0)
      this.#log(
        seen > cap
          ? `this worker's clock and the clock of the worker that judged its ask for bot ${botId}'s poll lease differ ` +
              `by ${seen} ms (this one behind, or that one ahead): it counts the lease ${cap} ms shorter (the lease ` +
              `lasts ${ttlMs} ms); keep the workers' clocks in step (NTP)`
          : `this worker's clock is at least ${behind} ms behind the worker that judged its ask for bot ${botId}'s ` +
              `poll lease; it counts the lease that much shorter (the lease lasts ${ttlMs} ms) until the clocks ` +
              "agree: keep the workers' clocks in step (NTP)",
      );
    else if (behind === 0 && this.#behindMs > 0)
      this.#log(
        `this worker's clock agrees again with the worker that judged its ask for bot ${botId}'s poll lease`,
      );
    if (behind > this.#behindMs && this.polling) {
      // Already counted on the old figure: take the difference off at once.
      const until = this.#heldUntil - (behind - this.#behindMs);
      this.#behindMs = behind;
      if (until <= performance.now())
        return this.#lose(
          `its clock is ${behind} ms behind the worker that judged its ask, more than the lease it had left`,
        );
      return this.#countUntil(until, this.#granted);
    }
    this.#behindMs = behind;
  }

  /**
   * Counts the lease as this worker's until a lease after `asked` (a `performance.now()`), less a margin for the
   * clocks of other workers and however far this worker's clock was seen behind; false when that is already over.
   */
  #extend(asked: number): boolean {
    const { ttlMs } = this.#lease;
    const until = asked + ttlMs - leaseMargin(ttlMs) - this.#behindMs;
    if (until <= performance.now()) return false;
    if (until > this.#heldUntil) this.#countUntil(until, asked);
    return true;
  }

  /** Counts the lease as this worker's until `until`, from the ask made at `asked` (both `performance.now()`). */
  #countUntil(until: number, asked: number): void {
    const { ttlMs } = this.#lease;
    this.#heldUntil = until;
    this.#granted = asked;
    clearTimeout(this.#expiry);
    this.#expiry = setTimeout(
      () =>
        this.#lose(
          `its lease ran out before Restate took a renewal (the last one taken in time was asked ` +
            `${((performance.now() - this.#granted) / 1000).toFixed(1)} s ago; the lease lasts ${ttlMs / 1000} s; ` +
            `${this.#waiting()}): Restate or this worker is overloaded`,
        ),
      until - performance.now(),
    );
  }

  /** Says, once per run of failures, that an ask for the lease failed. */
  #failed(error: unknown): void {
    if (this.#failures++ === 0)
      this.#log(
        `could not reach Restate for bot ${this.#lease.botId}'s poll lease (${message(error)}); ` +
          (this.polling
            ? "polling goes on until the lease runs out"
            : "retrying"),
      );
  }

  /** What this worker's asks wait for, for the log: Restate to take them, or to run them. */
  #waiting(): string {
    const oldest = Math.min(...[...this.#sending].map((s) => s.at));
    const sending =
      this.#sending.size === 0
        ? "no ask waits to be taken"
        : `${this.#sending.size} asks wait to be taken, the oldest sent ${((performance.now() - oldest) / 1000).toFixed(1)} s ago`;
    return `${sending}, ${this.#queued} taken wait to run`;
  }

  #lose(why: string): void {
    if (!this.polling) return;
    clearTimeout(this.#expiry);
    this.#heldUntil = 0;
    this.#held?.abort();
    this.#gained = deferred();
    this.#log(`stopped polling bot ${this.#lease.botId}: ${why}`);
  }

  async #poll(): Promise<void> {
    let failures = 0;
    let checked = false;
    while (!this.#stop.signal.aborted) {
      await this.#gained.promise;
      const held = this.#held;
      if (this.#stop.signal.aborted || !held || held.signal.aborted) continue;
      if (!checked) checked = await this.#checkWebhook();
      // After a stall (GC, a busy event loop, SIGSTOP) the poll that ended during it is seen before the expiry timer
      // fires: never send a getUpdates once the lease, counted on this worker's monotonic clock, is over.
      if (performance.now() >= this.#heldUntil) {
        this.#lose(
          `its lease ran out before the next getUpdates (this worker stalled, or Restate took no renewal in time; ` +
            `${this.#waiting()})`,
        );
        continue;
      }
      const signal = AbortSignal.any([this.#stop.signal, held.signal]);
      try {
        await this.#round(signal);
        if (failures > 0 || this.#reported.size > 0)
          this.#log(`polling bot ${this.#lease.botId} works again`);
        failures = 0;
        this.#reported.clear();
      } catch (error) {
        if (signal.aborted) continue;
        failures++;
        this.#report(error);
        await pause(Math.min(30_000, 500 * 2 ** Math.min(failures, 6)), signal);
      }
    }
  }

  /** One long poll, then its updates handed to Restate before the offset moves past them. */
  async #round(signal: AbortSignal): Promise<void> {
    const { hook, ingress } = this.#options;
    const allowedUpdates = [
      ...(this.#options.allowedUpdates ?? DEFAULT_ALLOWED_UPDATES),
    ];
    const sentAt = performance.now();
    const updates = await hook.getUpdates(
      {
        offset: this.#offset,
        timeoutSeconds: this.#options.timeoutSeconds ?? 25,
        allowedUpdates,
      },
      signal,
    );
    const returnedAt = performance.now();
    this.#late?.watch(updates, this.#pressedAfter(sentAt, returnedAt));
    // Until the batch is handed over, its updates stay at Telegram: a failed round leaves the poller behind.
    this.#caughtUpAt ??= sentAt;
    this.#behind = true;
    this.#lastReturn = returnedAt;
    // The whole batch in one request to Restate's relay, which sends each update on in order: one request per
    // update, even many at once, bounded a burst by Restate's ingress round trips.
    const batch = await relayUpdates(
      updates,
      { hook, ingress, clock: this.#clock },
      { concurrency: this.#options.handOverConcurrency, signal },
    );
    if (!batch.relayed && !this.#saidNoRelay) {
      this.#saidNoRelay = true;
      this.#log(
        `Restate does not know ${UPDATE_RELAY_NAME} yet (the registered deployment is older than this worker): ` +
          `bot ${this.#lease.botId}'s updates are handed over one by one until it is registered`,
      );
    }
    const last = updates[batch.handedOver - 1];
    if (last) this.#offset = last.update_id + 1;
    if (batch.failed)
      throw new HandOverError(batch.failed.updateId, batch.failed.error);
    // A batch short of Telegram's 100 was everything it held: the poller had caught up when it came back.
    this.#behind = updates.length >= GET_UPDATES_LIMIT;
    if (!this.#behind) this.#caughtUpAt = returnedAt;
  }

  /**
   * The earliest moment the presses of a batch can have been made (`performance.now()`), from which their late
   * answers are counted. Behind a backlog, not before the poller last caught up; after a poll that waited, not long
   * before it came back (Telegram answers a long poll as soon as it has an update); otherwise not before the previous
   * poll came back, which took everything Telegram held then.
   */
  #pressedAfter(sentAt: number, returnedAt: number): number {
    if (this.#behind) return this.#caughtUpAt ?? sentAt;
    if (returnedAt - sentAt >= WAITED_MS)
      return Math.max(this.#lastReturn ?? sentAt, returnedAt - WAITED_MS);
    return this.#lastReturn ?? sentAt;
  }

  /** Says once, with cause and fix, that a webhook is set: Telegram refuses to be polled until it is deleted. */
  async #checkWebhook(): Promise<boolean> {
    if (!this.#options.webhook) return true;
    try {
      const info = await this.#options.webhook.info();
      if (info.url)
        this.#reportOnce(
          "webhook",
          webhookSetText(this.#lease.botId, info.url),
        );
      return true;
    } catch (error) {
      this.#log(
        `could not ask Telegram whether a webhook is set (${message(error)}); asking again on the next round`,
      );
      return false;
    }
  }

  #report(error: unknown): void {
    const botId = this.#lease.botId;
    if (error instanceof TelegramError && error.errorCode === 409) {
      if (/webhook/i.test(error.description))
        return this.#reportOnce("webhook", webhookSetText(botId));
      return this.#reportOnce(
        "conflict",
        `Telegram refused getUpdates for bot ${botId} with 409 (${error.description}): another program polls this bot ` +
          "with the same token (another deployment, or a script), and Telegram allows one consumer per bot. " +
          "Fix: stop the other program, or give this deployment a bot of its own. Polling backs off (up to 30 s) until then.",
      );
    }
    if (error instanceof HandOverError) {
      return this.#reportOnce(
        "restate",
        `Restate did not accept update ${error.updateId} of bot ${botId} (${message(error.cause)}); ` +
          "it stays unconfirmed at Telegram and is tried again, and later updates wait behind it",
      );
    }
    this.#reportOnce(
      "telegram",
      `polling Telegram for bot ${botId} failed (${message(error)}); trying again with backoff`,
    );
  }

  #reportOnce(kind: string, text: string): void {
    if (this.#reported.has(kind)) return;
    this.#reported.add(kind);
    this.#log(text);
  }
}

/** Renewals per lease length: a renewal answered up to 9/10 of the lease late (less a margin) still keeps it. */
const RENEWALS_PER_LEASE = 10;
/**
 * Asks sent and not yet taken by Restate, at most: one per period of a lease, so that a slow ingress never makes asks
 * skip a slot while the lease could still be kept, and a Restate that takes nothing does not pile requests up.
 */
export const MAX_RENEWALS_IN_FLIGHT = RENEWALS_PER_LEASE;
/**
 * Asks Restate has taken and not yet answered, at most. They wait for the bot's key one after another, so a
 * stand-by's ask to take over after a crash waits behind them: under load that is up to this many asks' run times.
 */
export const MAX_RENEWALS_QUEUED = 2 * RENEWALS_PER_LEASE;
/** How long an ask's answer is asked for again after Restate could not be reached: a little less than the lease object keeps it. */
const ANSWER_KEPT_MS = 9 * 60_000;
/**
 * While Restate holds asks it has taken but not run, the next is sent once the lease has this share of its length
 * left (10.5 s of 15). Checked every 1.5 s tick, that is 4.5 s after the last ask taken, so Restate has 9.5 s (14 s
 * counted, less 4.5 s) to take it, and the asks it holds grow by one per 4.5 s instead of one per 1.5 s: the twenty
 * allowed keep the lease through about 90 s in which Restate runs none (then the cap forces a loss).
 */
const RENEW_WHEN_LEFT = 0.7;

/** An update Restate did not take; it was not confirmed to Telegram. */
class HandOverError extends Error {
  override name = "HandOverError";
  constructor(
    readonly updateId: number,
    cause: unknown,
  ) {
    super(`handing update ${updateId} to Restate failed`, { cause });
  }
}

function webhookSetText(botId: number, url?: string): string {
  const where = url ? ` (to ${safeOrigin(url)})` : "";
  return (
    `bot ${botId} has a webhook set${where}, so Telegram refuses getUpdates (409) while TELEGRAM_UPDATES=poll. ` +
    "Fix: delete the webhook (Bot API deleteWebhook; pending updates are kept), or set TELEGRAM_UPDATES=webhook. " +
    "Polling backs off (up to 30 s) until then."
  );
}

/** A webhook URL's origin only: its path may hold a secret (some put the token there). */
function safeOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return "an unreadable URL";
  }
}

/** A lease holder for the log: its worker id, then the whole id (with its nonce) when it has one. */
function describeHolder(holder: string): string {
  const worker = holderWorker(holder);
  return worker === holder ? holder : `${worker} (lease holder ${holder})`;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
