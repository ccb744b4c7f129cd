import "@poekhali/core";
import * as restate from "@restatedev/restate-sdk";
import { TelegramError } from "../errors.js";
import type { EditMessage, TelegramHook } from "../hooks/telegram-hook.js";
import { pressSigningText, type PressEvent } from "./press.js";

/** What the objects that take presses (the router, `telegram_hitl`) need to answer and tidy them. */
export interface PressRepliesOptions {
  /** The hook of a bot, by its id (keys name bots by id, never by token). */
  hookFor(botId: number): TelegramHook;
  readonly log: (message: string) => void;
}

/** A message of a button's key: the bot, chat and message to edit. */
export interface MessageRef {
  readonly bot_id: number;
  readonly chat_id: string;
  readonly message_id: number;
}

/**
 * One attempt to drop a message's keyboard, given up on after `withinMs`: true when it is done (or Telegram refused
 * it for good, which no retry changes), false at once when Telegram asks to wait (a 429 is not waited out), fails
 * or could not be reached, and false when it did not answer within `withinMs`. Logs why it gave up, once.
 */
export async function dropKeyboardOnce(
  hook: TelegramHook,
  target: MessageRef,
  withinMs: number,
  log: (message: string) => void,
): Promise<boolean> {
  const signal = AbortSignal.timeout(withinMs);
  try {
    await hook.editMessage({
      chatId: target.chat_id,
      messageId: target.message_id,
      signal,
      waitOutRateLimits: false,
    });
    return true;
  } catch (error) {
    if (error instanceof TelegramError && !error.retryable) {
      log(`could not edit message ${target.message_id}: ${error.message}`);
      return true;
    }
    // The hook's errors carry no token; anything else is named only by its kind.
    const why = signal.aborted
      ? `no answer within ${withinMs} ms`
      : error instanceof TelegramError
        ? error.message
        : `a ${error instanceof Error ? error.name : typeof error}`;
    log(
      `left the keyboard of message ${target.message_id} to removeKeyboard: ${why}`,
    );
    return false;
  }
}

/** Who may press: by username (the @ optional, case-insensitive) or by id; anyone when both lists are empty. */
export interface AllowedPressers {
  readonly allowed_usernames?: readonly string[] | null;
  readonly allowed_user_ids?: readonly number[] | null;
}

/** Whether the presser is one of the allowed (everyone is when no list names anyone). */
export function pressAllowed(
  allowed: AllowedPressers,
  from: PressEvent["from"],
): boolean {
  const names = allowed.allowed_usernames ?? [];
  const ids = allowed.allowed_user_ids ?? [];
  if (names.length === 0 && ids.length === 0) return true;
  const name = from.username?.toLowerCase();
  return (
    ids.includes(from.id) ||
    names.some((u) => u.replace(/^@/, "").toLowerCase() === name)
  );
}

/** Telegram's limit on the text of a callback query's answer (a toast), in characters. */
const MAX_TOAST = 200;

/** A toast's text cut to Telegram's 200 characters (ending with … when cut), which it would refuse otherwise. */
export function toastText(text: string): string {
  const chars = [...text];
  return chars.length <= MAX_TOAST
    ? text
    : `${chars.slice(0, MAX_TOAST - 1).join("")}…`;
}

/** Whether `signature` is the bot's over `text` for `purpose`; false for an unknown bot or a missing signature. */
export function signedByBot(
  hookFor: (botId: number) => Pick<TelegramHook, "verify">,
  botId: number,
  signature: unknown,
  purpose: string,
  text: string,
): boolean {
  try {
    return (
      typeof signature === "string" &&
      hookFor(botId).verify(signature, purpose, text)
    );
  } catch {
    return false;
  }
}

/** Whether a press event carries our ingester's signature for this bot (what every press consumer checks). */
export function pressSignedByBot(
  hookFor: (botId: number) => Pick<TelegramHook, "verify">,
  event: PressEvent,
): boolean {
  const { signature, ...rest } = event;
  return signedByBot(
    hookFor,
    event.bot_id,
    signature,
    "press",
    pressSigningText(rest),
  );
}

/**
 * The journaled replies of an object that takes presses: answering a callback query, editing a message of its key,
 * tidying a stray copy of it, and telling our ingester's presses from anyone else's.
 */
export function pressReplies(options: PressRepliesOptions) {
  const { log } = options;

  /** Answers a press; resolves when it was answered (journaled), or null when Restate gave up answering. */
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
          // Its late answer came first (see LateAnswers), in this process: Telegram would refuse this one.
          if (hook.answeredLately(event.callback_query_id))
            return new Date().toISOString();
          try {
            await hook.answerCallbackQuery(
              event.callback_query_id,
              toastText(text),
            );
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

  /**
   * Edits a message: replaces its text (and keyboard: none unless given), or, without a text, drops its keyboard.
   * Telegram's refusal (the message is gone, too old to edit) is logged, not retried.
   */
  async function edit(
    ctx: restate.ObjectSharedContext,
    target: MessageRef,
    why: string,
    change: Omit<EditMessage, "chatId" | "messageId" | "signal"> = {},
  ): Promise<void> {
    const hook = options.hookFor(target.bot_id);
    await ctx.run(why, async () => {
      try {
        await hook.editMessage({
          chatId: target.chat_id,
          messageId: target.message_id,
          ...change,
        });
      } catch (error) {
        if (error instanceof TelegramError && !error.retryable)
          log(`could not edit message ${target.message_id}: ${error.message}`);
        else throw error;
      }
    });
  }

  /**
   * {@link dropKeyboardOnce}, journaled: a replay takes its outcome. Gives up on Telegram after `withinMs` (its key
   * is held that long at most, plus the journaling); false hands the removal to the caller's durable retry.
   */
  async function dropKeyboardAtOnce(
    ctx: restate.ObjectContext,
    target: MessageRef,
    withinMs: number,
  ): Promise<boolean> {
    const hook = options.hookFor(target.bot_id);
    return ctx.run("remove the keyboard at once", () =>
      dropKeyboardOnce(hook, target, withinMs, log),
    );
  }

  /** Removes the buttons from a stray copy of the message (a retried send's), once. */
  async function tidy(
    ctx: restate.ObjectContext,
    event: PressEvent,
  ): Promise<void> {
    const tidied = (await ctx.get<number[]>("tidied")) ?? [];
    if (tidied.includes(event.message_id)) return;
    ctx.set("tidied", [...tidied, event.message_id]);
    await edit(ctx, event, "remove the button of a stray copy");
  }

  /** Whether the press was handed over by our own ingester, which signs it with the bot's token. */
  function signed(event: PressEvent): boolean {
    return pressSignedByBot((botId) => options.hookFor(botId), event);
  }

  /**
   * Whether an object keyed `key` takes this press: signed by our ingester (a local process calling the ingress
   * gets nothing answered and nothing taken), and for this key (a signed press replayed to another key is dropped).
   */
  function admitted(
    key: string,
    event: PressEvent,
    eventKey: string | null,
  ): boolean {
    if (!signed(event)) {
      log(`dropped a press on ${key} that our ingester did not sign`);
      return false;
    }
    if (eventKey !== key) {
      log(`dropped a press on ${key} that belongs to ${eventKey ?? "no key"}`);
      return false;
    }
    return true;
  }

  return { answer, edit, dropKeyboardAtOnce, tidy, admitted };
}
