import * as restate from "@restatedev/restate-sdk";
import type { QueuedItem } from "./queue.js";

/** A queued item with its place in the queue. */
export interface Slot {
  readonly seq: number;
  readonly item: QueuedItem;
}

/** How many places past the head the writer before the inboxes looked at for rows to batch (its `drain` still does). */
export const LEGACY_WINDOW = 40;

/**
 * A base's queue in the writer's state, one key per item (`item:<seq>`) between `head` and `tail`: appending costs
 * the same however long the queue is, which keeps `enqueue` quick while hundreds of runs wait.
 */
export class QueueStore {
  constructor(private readonly ctx: restate.ObjectContext) {}

  /** Appends items and returns the place of the first. */
  async append(items: readonly QueuedItem[]): Promise<number> {
    const tail = (await this.ctx.get<number>("tail")) ?? 0;
    items.forEach((item, i) => this.ctx.set(`item:${tail + i}`, item));
    this.ctx.set("tail", tail + items.length);
    return tail;
  }

  /** The oldest items still queued, up to `size` places past the head, in order; moves the head past emptied places. */
  async window(size: number): Promise<Slot[]> {
    // Read together, in the order the writer before lazy state read them one by one (its journals replay alike):
    // with lazy state each read is a round trip to Restate.
    const [first, last] = await this.#all<number>(["head", "tail"]);
    let head = first ?? 0;
    const tail = last ?? 0;
    const slots: Slot[] = [];
    // The window ends `size` places past the head, and the head moves past empty places at its front: read what
    // the window holds, then what it grew by, until it holds no more.
    for (let next = head; next < Math.min(tail, head + size);) {
      const seqs: number[] = [];
      for (; next < Math.min(tail, head + size); next++) seqs.push(next);
      const items = await this.#all<QueuedItem>(
        seqs.map((seq) => `item:${seq}`),
      );
      seqs.forEach((seq, i) => {
        const item = items[i];
        if (item) slots.push({ seq, item });
        else if (slots.length === 0) head = seq + 1;
      });
    }
    this.ctx.set("head", head);
    return slots;
  }

  /** Saves items changed in place (tries counted, marked solo). */
  update(slots: readonly Slot[]): void {
    for (const { seq, item } of slots) this.ctx.set(`item:${seq}`, item);
  }

  /** Empties these places. */
  remove(seqs: Iterable<number>): void {
    for (const seq of seqs) this.ctx.clear(`item:${seq}`);
  }

  /** How many places are between head and tail (emptied ones past the head included). */
  async length(): Promise<number> {
    const [tail, head] = await this.#all<number>(["tail", "head"]);
    return (tail ?? 0) - (head ?? 0);
  }

  /** Reads these keys in one round trip. */
  #all<T>(keys: readonly string[]): Promise<(T | null)[]> {
    return restate.RestatePromise.all(
      keys.map(
        (key) => this.ctx.get<T>(key) as restate.RestatePromise<T | null>,
      ),
    );
  }
}
