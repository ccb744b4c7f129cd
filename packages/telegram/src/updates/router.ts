import "@poekhali/core";
import * as restate from "@restatedev/restate-sdk";
import { TelegramError } from "../errors.js";
import type { TelegramHook } from "../hooks/telegram-hook.js";
import { nonceOf, type ButtonPress, type PressEvent } from "./press.js";
import { ROUTER_NAME, type Watch } from "./watch.js";

/** Options of the {@link telegramRouter}. */
export interface TelegramRouterOptions {
  /** The hook of a bot, by its id (the router's keys name bots by id, never by token). */
  hookFor(botId: number): TelegramHook;
  /** What a later press on a message already pressed is told. */
  readonly alreadyPressedText?: string;
  readonly log?: (message: string) => void;
}

type Done = { readonly press: ButtonPress };
/** A press that came before its sensor parked; answered by `watch`, or by `flush` if no sensor comes. */
type Pending = PressEvent & { answered?: boolean };

/** How long early presses wait for their sensor before they get a neutral answer (Telegram allows ~15 s). */
const FLUSH_AFTER_MS = 5_000;
/** Early presses kept per message; more are answered at once and dropped. */
const MAX_PENDING = 50;

const TEXTS = {
  already: "Уже нажали",
  received: "Принято",
  stale: "Эта кнопка больше не работает",
  expired: "Время ожидания истекло",
  notAllowed: "Эта кнопка не для вас",
};

/**
 * Matches presses to parked button-press sensors, one virtual-object key per message
 * (`<bot id>:<chat id>:<message id>`), so presses on one message are handled one at a time.
 *
 * @example
 * const router = telegramRouter({ hookFor: () => hook });
 * createEndpointHandler({ services: [router, ...workflows] });
 */
export function telegramRouter(options: TelegramRouterOptions) {
  const log = options.log ?? (() => undefined);
  const alreadyText = options.alreadyPressedText ?? TEXTS.already;

  async function answer(
    ctx: restate.ObjectContext,
    event: PressEvent,
    text: string,
  ): Promise<string | null> {
    const hook = options.hookFor(event.bot_id);
    try {
      // Returns when it was answered (journaled), which stamps an accepted press without a clock read.
      return await ctx.run(
        "answer the press",
        async () => {
          try {
            await hook.answerCallbackQuery(event.callback_query_id, text);
          } catch (error) {
            // An expired or already answered query is Telegram's refusal, not ours to retry.
            if (error instanceof TelegramError && !error.retryable)
              log(`could not answer a press: ${error.message}`);
            else throw error;
          }
          return new Date().toISOString();
        },
        { maxRetryAttempts: 5 },
      );
    } catch (error) {
      if (!(error instanceof restate.TerminalError)) throw error;
      log(`gave up answering press ${event.update_id}: ${error.message}`);
      return null;
    }
  }

  async function accept(
    ctx: restate.ObjectContext,
    watch: Watch,
    event: PressEvent,
    answeredAt: string | null,
  ): Promise<void> {
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
    ctx.set<Done>("done", { press });
    ctx.resolveAwakeable(watch.trigger_id, press);
    if (watch.hide_keyboard === false) return;
    const hook = options.hookFor(event.bot_id);
    await ctx.run("remove the keyboard", async () => {
      try {
        await hook.editReplyMarkup(event.chat_id, event.message_id);
      } catch (error) {
        if (error instanceof TelegramError && !error.retryable)
          log(`could not remove the keyboard: ${error.message}`);
        else throw error;
      }
    });
  }

  /** Answers a press according to the watch, and accepts it when it is the first valid one. */
  async function settle(
    ctx: restate.ObjectContext,
    watch: Watch,
    event: Pending,
  ): Promise<void> {
    const say = (text: string) =>
      event.answered ? Promise.resolve(null) : answer(ctx, event, text);
    if (await ctx.get<Done>("done")) return void (await say(alreadyText));
    if (nonceOf(event.data) !== watch.nonce)
      return void (await say(TEXTS.stale));
    // The run stopped waiting: taking the press now would remove the button and record nothing.
    if (watch.expires_at && event.received_at > watch.expires_at)
      return void (await say(TEXTS.expired));
    if (!allowed(watch, event)) return void (await say(TEXTS.notAllowed));
    const answeredAt = await say(watch.answer_text);
    await accept(ctx, watch, event, answeredAt);
  }

  function allowed(watch: Watch, event: PressEvent): boolean {
    const names = watch.allowed_usernames ?? [];
    const ids = watch.allowed_user_ids ?? [];
    if (names.length === 0 && ids.length === 0) return true;
    const name = event.from.username?.toLowerCase();
    return (
      ids.includes(event.from.id) ||
      names.some((u) => u.replace(/^@/, "").toLowerCase() === name)
    );
  }

  return restate.object({
    name: ROUTER_NAME,
    description:
      "Matches Telegram button presses to the runs waiting for them, one key per message",
    handlers: {
      /** A sensor parks on this message; presses that came first are settled now, in order. */
      watch: async (
        ctx: restate.ObjectContext,
        watch: Watch,
      ): Promise<void> => {
        if (await ctx.get<Done>("done")) return;
        ctx.set("watch", watch);
        const pending = (await ctx.get<Pending[]>("pending")) ?? [];
        ctx.clear("pending");
        for (const event of pending) await settle(ctx, watch, event);
      },

      /** One callback query on this message, handed over by the ingester. */
      press: async (
        ctx: restate.ObjectContext,
        event: PressEvent,
      ): Promise<void> => {
        if (nonceOf(event.data) === null)
          return void (await answer(ctx, event, ""));
        const watch = await ctx.get<Watch>("watch");
        if (watch) return settle(ctx, watch, event);
        if (await ctx.get<Done>("done"))
          return void (await answer(ctx, event, alreadyText));
        // The sensor has not parked yet: hold the press unanswered, so its answer can tell the truth.
        const pending = (await ctx.get<Pending[]>("pending")) ?? [];
        if (pending.length >= MAX_PENDING)
          return void (await answer(ctx, event, TEXTS.received));
        ctx.set("pending", [...pending, event]);
        if (pending.length === 0) {
          ctx.genericSend({
            service: ROUTER_NAME,
            method: "flush",
            key: ctx.key,
            parameter: null,
            delay: FLUSH_AFTER_MS,
            inputSerde: restate.serde.json,
          });
        }
      },

      /** Answers presses still waiting for a sensor, before Telegram's answer window closes. */
      flush: async (ctx: restate.ObjectContext): Promise<void> => {
        const pending = (await ctx.get<Pending[]>("pending")) ?? [];
        for (const event of pending)
          if (!event.answered) await answer(ctx, event, TEXTS.received);
        if (pending.length > 0)
          ctx.set(
            "pending",
            pending.map((event) => ({ ...event, answered: true })),
          );
      },
    },
  });
}

/** The router's Restate definition type. */
export type TelegramRouter = ReturnType<typeof telegramRouter>;
