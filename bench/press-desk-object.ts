// The press desk of bench:press-desk, a prototype (not product code): one virtual object per shard of a bot's
// buttons, keyed `<bot id>:<shard>`, that takes a whole poll batch's presses of its shard in ONE invocation, decides
// each against its button's state (a state key of its own, `b:<chat>:<button ref>`, read lazily), answers every
// callback query of the batch in ONE journaled step (the Bot API calls in parallel), wakes each run that took a
// press, and leaves the keyboards to a later batched step. What it does not do that the router does is listed in
// docs/benchmarks.md ("A batched press desk, measured").
import "@poekhali/core";
import { createHash } from "node:crypto";
import * as restate from "@restatedev/restate-sdk";
import {
  TelegramError,
  buttonRef,
  type ButtonPress,
  type PressEvent,
  type TelegramHook,
} from "@poekhali/telegram";
import {
  pressAllowed,
  pressSignedByBot,
  toastText,
  type MessageRef,
} from "../packages/telegram/src/updates/press-replies.js";

/** The desk's Restate name. */
export const DESK_NAME = "bench_press_desk";

/** The callback_data prefix of a desk's buttons: the ingester sends these to the desk, `poekhali:` ones to the router. */
export const DESK_PREFIX = "pd:";

/** What a desk's button says it is: its prefix and the run's nonce. */
export function deskCallbackData(nonce: string): string {
  return `${DESK_PREFIX}${nonce}`;
}

/** The nonce of a desk button's callback_data, or null for any other data. */
export function deskNonceOf(data: string | null | undefined): string | null {
  return data?.startsWith(DESK_PREFIX) ? data.slice(DESK_PREFIX.length) : null;
}

/** The shard of a button: a hash of its chat and ref, so a button's presses always meet in one desk key. */
export function shardOf(chatId: string, ref: string, shards: number): number {
  return (
    createHash("sha256").update(`${chatId}:${ref}`).digest().readUInt32BE(0) %
    shards
  );
}

/** The desk's key of a shard. */
export function deskKey(botId: number, shard: number): string {
  return `${botId}:${shard}`;
}

/** A run's registration with the desk: its button, its message, the awakeable to resolve and what to answer. */
export interface DeskWatch {
  readonly chat_id: string;
  /** The button's ref (see `buttonRef`): the nonce itself stays in the button. */
  readonly button: string;
  readonly message_id: number;
  readonly trigger_id: string;
  readonly answer_text: string;
  readonly allowed_usernames?: string[] | null;
  readonly allowed_user_ids?: number[] | null;
}

/** A batch handed to one shard: its presses, in Telegram's order, signed by the ingester. */
export interface DeskBatch {
  readonly presses: readonly PressEvent[];
}

/** A button's state: a run waits on it, or a press took it. */
type ButtonState =
  | { readonly watch: DeskWatch }
  | {
      readonly done: {
        readonly update_id: number;
        readonly message_id: number;
      };
    };

/** Options of {@link pressDesk}. */
export interface PressDeskOptions {
  hookFor(botId: number): TelegramHook;
  readonly shards: number;
  readonly log?: (message: string) => void;
}

/** What a press is told, as the router tells it. */
export const DESK_TEXTS = {
  already: "Уже нажали",
  notReady: "Кнопка ещё не готова: нажмите ещё раз чуть позже",
  stale: "Эта кнопка больше не работает",
  notAllowed: "Эта кнопка не для вас",
};

const buttonStateKey = (chatId: string, ref: string) => `b:${chatId}:${ref}`;

/**
 * The press desk: one key per shard of a bot's buttons. `decide` is exclusive on the shard, so presses of one button
 * are decided one after another, and in Telegram's order (a batch in order, batches in the order the poller handed
 * them over); a high-water mark of update ids makes a batch handed over twice (a re-polled range) change nothing.
 *
 * @example
 * createEndpointHandler({ services: [pressDesk({ hookFor: () => hook, shards: 16 }), ...workflows] });
 */
