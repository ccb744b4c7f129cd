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
import { messageSignedByBot, type TelegramMessages } from "./message-watch.js";
import { pressSignedByBot } from "./press-replies.js";
import type { TelegramHook } from "../hooks/telegram-hook.js";
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

/** What the relay needs: the bot's hook, to check each event is signed by our ingester before it is sent on. */
export interface UpdateRelayOptions {
  hookFor(botId: number): Pick<TelegramHook, "verify">;
  readonly log?: (message: string) => void;
}

/**
 * Retried without end (pausing, never killing, after many attempts): once Restate has a batch, Telegram no longer
 * has its updates, so a relay that gave up would lose them. A consumer not deployed yet (RT0018) is waited for.
 */
const RELAY_RETRY_POLICY = {
  maxAttempts: Number.MAX_SAFE_INTEGER,
  onMaxAttempts: "pause",
  initialInterval: 100,
  maxInterval: 30_000,
} as const;

/**
 * Hands a poll's whole batch of updates on to their consumers (a button's router, a HITL request's object, a chat's
 * messages) as one-way sends in Telegram's order, each with the update's own idempotency key. The poller makes one
 * request to Restate per batch instead of one per update: under a burst, a round trip to Restate's ingress per
 * update was what bounded presses answered per second. Keyed by the bot's id with an exclusive `handOver`, so a
 * bot's batches are relayed one after another from one partition: a later batch's sends never overtake an earlier
 * one's, and each consumer sees Telegram's order across batches. It relays nothing the ingress would not take
 * directly (only these three public handlers, with keys and idempotency keys computed from the events), and only
 * events our ingester signed: an unsigned one would take its update's idempotency key from the real update.
 *
 * @example
 * const hookFor = () => hook;
 * createEndpointHandler({
 *   services: [updateRelay({ hookFor }), telegramRouter({ hookFor }), telegramHitl({ hookFor }), telegramMessages({ hookFor }), ...workflows],
 * });
 */
export function updateRelay(options: UpdateRelayOptions) {
  const log = options.log ?? (() => undefined);
  const hookFor = (botId: number) => options.hookFor(botId);
  return restate.object({
    name: UPDATE_RELAY_NAME,
    description:
      "Hands each batch of polled Telegram updates on to its consumers, in Telegram's order",
    options: { retryPolicy: RELAY_RETRY_POLICY },
    handlers: {
      /** Sends every signed update of the batch to its consumer, in order; a malformed batch is refused outright. */
      // Sends are journaled without waiting for anything: holding the bot's key costs one journal round.
      handOver: restate.handlers.object.exclusive(
        async (ctx: restate.ObjectContext, input: unknown): Promise<void> => {
          const batch = checkedBatch(input, ctx.key);
          for (const update of batch) {
            const { event } = update;
            const signed =
              update.kind === "message"
                ? messageSignedByBot(hookFor, update.event)
                : pressSignedByBot(hookFor, update.event);
            // Not our ingester's: sent on, it would be dropped by its consumer but take the real update's key.
            if (!signed) {
              log(
                `${UPDATE_RELAY_NAME} ${ctx.key}: dropped update ${event.update_id} that our ingester did not sign`,
              );
              continue;
            }
            const idempotencyKey = updateIdempotencyKey(
              event.bot_id,
              event.update_id,
            );
            if (update.kind === "message") {
              ctx
                .objectSendClient(
                  Messages,
                  chatKey(event.bot_id, event.chat_id),
                )
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
      ),
    },
  });
}

/**
 * The batch, checked for the shape the consumers rely on (a key or an idempotency key computed from a field of the
 * wrong type would be garbage): anything else is a TerminalError naming what is wrong, so it is not retried forever.
 */
function checkedBatch(input: unknown, key: string): RelayedUpdate[] {
  const refuse = (what: string): never => {
    throw new restate.TerminalError(
      `${UPDATE_RELAY_NAME} ${key}: refused a malformed batch: ${what}`,
      { errorCode: 400 },
    );
  };
  const updates = (input as { updates?: unknown } | null)?.updates;
  if (!Array.isArray(updates)) return refuse("`updates` is not an array");
  return updates.map((update: unknown, i): RelayedUpdate => {
    const u = update as { kind?: unknown; event?: unknown } | null;
    const at = `updates[${i}]`;
    if (u?.kind !== "press" && u?.kind !== "message")
      return refuse(`${at}.kind is not "press" or "message"`);
    const e = u.event as Record<string, unknown> | null;
    if (typeof e !== "object" || e === null)
      return refuse(`${at}.event is not an object`);
    if (!Number.isSafeInteger(e.bot_id) || String(e.bot_id) !== key)
      return refuse(`${at}.event.bot_id is not this relay's bot (${key})`);
    if (!Number.isSafeInteger(e.update_id))
      return refuse(`${at}.event.update_id is not an integer`);
    if (typeof e.chat_id !== "string")
      return refuse(`${at}.event.chat_id is not a string`);
    if (typeof e.signature !== "string")
      return refuse(`${at}.event.signature is not a string`);
    if (u.kind === "press") {
      if (!Number.isSafeInteger(e.message_id))
        return refuse(`${at}.event.message_id is not an integer`);
      if (e.data !== null && e.data !== undefined && typeof e.data !== "string")
        return refuse(`${at}.event.data is not a string or null`);
      if (typeof e.from !== "object" || e.from === null)
        return refuse(`${at}.event.from is not an object`);
      return { kind: "press", event: e as unknown as PressEvent };
    }
    return { kind: "message", event: e as unknown as SignedMessageEvent };
  });
}

/** The relay's Restate definition type. */
export type UpdateRelay = ReturnType<typeof updateRelay>;

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
 * in order (one batch after another per bot: see {@link updateRelay}); resolves once Restate has the batch. Where the relay is not deployed yet (Restate answers 404: a worker
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
  // A lone update goes through the relay too: sent straight to its consumer, it could overtake the relay's sends of
  // the batch before it.
  try {
    await sendBatch(to.ingress, to.hook.botId, relayed, {
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
  botId: number,
  updates: { kind: string; event: Json }[],
  options: { idempotencyKey: string; signal?: AbortSignal },
) {
  return ingress.send(
    handlerTarget(
      { name: UPDATE_RELAY_NAME } as UpdateRelay,
      "handOver",
      String(botId),
    ),
    { updates },
    options,
  );
}
