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

const TEXTS = {
  already: "Уже нажали 👌",
  received: "Принято",
  stale: "Эта кнопка больше не работает",
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

  async function answer(ctx: restate.ObjectContext, event: PressEvent, text: string): Promise<void> {
    const hook = options.hookFor(event.bot_id);
    try {
      await ctx.run(
        "answer the press",
        async () => {
          try {
            await hook.answerCallbackQuery(event.callback_query_id, text);
          } catch (error) {
            // An expired or already answered query is Telegram's refusal, not ours to retry.
            if (error instanceof TelegramError && !error.retryable) log(`could not answer a press: ${error.message}`);
            else throw error;
          }
        },
        { maxRetryAttempts: 5 },
      );
    } catch (error) {
      if (!(error instanceof restate.TerminalError)) throw error;
      log(`gave up answering press ${event.update_id}: ${error.message}`);
    }
  }

  async function accept(ctx: restate.ObjectContext, watch: Watch, event: PressEvent): Promise<void> {
    const press: ButtonPress = {
      chat_id: event.chat_id,
      message_id: event.message_id,
      user_id: event.from.id,
      username: event.from.username ?? null,
      first_name: event.from.first_name,
      triggered_at: event.received_at,
      callback_query_id: event.callback_query_id,
      update_id: event.update_id,
    };
    ctx.set<Done>("done", { press });
    ctx.clear("pending");
    ctx.resolveAwakeable(watch.trigger_id, press);
    const hook = options.hookFor(event.bot_id);
    await ctx.run("remove the keyboard", async () => {
      try {
        await hook.editReplyMarkup(event.chat_id, event.message_id);
      } catch (error) {
        if (error instanceof TelegramError && !error.retryable) log(`could not remove the keyboard: ${error.message}`);
        else throw error;
      }
    });
  }

  function allowed(watch: Watch, event: PressEvent): boolean {
    if (!watch.allowed_usernames) return true;
    const name = event.from.username?.toLowerCase();
    return watch.allowed_usernames.some((u) => u.replace(/^@/, "").toLowerCase() === name);
  }

  return restate.object({
    name: ROUTER_NAME,
    description: "Matches Telegram button presses to the runs waiting for them, one key per message",
    handlers: {
      /** A sensor parks on this message; a press that came first is delivered now. */
      watch: async (ctx: restate.ObjectContext, watch: Watch): Promise<void> => {
        if (await ctx.get<Done>("done")) return;
        ctx.set("watch", watch);
        const pending = await ctx.get<PressEvent>("pending");
        if (!pending) return;
        if (nonceOf(pending.data) === watch.nonce && allowed(watch, pending)) await accept(ctx, watch, pending);
        else ctx.clear("pending");
      },

      /** One callback query on this message, handed over by the ingester. */
      press: async (ctx: restate.ObjectContext, event: PressEvent): Promise<void> => {
        if (await ctx.get<Done>("done")) return answer(ctx, event, alreadyText);
        const nonce = nonceOf(event.data);
        if (nonce === null) return answer(ctx, event, "");
        const watch = await ctx.get<Watch>("watch");
        if (!watch) {
          // The sensor has not parked yet: keep the first press and answer now, within Telegram's 15 s.
          if (!(await ctx.get<PressEvent>("pending"))) ctx.set("pending", event);
          return answer(ctx, event, TEXTS.received);
        }
        if (nonce !== watch.nonce) return answer(ctx, event, TEXTS.stale);
        if (!allowed(watch, event)) return answer(ctx, event, TEXTS.notAllowed);
        await answer(ctx, event, watch.answer_text);
        await accept(ctx, watch, event);
      },
    },
  });
}

/** The router's Restate definition type. */
export type TelegramRouter = ReturnType<typeof telegramRouter>;