export function pressDesk(options: PressDeskOptions) {
  const log = options.log ?? (() => undefined);
  const hookFor = (botId: number) => options.hookFor(botId);

  const desk = restate.object({
    name: DESK_NAME,
    description:
      "Decides a poll batch's presses of one shard of a bot's buttons in one invocation (bench prototype)",
    // Each batch reads only its own buttons' keys: eager state would send every button of the shard each time.
    options: { enableLazyState: true },
    handlers: {
      /** A run parks on its button. */
      watch: restate.handlers.object.exclusive(
        { ingressPrivate: true },
        async (ctx: restate.ObjectContext, watch: DeskWatch): Promise<void> => {
          const key = buttonStateKey(watch.chat_id, watch.button);
          const state = await ctx.get<ButtonState>(key);
          if (state && "done" in state) return;
          ctx.set<ButtonState>(key, { watch });
        },
      ),

      /** Every press of a poll batch that falls on this shard, decided, answered in one step, and taken or not. */
      decide: restate.handlers.object.exclusive(
        async (ctx: restate.ObjectContext, batch: DeskBatch): Promise<void> => {
          const [botText, shardText] = ctx.key.split(":");
          const botId = Number(botText);
          const shard = Number(shardText);
          const admitted = batch.presses.filter((event) => {
            if (event.bot_id !== botId || !pressSignedByBot(hookFor, event)) {
              log(
                `${DESK_NAME} ${ctx.key}: dropped a press not signed for this bot`,
              );
              return false;
            }
            const nonce = deskNonceOf(event.data);
            if (
              nonce !== null &&
              shardOf(event.chat_id, buttonRef(nonce), options.shards) !== shard
            ) {
              log(`${DESK_NAME} ${ctx.key}: dropped a press of another shard`);
              return false;
            }
            return true;
          });
          if (admitted.length === 0) return;
          const keys = [
            ...new Set(
              admitted.flatMap((event) => {
                const nonce = deskNonceOf(event.data);
                return nonce === null
                  ? []
                  : [buttonStateKey(event.chat_id, buttonRef(nonce))];
              }),
            ),
          ];
          // The high-water mark and each button's state, read once, all in one round trip to Restate.
          const [mark, ...read] = await restate.RestatePromise.all(
            ["hw", ...keys].map(
              (key) => ctx.get(key) as restate.RestatePromise<unknown>,
            ),
          );
          // Already decided: a batch handed over again (the poller re-polled a range it had handed over).
          const presses = admitted.filter(
            (event) => event.update_id > ((mark as number | null) ?? 0),
          );
          if (presses.length === 0) return;
          const states = new Map(
            keys.map((key, i) => [
              key,
              (read[i] ?? null) as ButtonState | null,
            ]),
          );
          // Decided in memory, in order: a later press of the batch on a button sees an earlier one's take.
          const replies: { event: PressEvent; text: string }[] = [];
          const taken: { key: string; event: PressEvent; watch: DeskWatch }[] =
            [];
          for (const event of presses) {
            const nonce = deskNonceOf(event.data);
            if (nonce === null) {
              replies.push({ event, text: "" });
              continue;
            }
            const key = buttonStateKey(event.chat_id, buttonRef(nonce));
            const state = states.get(key) ?? null;
            if (state === null)
              replies.push({ event, text: DESK_TEXTS.notReady });
            else if ("done" in state)
              replies.push({ event, text: DESK_TEXTS.already });
            else if (event.message_id !== state.watch.message_id)
              replies.push({ event, text: DESK_TEXTS.stale });
            else if (!pressAllowed(state.watch, event.from))
              replies.push({ event, text: DESK_TEXTS.notAllowed });
            else {
              replies.push({ event, text: state.watch.answer_text });
              taken.push({ key, event, watch: state.watch });
              states.set(key, {
                done: {
                  update_id: event.update_id,
                  message_id: event.message_id,
                },
              });
            }
          }
          const answeredAt = await answerAll(ctx, botId, replies);
          // Only after the answers are journaled: a retry of the step above re-sends them (Telegram refuses a second
          // answer to a query, so nobody sees two), and nothing below runs twice.
          for (const { key, event, watch } of taken) {
            ctx.set<ButtonState>(key, {
              done: {
                update_id: event.update_id,
                message_id: event.message_id,
              },
            });
            const press: ButtonPress = {
              chat_id: event.chat_id,
              message_id: event.message_id,
              user_id: event.from.id,
              username: event.from.username ?? null,
              first_name: event.from.first_name,
              triggered_at: event.received_at,
              callback_query_id: event.callback_query_id,
              update_id: event.update_id,
              accepted_at: answeredAt ?? event.received_at,
            };
            ctx.resolveAwakeable(watch.trigger_id, press);
          }
          ctx.set("hw", presses.at(-1)!.update_id);
          if (taken.length > 0)
            ctx.objectSendClient(Desk, ctx.key).removeKeyboards(
              taken.map(({ event }) => ({
                bot_id: event.bot_id,
                chat_id: event.chat_id,
                message_id: event.message_id,
              })),
            );
        },
      ),

      /** The keyboards of a batch's taken presses, removed in one journaled step, off the shard's critical path. */
      removeKeyboards: restate.handlers.object.shared(
        { ingressPrivate: true },
        async (
          ctx: restate.ObjectSharedContext,
          messages: MessageRef[],
        ): Promise<void> => {
          await ctx.run("remove the keyboards", async () => {
            const results = await Promise.allSettled(
              messages.map((m) =>
                hookFor(m.bot_id).editMessage({
                  chatId: m.chat_id,
                  messageId: m.message_id,
                }),
              ),
            );
            // Removing a keyboard twice changes nothing: a retry redoes them all.
            const failed = results.filter(
              (r) =>
                r.status === "rejected" &&
                !(r.reason instanceof TelegramError && !r.reason.retryable),
            );
            if (failed.length > 0)
              throw new Error(
                `${failed.length} of ${messages.length} keyboard removals failed; retrying the step`,
              );
          });
        },
      ),
    },
  });

  /**
   * Answers every press of the batch at once, in one journaled step; resolves with when they were answered, or null
   * when Restate gave up (the presses are taken all the same, as the router takes a press it could not answer).
   */
  async function answerAll(
    ctx: restate.ObjectContext,
    botId: number,
    replies: readonly { event: PressEvent; text: string }[],
  ): Promise<string | null> {
    const hook = hookFor(botId);
    try {
      return await ctx.run(
        "answer the presses",
        async () => {
          const results = await Promise.allSettled(
            replies.map(({ event, text }) =>
              hook.answerCallbackQuery(
                event.callback_query_id,
                toastText(text),
              ),
            ),
          );
          let retry = 0;
          for (const r of results) {
            if (r.status === "fulfilled") continue;
            // Expired, or already answered by an earlier try of this step: Telegram's refusal, not ours to retry.
            if (r.reason instanceof TelegramError && !r.reason.retryable)
              continue;
            retry++;
          }
          if (retry > 0)
            throw new Error(
              `${retry} of ${replies.length} answers failed; retrying the step (answered ones are refused as answered)`,
            );
          return new Date().toISOString();
        },
        { maxRetryAttempts: 5 },
      );
    } catch (error) {
      if (!(error instanceof restate.TerminalError)) throw error;
      log(
        `${DESK_NAME}: gave up answering ${replies.length} presses: ${error.message}`,
      );
      return null;
    }
  }

  return desk;
}

/** The desk's Restate definition type. */
export type PressDesk = ReturnType<typeof pressDesk>;
/** The desk as a typed target for calls from handlers and workflows. */
export const Desk: PressDesk = { name: DESK_NAME };
