import {
  prepareUpdate,
  type HandOverTo,
  type IncomingUpdate,
  type PreparedUpdate,
} from "./hand-over.js";

/** How many consumers' updates are handed to Restate at once by default. */
export const HAND_OVER_CONCURRENCY = 32;

/** What became of a batch: how many of its first updates Restate has, and what stopped the rest. */
export interface BatchHandOver {
  /** The updates, in Telegram's order, of which every one up to here was handed over (or had no consumer). */
  readonly handedOver: number;
  /** The update that failed first in Telegram's order, and why; absent when the whole batch was handed over. */
  readonly failed?: { readonly updateId: number; readonly error: unknown };
}

/**
 * Hands a batch of updates (one `getUpdates` answer, in Telegram's order) to Restate, many at once: updates for
 * the same consumer (one button's router, one chat's messages, one HITL request) go one after another in their
 * order, different consumers concurrently, up to `concurrency` at a time. Every update is stamped in Telegram's
 * order before any is sent. The answer says how long a prefix of the batch Restate has, which is how far the
 * offset may move: an update after a failed one may have been taken too, and is taken once more without effect
 * (its idempotency key) when the batch is polled again.
 */
export async function handOverUpdates(
  updates: readonly IncomingUpdate[],
  to: HandOverTo,
  options: { concurrency?: number; signal?: AbortSignal } = {},
): Promise<BatchHandOver> {
  const prepared = updates.map((update) => prepareUpdate(update, to));
  // One queue per consumer, keeping Telegram's order inside it.
  const queues = new Map<string, { index: number; item: PreparedUpdate }[]>();
  prepared.forEach((item, index) => {
    if (!item) return;
    const { service, key } = item.target;
    const id = `${service}/${key ?? ""}`;
    const queue = queues.get(id) ?? [];
    queue.push({ index, item });
    queues.set(id, queue);
  });
  const done = prepared.map((item) => item === null);
  const errors = new Map<number, unknown>();
  const pending = [...queues.values()];
  const worker = async () => {
    for (let queue = pending.shift(); queue; queue = pending.shift()) {
      for (const { index, item } of queue) {
        // A lost lease leaves the rest to the next holder, which gets them again from Telegram.
        if (options.signal?.aborted) return;
        try {
          // A send still in flight when the lease is lost is dropped too: waiting for it would hold the round (and
          // the hand-over to the next holder) for as long as an overloaded Restate takes to answer.
          await to.ingress.send(item.target, item.payload, {
            idempotencyKey: item.idempotencyKey,
            ...(options.signal ? { signal: options.signal } : {}),
          });
          done[index] = true;
        } catch (error) {
          if (options.signal?.aborted) return;
          // Later updates of this consumer wait: handing them over now would overtake this one.
          errors.set(index, error);
          break;
        }
      }
    }
  };
  await Promise.all(
    Array.from(
      {
        length: Math.min(
          options.concurrency ?? HAND_OVER_CONCURRENCY,
          pending.length,
        ),
      },
      worker,
    ),
  );
  const handedOver = done.indexOf(false);
  if (handedOver === -1) return { handedOver: updates.length };
  const update = updates[handedOver];
  return {
    handedOver,
    ...(errors.has(handedOver) && update
      ? {
          failed: {
            updateId: update.update_id,
            error: errors.get(handedOver),
          },
        }
      : {}),
  };
}
