import "@poekhali/core";
import * as restate from "@restatedev/restate-sdk";
import type { TelegramHook } from "../hooks/telegram-hook.js";
import {
  nonceOf,
  pressKey,
  type ButtonPress,
  type PressEvent,
} from "./press.js";
import {
  pressAllowed,
  pressReplies,
  type MessageRef,
} from "./press-replies.js";
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
/** How long a taken press's key waits for Telegram to drop the keyboard before a durable retry takes it over. */
const REMOVE_AT_ONCE_MS = 1_500;
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

  const { answer, edit, dropKeyboardAtOnce, tidy, admitted } = pressReplies({
    hookFor: (botId) => options.hookFor(botId),
    log,
  });

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
    const message: MessageRef = {
      bot_id: event.bot_id,
      chat_id: event.chat_id,
      message_id: event.message_id,
    };
    // One bounded try here saves an invocation per press; later presses on the button (answered «Уже нажали») and a
    // racing close wait for it at most REMOVE_AT_ONCE_MS. When Telegram is slow or busy (flood control asks for tens
    // of seconds), the removal goes off this key's critical path to `removeKeyboard`, which Restate retries. Both
    // are journaled, and removing a keyboard twice changes nothing.
    if (await dropKeyboardAtOnce(ctx, message, REMOVE_AT_ONCE_MS)) return;
    ctx.objectSendClient(ROUTER, ctx.key).removeKeyboard(message);
  }

  /**
   * Answers a press according to the watch, and accepts it when it is the first valid one. Reads `done` again, as
   * main's code did: a press journaled by an older version replays on this one with the same entries up to its answer.
   */
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
    if (!pressAllowed(watch, event.from))
      return void (await say(TEXTS.notAllowed));
    const answeredAt = await say(watch.answer_text);
    await accept(ctx, watch, event, answeredAt);
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
        if (!admitted(ctx.key, event, pressKey(event))) return;
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
            close.action === "expire" && close.text ? { text: close.text } : {},
          );
        },
      ),

      /**
       * Removes the keyboard of the message whose press was taken. Shared: it runs beside the key's presses and
       * closes, and in any order with them (a close's «нажатие не записано» edit drops the keyboard too).
       */
      removeKeyboard: restate.handlers.object.shared(
        { ingressPrivate: true },
        async (
          ctx: restate.ObjectSharedContext,
          message: MessageRef,
        ): Promise<void> => {
          await edit(ctx, message, "remove the keyboard");
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
