import "@poekhali/core";
import * as restate from "@restatedev/restate-sdk";
import { TelegramError } from "../errors.js";
import type { TelegramHook } from "../hooks/telegram-hook.js";
import {
  nonceOf,
  pressKey,
  pressSigningText,
  type ButtonPress,
  type PressEvent,
} from "./press.js";
import {
  ROUTER_NAME,
  type Close,
  type CloseReason,
  type Watch,
} from "./watch.js";

/** Options of the {@link telegramRouter}. */
export interface TelegramRouterOptions {
  /** The hook of a bot, by its id (the router's keys name bots by id, never by token). */
  hookFor(botId: number): TelegramHook;
  /** What a later press on a message already pressed is told. */
  readonly alreadyPressedText?: string;
  readonly log?: (message: string) => void;
}

type Done = { readonly press: ButtonPress };
/** A press that came before its sensor parked; settled by `watch`, or answered and dropped by `flush`. */
type Pending = PressEvent & { answered?: boolean };

/** How long early presses wait for their sensor before they are told to press again (Telegram allows ~15 s). */
const FLUSH_AFTER_MS = 5_000;
/** Early presses kept per button; more are answered at once and dropped. */
const MAX_PENDING = 50;

const TEXTS = {
  already: "Уже нажали",
  notReady: "Кнопка ещё не готова: нажмите ещё раз чуть позже",
  stale: "Эта кнопка больше не работает",
  expired: "Время ожидания истекло",
  cancelled: "Запуск отменён",
  notAllowed: "Эта кнопка не для вас",
};

/** What a press is told once the run stopped waiting, by why it stopped. */
const CLOSED_TEXTS: Record<CloseReason, string> = {
  timeout: TEXTS.expired,
  cancelled: TEXTS.cancelled,
  failed: TEXTS.stale,
};

/**
 * What the message says when its run stopped after the router took a press but before the run saw it (a cancel
 * racing the press): the presser's toast cannot be taken back, so the chat says what became of the press.
 */
const UNRECORDED_TEXTS: Record<Exclude<CloseReason, "timeout">, string> = {
  cancelled: "Запуск отменён: нажатие не записано",
  failed: "Запуск завершился с ошибкой: нажатие не записано",
};

