// The poll loop of bench:press-desk, the same for both sides but for the hand-over: getUpdates (with `limit`), then
// the batch to Restate, then the offset past it. Today's side hands the whole batch to `telegram_updates` (one
// request), which sends each press on to its button's router; the desk side groups the batch by shard and makes
// one request per shard straight to the desk's `decide`. No poll lease: one poller, as the lease would leave one.
import "@poekhali/core";
import { handlerTarget, type Json, type RestateIngress } from "@poekhali/core";
import {
  ReceptionClock,
  buttonRef,
  prepareUpdate,
  relayUpdates,
  type IncomingUpdate,
  type PressEvent,
  type TelegramHook,
} from "@poekhali/telegram";
import {
  Desk,
  deskKey,
  deskNonceOf,
  shardOf,
  type DeskBatch,
} from "./press-desk-object.js";
import type { Side } from "./press-desk-wait.js";

/** What the poll loop needs. */
export interface PressPollOptions {
  readonly side: Side;
  readonly hook: TelegramHook;
  readonly token: string;
  readonly ingress: RestateIngress;
  /** The desk's shards (the desk side only). */
  readonly shards: number;
  /** `getUpdates`' `limit`: updates per batch, at most 100. */
  readonly batch: number;
  readonly signal: AbortSignal;
  readonly log: (line: string) => void;
}

/** Polls until `signal` aborts; each batch is with Restate before the offset moves past it. */
export async function pollPresses(options: PressPollOptions): Promise<void> {
  const { hook, ingress, signal } = options;
  const clock = new ReceptionClock();
  let offset: number | undefined;
  while (!signal.aborted) {
    try {
      const updates = await getUpdates(options, offset);
      if (updates.length === 0) continue;
      let handedOver = updates.length;
      if (options.side === "router") {
        const batch = await relayUpdates(
          updates,
          { hook, ingress, clock },
          { signal },
        );
        if (batch.failed)
          options.log(`relay failed: ${String(batch.failed.error)}`);
        handedOver = batch.handedOver;
      } else {
        await handToDesk(updates, options, clock);
      }
      const last = updates[handedOver - 1];
      if (last) offset = last.update_id + 1;
    } catch (error) {
      if (signal.aborted) return;
      options.log(`a poll round failed: ${String(error)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

/**
 * One request per shard with presses in the batch, all at once; resolves once Restate has every one. Each carries an
 * idempotency key of its shard and range: the same batch polled again is taken once, and a re-polled batch of another
 * range is cut to what its shard has not decided by the desk's high-water mark.
 */
async function handToDesk(
  updates: readonly IncomingUpdate[],
  options: PressPollOptions,
  clock: ReceptionClock,
): Promise<void> {
  const { hook, ingress, signal } = options;
  const byShard = new Map<number, PressEvent[]>();
  for (const update of updates) {
    const prepared = prepareUpdate(update, { hook, clock });
    if (prepared?.kind !== "press") continue;
    const event = prepared.payload as PressEvent;
    const nonce = deskNonceOf(event.data);
    // A button that is not the desk's would go to today's router; none are pressed in this bench, so shard 0 answers it.
    const shard =
      nonce === null
        ? 0
        : shardOf(event.chat_id, buttonRef(nonce), options.shards);
    byShard.set(shard, [...(byShard.get(shard) ?? []), event]);
  }
  await Promise.all(
    [...byShard].map(([shard, presses]) => {
      const range = [
        hook.botId,
        shard,
        presses[0]!.update_id,
        presses.at(-1)!.update_id,
        presses.length,
      ].map(String);
      const mac = hook.sign("desk-batch-key", ...range).slice(0, 22);
      const batch: DeskBatch = { presses };
      return ingress.send(
        handlerTarget(Desk, "decide", deskKey(hook.botId, shard)),
        batch as unknown as Json,
        { idempotencyKey: `desk-${range.join("-")}-${mac}`, signal },
      );
    }),
  );
}

async function getUpdates(
  options: PressPollOptions,
  offset: number | undefined,
): Promise<IncomingUpdate[]> {
  const res = await fetch(
    `${options.hook.apiRoot}/bot${options.token}/getUpdates`,
    {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        ...(offset === undefined ? {} : { offset }),
        limit: options.batch,
        timeout: 25,
        allowed_updates: ["callback_query"],
      }),
      signal: options.signal,
    },
  );
  const body = (await res.json()) as {
    ok: boolean;
    result?: IncomingUpdate[];
    description?: string;
  };
  if (!body.ok) throw new Error(`getUpdates refused: ${body.description}`);
  return body.result ?? [];
}
