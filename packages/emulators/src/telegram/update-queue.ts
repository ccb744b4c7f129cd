import { TelegramApiError } from "../errors.js";
import type { TgUpdate } from "./wire-types.js";

const DAY_MS = 24 * 60 * 60 * 1000;
const OFF_BY_DEFAULT = new Set([
  "chat_member",
  "message_reaction",
  "message_reaction_count",
]);

/** A pending update with what getUpdates needs to filter and expire it. */
export interface QueuedUpdate {
  update: TgUpdate;
  kind: string;
  createdAt: number;
}

interface Waiter {
  limit: number;
  finish(result: TgUpdate[] | TelegramApiError): void;
}

/** What of a queue outlives a restart: the next update id, the pending updates, allowed_updates. */
export interface QueueSnapshot {
  nextUpdateId: number;
  updates: QueuedUpdate[];
  allowedUpdates?: string[];
}

/** Options of one `getUpdates` call, already validated. */
export interface PollOptions {
  offset?: number;
  limit: number;
  timeoutSeconds: number;
  allowedUpdates?: string[];
}

/** One bot's pending updates with Telegram's getUpdates semantics: offsets, long polls, one consumer. */
export class UpdateQueue {
  private updates: QueuedUpdate[] = [];
  private nextUpdateId: number;
  private allowed: Set<string> | undefined;
  private waiter: Waiter | undefined;
  private pollWatchers: (() => void)[] = [];
  private pushWatchers: (() => void)[] = [];

  constructor(
    private readonly now: () => number,
    firstUpdateId: number,
  ) {
    this.nextUpdateId = firstUpdateId;
  }

  /** The queue's durable part, for a state file. */
  snapshot(): QueueSnapshot {
    return {
      nextUpdateId: this.nextUpdateId,
      updates: this.updates,
      ...(this.allowed === undefined
        ? {}
        : { allowedUpdates: [...this.allowed] }),
    };
  }

  /** Takes back what {@link UpdateQueue.snapshot} returned. */
  restore(snapshot: QueueSnapshot): void {
    this.nextUpdateId = snapshot.nextUpdateId;
    this.updates = snapshot.updates;
    this.allowed =
      snapshot.allowedUpdates === undefined
        ? undefined
        : new Set(snapshot.allowedUpdates);
  }

  /** Queues an update unless allowed_updates excludes its kind; returns its id, or undefined when dropped. */
  push(
    kind: string,
    build: (updateId: number) => TgUpdate,
  ): number | undefined {
    if (!this.allows(kind)) return undefined;
    const update = build(this.nextUpdateId++);
    this.updates.push({ update, kind, createdAt: this.now() });
    const waiter = this.waiter;
    if (waiter !== undefined) {
      this.waiter = undefined;
      waiter.finish(this.pending(waiter.limit));
    }
    for (const watcher of this.pushWatchers.splice(0)) watcher();
    return update.update_id;
  }

  /** Serves a getUpdates call; a newer call ends a waiting one with 409 Conflict. */
  poll(options: PollOptions, signal?: AbortSignal): Promise<TgUpdate[]> {
    if (options.allowedUpdates !== undefined)
      this.allowed = new Set(options.allowedUpdates);
    this.waiter?.finish(
      new TelegramApiError(
        409,
        "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
      ),
    );
    this.waiter = undefined;
    if (options.offset !== undefined) this.confirm(options.offset);
    const ready = this.pending(options.limit);
    if (
      ready.length > 0 ||
      options.timeoutSeconds <= 0 ||
      signal?.aborted === true
    )
      return Promise.resolve(ready);
    return new Promise<TgUpdate[]>((resolve, reject) => {
      const timer = setTimeout(
        () => finish(this.pending(options.limit)),
        options.timeoutSeconds * 1000,
      );
      const onAbort = () => finish([]);
      const waiter: Waiter = {
        limit: options.limit,
        finish: (result) => finish(result),
      };
      const finish = (result: TgUpdate[] | TelegramApiError) => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        if (this.waiter === waiter) this.waiter = undefined;
        if (result instanceof TelegramApiError) reject(result);
        else resolve(result);
      };
      signal?.addEventListener("abort", onAbort);
      this.waiter = waiter;
      for (const watcher of this.pollWatchers.splice(0)) watcher();
    });
  }

  /** Takes updates off the queue in order, as a webhook delivery does after a 2xx answer. */
  shift(): TgUpdate | undefined {
    this.dropExpired();
    return this.updates.shift()?.update;
  }

  /** Returns the oldest pending update without removing it. */
  peek(): TgUpdate | undefined {
    this.dropExpired();
    return this.updates[0]?.update;
  }

  /** Forgets every pending update. */
  clear(): void {
    this.updates = [];
  }

  /** Remembers allowed_updates as setWebhook does. */
  setAllowedUpdates(kinds: string[] | undefined): void {
    if (kinds !== undefined) this.allowed = new Set(kinds);
  }

  /** The remembered allowed_updates, if any were given. */
  get allowedUpdates(): string[] | undefined {
    return this.allowed === undefined ? undefined : [...this.allowed];
  }

  /** Counts pending updates. */
  get size(): number {
    this.dropExpired();
    return this.updates.length;
  }

  /** Tells whether a long poll is waiting. */
  get polling(): boolean {
    return this.waiter !== undefined;
  }

  /** Resolves once a long poll is waiting. */
  whenPolling(): Promise<void> {
    if (this.waiter !== undefined) return Promise.resolve();
    return new Promise((resolve) => this.pollWatchers.push(resolve));
  }

  /** Resolves at the next queued update. */
  whenPushed(): Promise<void> {
    return new Promise((resolve) => this.pushWatchers.push(resolve));
  }

  /** Ends a waiting long poll with an empty result, as on shutdown. */
  endPolls(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.finish([]);
  }

  private confirm(offset: number): void {
    if (offset < 0) {
      this.updates = this.updates.slice(
        Math.max(0, this.updates.length + offset),
      );
    } else {
      this.updates = this.updates.filter(
        (entry) => entry.update.update_id >= offset,
      );
    }
  }

  private pending(limit: number): TgUpdate[] {
    this.dropExpired();
    return this.updates.slice(0, limit).map((entry) => entry.update);
  }

  private dropExpired(): void {
    const oldest = this.now() - DAY_MS;
    this.updates = this.updates.filter((entry) => entry.createdAt >= oldest);
  }

  private allows(kind: string): boolean {
    if (this.allowed === undefined || this.allowed.size === 0)
      return !OFF_BY_DEFAULT.has(kind);
    return this.allowed.has(kind);
  }
}
