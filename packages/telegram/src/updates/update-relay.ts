import "@poekhali/core";
import * as restate from "@restatedev/restate-sdk";
import {
  handlerTarget,
  IngressError,
  type Json,
  type RestateIngress,
} from "@poekhali/core";
import {
  hitlKey,
  parseHitlCallbackData,
  TELEGRAM_HITL_NAME,
} from "../hitl/hitl-callback.js";
import type { TelegramHitlObject } from "../hitl/telegram-hitl.js";
import {
  prepareUpdate,
  updateIdempotencyKey,
  type HandOverTo,
  type IncomingUpdate,
} from "./hand-over.js";
import { handOverUpdates, type BatchHandOver } from "./hand-over-batch.js";
import {
  chatKey,
  MESSAGES_NAME,
  type SignedMessageEvent,
} from "./message-event.js";
import type { TelegramMessages } from "./message-watch.js";
import { pressKey, type PressEvent } from "./press.js";
import type { TelegramRouter } from "./router.js";
import { ROUTER_NAME } from "./watch.js";

/** The Restate service that hands a poll's batch of updates on to their consumers. */
export const UPDATE_RELAY_NAME = "telegram_updates";

/** One update of a relayed batch: a signed press or message, as the ingester made it. */
export type RelayedUpdate =
  | { readonly kind: "press"; readonly event: PressEvent }
  | { readonly kind: "message"; readonly event: SignedMessageEvent };

/** A poll's batch, in Telegram's order. */
export interface RelayedBatch {
  readonly updates: readonly RelayedUpdate[];
}

// Typed stand-ins for the consumers' definitions: their handler names are checked against the consumers'.
const Router: TelegramRouter = { name: ROUTER_NAME };
const Messages: TelegramMessages = { name: MESSAGES_NAME };
const TelegramHitl: TelegramHitlObject = { name: TELEGRAM_HITL_NAME };

/**
 * Hands a poll's whole batch of updates on to their consumers (a button's router, a HITL request's object, a chat's
 * messages) as one-way sends in Telegram's order, each with the update's own idempotency key. The poller makes one
 * request to Restate per batch instead of one per update: under a burst, a round trip to Restate's ingress per
 * update was what bounded presses answered per second. It relays nothing the ingress would not take directly:
 * only these three public handlers, with keys and idempotency keys computed from the events, which their consumers
 * check are signed by our ingester.
 *
 * @example
 * createEndpointHandler({ services: [updateRelay, telegramRouter(options), ...workflows] });
 */
export const updateRelay = restate.service({
  name: UPDATE_RELAY_NAME,
  description:
    "Hands each batch of polled Telegram updates on to its consumers, in Telegram's order",
  handlers: {
    /** Sends every update of the batch to its consumer, in order. */
    // Sends are journaled without waiting for anything: nothing to await.
    handOver: (ctx: restate.Context, batch: RelayedBatch): Promise<void> => {
      for (const update of batch.updates) {
        const { event } = update;
        const idempotencyKey = updateIdempotencyKey(
          event.bot_id,
          event.update_id,
        );
        if (update.kind === "message") {
          ctx
            .objectSendClient(Messages, chatKey(event.bot_id, event.chat_id))
            .message(
              update.event,
              restate.rpc.sendOpts<SignedMessageEvent>({ idempotencyKey }),
            );
          continue;
        }
        const opts = restate.rpc.sendOpts<PressEvent>({ idempotencyKey });
        const hitl = parseHitlCallbackData(update.event.data);
        if (hitl)
          ctx
            .objectSendClient(
              TelegramHitl,
              hitlKey(event.bot_id, event.chat_id, hitl.nonce),
            )
            .press(update.event, opts);
        else
          ctx
            .objectSendClient(Router, pressKey(update.event))
            .press(update.event, opts);
      }
      return Promise.resolve();
    },
  },
});

/** The relay's Restate definition type. */
export type UpdateRelay = typeof updateRelay;

/** The idempotency key of a relayed batch: the same updates polled again are relayed once. */
function batchIdempotencyKey(
  botId: number,
  first: number,
  last: number,
  count: number,
): string {
  return `telegram-updates-${botId}-${first}-${last}-${count}`;
}

/**
 * Hands a poll's batch to Restate in one request to {@link updateRelay}, which sends each update on to its consumer
 * in order; resolves once Restate has the batch. A batch of one update is sent straight to its consumer. Where the relay is not deployed yet (Restate answers 404: a worker
 * of an older version registered), it falls back to handing the updates over one by one ({@link handOverUpdates}).
 */
export async function relayUpdates(
  updates: readonly IncomingUpdate[],
  to: HandOverTo,
  options: { concurrency?: number; signal?: AbortSignal } = {},
): Promise<BatchHandOver & { relayed: boolean }> {
  const first = updates[0];
  const last = updates.at(-1);
  if (!first || !last) return { handedOver: 0, relayed: true };
  // Every update is stamped in Telegram's order before any is sent (a fallback stamps them again: still in order).
  const relayed = updates.flatMap((update) => {
    const item = prepareUpdate(update, to);
    return item ? [{ kind: item.kind, event: item.payload }] : [];
  });
  if (relayed.length === 0)
    return { handedOver: updates.length, relayed: true };
  // A lone update goes straight to its consumer: through the relay it would take one hop more, for nothing.
  if (relayed.length === 1)
    return { ...(await handOverUpdates(updates, to, options)), relayed: true };
  try {
    await sendBatch(to.ingress, relayed, {
      idempotencyKey: batchIdempotencyKey(
        to.hook.botId,
        first.update_id,
        last.update_id,
        relayed.length,
      ),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    return { handedOver: updates.length, relayed: true };
  } catch (error) {
    if (!(error instanceof IngressError && error.status === 404)) {
      if (options.signal?.aborted) return { handedOver: 0, relayed: true };
      return {
        handedOver: 0,
        failed: { updateId: first.update_id, error },
        relayed: true,
      };
    }
  }
  return { ...(await handOverUpdates(updates, to, options)), relayed: false };
}

function sendBatch(
  ingress: RestateIngress,
  updates: { kind: string; event: Json }[],
  options: { idempotencyKey: string; signal?: AbortSignal },
) {
  return ingress.send(
    handlerTarget(updateRelay, "handOver"),
    { updates },
    options,
  );
}
