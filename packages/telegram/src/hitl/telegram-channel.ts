import {
  template,
  type Arg,
  type Args,
  type DeferContext,
  type Duration,
  type HITLChannel,
  type Json,
} from "@poekhali/core";
import { TelegramHook } from "../hooks/telegram-hook.js";
import { hitlKey, hitlNonce, TELEGRAM_HITL_NAME } from "./hitl-callback.js";
import { checkTimerSettings } from "./hitl-timers.js";

/** How a request is put to a Telegram chat, as the DAG author writes it (each may read conf or upstream outputs). */
export interface TelegramChannelOptions {
  /** The chat to ask in; the connection's chat (`TELEGRAM_CHAT_ID`) when absent. */
  readonly chatId?: Arg<string | null>;
  /** How many distinct allowed people must choose an option for it to win; 1 by default. */
  readonly quorum?: Arg<number>;
  /** Options that win at the first allowed press, whatever the quorum. */
  readonly veto?: Arg<readonly string[]>;
  /** Who may answer, by @username (the @ optional, case-insensitive); with `allowedUserIds`, either list admits. */
  readonly allowedUsernames?: Arg<readonly string[]>;
  /** Who may answer, by Telegram user id; anyone in the chat when both lists are empty. */
  readonly allowedUserIds?: Arg<readonly number[]>;
  /** After this long without a decision, a reply to the request mentions who has not answered yet. */
  readonly remindAfter?: Arg<Duration | null>;
  /** After this long without a decision, a message to `escalateChatId`. */
  readonly escalateAfter?: Arg<Duration | null>;
  readonly escalateChatId?: Arg<string | null>;
  /** The language of the request's own texts (tally, decision); toasts follow each presser's `language_code`. */
  readonly language?: Arg<"ru" | "en">;
  /** The connection with the bot token; `telegram_default` by default. */
  readonly telegramConnId?: string;
}

/** A Telegram channel's settings as the request carries them to the `telegram_hitl` object (JSON, resolved). */
export interface TelegramChannelSettings {
  readonly conn_id: string;
  readonly chat_id: string | null;
  readonly quorum: number;
  readonly veto: string[];
  readonly allowed_usernames: string[];
  readonly allowed_user_ids: number[];
  readonly remind_after: Duration | null;
  readonly escalate_after: Duration | null;
  readonly escalate_chat_id: string | null;
  readonly language: "ru" | "en";
}

/**
 * Puts a HITL task's request to a Telegram chat as a message with one inline button per option, counted by the
 * `telegram_hitl` object; pass it in the task's `channels`. The REST API can still answer: whichever answers first
 * wins, and the message then says what was decided.
 *
 * @example
 * new ApprovalOperator({ taskId: "ask", subject: "Ship it?", channels: [telegramChannel({ quorum: 2 })] });
 */
export function telegramChannel(
  options: TelegramChannelOptions = {},
): HITLChannel {
  const connId = options.telegramConnId ?? "telegram_default";
  const given: Args<Omit<TelegramChannelSettings, "conn_id">> = {
    chat_id: options.chatId ?? null,
    quorum: options.quorum ?? 1,
    veto: (options.veto ?? []) as Arg<string[]>,
    allowed_usernames: (options.allowedUsernames ?? []) as Arg<string[]>,
    allowed_user_ids: (options.allowedUserIds ?? []) as Arg<number[]>,
    remind_after: options.remindAfter ?? null,
    escalate_after: options.escalateAfter ?? null,
    escalate_chat_id: options.escalateChatId ?? null,
    language: options.language ?? "en",
  };
  return {
    name: "telegram",
    settings: template(
      (values: Omit<TelegramChannelSettings, "conn_id">) => ({
        conn_id: connId,
        ...checkedSettings(values),
      }),
      given,
    ),
    locate(settings: Json, context: DeferContext) {
      const s = settings as unknown as TelegramChannelSettings;
      checkTimerSettings(s);
      const hook = TelegramHook.fromConnection(
        context.connections.get(s.conn_id),
      );
      const key = hitlKey(
        hook.botId,
        hook.chatId(s.chat_id ?? undefined),
        hitlNonce(hook, context.triggerId),
      );
      return {
        open: { service: TELEGRAM_HITL_NAME, handler: "open", key },
        notify: { service: TELEGRAM_HITL_NAME, handler: "decided", key },
      };
    },
  };
}

const isStrings = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((v) => typeof v === "string");

/**
 * The settings when each is what the `telegram_hitl` object can count by, else a `TypeError` naming the setting:
 * thrown when the task parks, so a bad conf fails the task with its reason rather than posting nothing.
 */
export function checkedSettings(
  values: Omit<TelegramChannelSettings, "conn_id">,
): Omit<TelegramChannelSettings, "conn_id"> {
  const fail = (what: string, value: unknown): never => {
    throw new TypeError(
      `telegramChannel: ${what}, not ${JSON.stringify(value)}`,
    );
  };
  const { quorum, veto, language } = values;
  if (!Number.isInteger(quorum) || quorum < 1)
    fail("quorum must be a whole number of at least 1", quorum);
  if (!isStrings(veto)) fail("veto must be a list of options", veto);
  if (!isStrings(values.allowed_usernames))
    fail(
      "allowedUsernames must be a list of usernames",
      values.allowed_usernames,
    );
  const ids: unknown = values.allowed_user_ids;
  if (!Array.isArray(ids) || !ids.every((id) => Number.isSafeInteger(id)))
    fail("allowedUserIds must be a list of Telegram user ids", ids);
  if (language !== "ru" && language !== "en")
    fail('language must be "ru" or "en"', language);
  return values;
}