/**
 * Matches presses to parked button-press sensors, one virtual-object key per button
 * (`<bot id>:<chat id>:<button ref>`), so presses on one button are handled one at a time. No press is ever told
 * it was taken unless a run took it: presses on a stray copy of the message, after the run stopped waiting, or
 * before any run waits are answered with what is true, and a button that no run will take is removed.
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

  /** Edits a message of this button: drops its keyboard, or replaces its text (which drops the keyboard too). */
  async function edit(
    ctx: restate.ObjectContext,
    target: { bot_id: number; chat_id: string; message_id: number },
    why: string,
    text?: string | null,
  ): Promise<void> {
    const hook = options.hookFor(target.bot_id);
    await ctx.run(why, async () => {
      try {
        if (text) await hook.editText(target.chat_id, target.message_id, text);
        else await hook.editReplyMarkup(target.chat_id, target.message_id);
      } catch (error) {
        if (error instanceof TelegramError && !error.retryable)
          log(`could not edit message ${target.message_id}: ${error.message}`);
        else throw error;
      }
    });
  }

  /** Removes the button from a stray copy of the message (a retried send's), once. */
  async function tidy(
    ctx: restate.ObjectContext,
    event: PressEvent,
  ): Promise<void> {
    const tidied = (await ctx.get<number[]>("tidied")) ?? [];
    if (tidied.includes(event.message_id)) return;
    ctx.set("tidied", [...tidied, event.message_id]);
    await edit(ctx, event, "remove the button of a stray copy");
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
    ctx.clear("watch");
    ctx.resolveAwakeable(watch.trigger_id, press);
    if (watch.hide_keyboard === false) return;
    await edit(ctx, event, "remove the keyboard");
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
    if (event.message_id !== watch.message_id) {
      await say(TEXTS.stale);
      return tidy(ctx, event);
    }
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

  /** Whether the press was handed over by our own ingester, which signs it with the bot's token. */
  function signed(event: PressEvent): boolean {
    const { signature, ...rest } = event;
    try {
      return (
        typeof signature === "string" &&
        options
          .hookFor(event.bot_id)
          .verify(signature, "press", pressSigningText(rest))
      );
    } catch {
      return false;
    }
  }

  return restate.object({
    name: ROUTER_NAME,
    description:
      "Matches Telegram button presses to the runs waiting for them, one key per message",
    handlers: {
      /** A sensor parks on this button; presses that came first are settled now, in order. */
      watch: restate.handlers.object.exclusive(
        { ingressPrivate: true },
        async (ctx: restate.ObjectContext, watch: Watch): Promise<void> => {
          if (await ctx.get<Done>("done")) return;
          if (await ctx.get<Close>("closed")) return;
          ctx.set("watch", watch);
          const pending = (await ctx.get<Pending[]>("pending")) ?? [];
          ctx.clear("pending");
          for (const event of pending) await settle(ctx, watch, event);
        },
      ),

      /** One callback query on this button, handed over (and signed) by the ingester. */
      press: async (
        ctx: restate.ObjectContext,
        event: PressEvent,
      ): Promise<void> => {
        if (!signed(event)) {
          // Not from our ingester (a local process calling the ingress): nothing to answer, nothing to take.
          log(`dropped a press on ${ctx.key} that our ingester did not sign`);
          return;
        }
        if (pressKey(event) !== ctx.key) {
          // Signed, but for another button: a press copied from one router's state and replayed to another.
          log(
            `dropped a press on ${ctx.key} that belongs to ${pressKey(event)}`,
          );
          return;
        }
        if (nonceOf(event.data) === null)
          return void (await answer(ctx, event, ""));
        const done = await ctx.get<Done>("done");
        if (done) {
          await answer(ctx, event, alreadyText);
          if (event.message_id !== done.press.message_id)
            await tidy(ctx, event);
          return;
        }
        const closed = await ctx.get<Close>("closed");
        if (closed) {
          await answer(ctx, event, CLOSED_TEXTS[closed.reason]);
          if (event.message_id !== closed.message_id) await tidy(ctx, event);
          return;
        }
        const watch = await ctx.get<Watch>("watch");
        if (watch) return settle(ctx, watch, event);
        // The sensor has not parked yet: hold the press unanswered, so its answer can tell the truth.
        const pending = (await ctx.get<Pending[]>("pending")) ?? [];
        if (pending.length >= MAX_PENDING)
          return void (await answer(ctx, event, TEXTS.notReady));
        ctx.set("pending", [...pending, event]);
        if (pending.length === 0)
          ctx
            .objectSendClient(ROUTER, ctx.key)
            .flush(restate.rpc.sendOpts({ delay: FLUSH_AFTER_MS }));
      },

      /**
       * The run stopped waiting without a press: later presses are told why, and the button goes. Answers with the
       * press this router took before it heard (its wake-up still on the way to the run), which is then the run's.
       */
      close: restate.handlers.object.exclusive(
        { ingressPrivate: true },
        async (
          ctx: restate.ObjectContext,
          close: Close,
        ): Promise<ButtonPress | null> => {
          const done = await ctx.get<Done>("done");
          if (done) {
            // On a timeout the run takes this press after all (see the sensor's lastWord); otherwise it never will.
            if (close.reason !== "timeout")
              ctx.objectSendClient(ROUTER, ctx.key).tidyClosed({
                close: {
                  reason: close.reason,
                  message_id: done.press.message_id,
                  action: "expire",
                  text: UNRECORDED_TEXTS[close.reason],
                },
                pending: [],
              });
            return done.press;
          }
          if (await ctx.get<Close>("closed")) return null;
          ctx.set("closed", close);
          ctx.clear("watch");
          const pending = (await ctx.get<Pending[]>("pending")) ?? [];
          ctx.clear("pending");
          // Telegram's part comes after the answer: a run asking on its timeout never waits for Telegram.
          ctx.objectSendClient(ROUTER, ctx.key).tidyClosed({ close, pending });
          return null;
        },
      ),

      /** Telegram's part of a close: presses that came before any sensor parked are told why, and the button goes. */
      tidyClosed: restate.handlers.object.exclusive(
        { ingressPrivate: true },
        async (
          ctx: restate.ObjectContext,
          { close, pending }: { close: Close; pending: Pending[] },
        ): Promise<void> => {
          for (const event of pending)
            if (!event.answered)
              await answer(ctx, event, CLOSED_TEXTS[close.reason]);
          if (close.action === "keep") return;
          const [bot, chat] = ctx.key.split(":");
          await edit(
            ctx,
            {
              bot_id: Number(bot),
              chat_id: chat ?? "",
              message_id: close.message_id,
            },
            close.action === "expire"
              ? "say the wait expired"
              : `remove the keyboard (${close.reason})`,
            close.action === "expire" ? close.text : null,
          );
        },
      ),

      /** Tells presses still waiting for a sensor to press again, before Telegram's answer window closes. */
      flush: restate.handlers.object.exclusive(
        { ingressPrivate: true },
        async (ctx: restate.ObjectContext): Promise<void> => {
          const pending = (await ctx.get<Pending[]>("pending")) ?? [];
          ctx.clear("pending");
          for (const event of pending)
            if (!event.answered) await answer(ctx, event, TEXTS.notReady);
        },
      ),
    },
  });
}

/** The router's Restate definition type. */
export type TelegramRouter = ReturnType<typeof telegramRouter>;
/** The router as a typed target for calls from other handlers and sensors: a renamed handler breaks the build. */
export const ROUTER: TelegramRouter = { name: ROUTER_NAME };
