import {
  DeferrableSensor,
  handlerTarget,
  toMillis,
  type Args,
  type BaseSensorOptions,
  type DeferContext,
  type Duration,
  type Json,
} from "@poekhali/core";
import { TelegramHook } from "../hooks/telegram-hook.js";
import { MESSAGES_NAME, chatKey } from "../updates/message-event.js";
import { matchRegExp, type MessageMatch } from "../updates/message-match.js";
import type {
  MessageWatch,
  ReceivedMessage,
  TelegramMessages,
} from "../updates/message-watch.js";

// A typed stand-in for the messages object's definition: its handler names are checked against the object's.
const Messages: TelegramMessages = { name: MESSAGES_NAME };

/** Arguments of {@link TextMessageSensor}. */
export interface TextMessageArgs {
  /** The chat to watch; the watched message's chat, else the connection's chat, when absent. */
  readonly chatId?: string | null;
  /** The run's own message (a send operator's output): only messages after it count, even ones sent before the sensor parked. */
  readonly message?: {
    readonly chat_id: string;
    readonly message_id: number;
  } | null;
  /** Only replies to `message`. */
  readonly replyOnly?: boolean | null;
  /** The whole text, exactly. */
  readonly textEquals?: string | null;
  /** A regular expression the text must match; a string is its source (with `textFlags`). */
  readonly textMatches?: RegExp | string | null;
  readonly textFlags?: string | null;
  /** Only from these user ids; anyone when null or empty. */
  readonly allowedUserIds?: readonly number[] | null;
  /** Only from these @usernames (@ optional, case-insensitive); anyone when null or empty. */
  readonly allowedUsernames?: readonly string[] | null;
  /** The sensor's timeout, so the registration can be dropped with it. */
  readonly timeout?: Duration | null;
}

/** Options of {@link TextMessageSensor}. */
export interface TextMessageSensorOptions
  extends BaseSensorOptions, Omit<Args<TextMessageArgs>, "timeout"> {
  /** The connection with the bot token; `telegram_default` by default. */
  readonly telegramConnId?: string;
}

/**
 * Waits, deferred, for a text message or reply in a chat that meets a predicate (text, regex, reply to, sender):
 * it registers a {@link MessageMatch} with the chat's `telegram_messages` object and parks; the first matching
 * message wakes it and becomes its output. Parked, it costs no worker and no polling.
 *
 * @example
 * const asked = new SendMessageOperator({ taskId: "ask", text: "Во сколько выезжаем? Ответьте на это сообщение" });
 * const answer = new TextMessageSensor({ taskId: "wait_for_answer", message: asked.output, replyOnly: true, textMatches: /^\d{1,2}:\d{2}$/, timeout: "1h" });
 */
export class TextMessageSensor extends DeferrableSensor<
  TextMessageArgs,
  ReceivedMessage
> {
  readonly title = "wait for a text message";
  readonly telegramConnId: string;

  constructor(options: TextMessageSensorOptions) {
    super(options, {
      chatId: options.chatId ?? null,
      message: options.message ?? null,
      replyOnly: options.replyOnly ?? null,
      textEquals: options.textEquals ?? null,
      textMatches: options.textMatches ?? null,
      textFlags: options.textFlags ?? null,
      allowedUserIds: options.allowedUserIds ?? null,
      allowedUsernames: options.allowedUsernames ?? null,
      timeout: options.timeout ?? null,
    });
    this.telegramConnId = options.telegramConnId ?? "telegram_default";
    // A literal regex is checked now, when the DAG loads, rather than when a run reaches the sensor.
    const flags = options.textFlags ?? "";
    if (typeof options.textMatches === "string" && typeof flags === "string") {
      matchRegExp({ text_matches: options.textMatches, text_flags: flags });
    }
    if (options.replyOnly === true && !options.message)
      throw new TypeError(
        `task "${this.taskId}": replyOnly needs the message to reply to`,
      );
  }

  override defer(args: TextMessageArgs, context: DeferContext): void {
    const hook = TelegramHook.fromConnection(
      context.connections.get(this.telegramConnId),
    );
    const chatId = hook.chatId(
      args.chatId ?? args.message?.chat_id ?? undefined,
    );
    const watch: MessageWatch = {
      trigger_id: context.triggerId,
      match: messageMatch(args),
      timeout_ms: args.timeout == null ? null : toMillis(args.timeout),
    };
    // A MessageMatch is JSON: absent conditions are left out, never undefined.
    context.send(
      handlerTarget(Messages, "watch", chatKey(hook.botId, chatId)),
      watch as unknown as Json,
    );
  }

  override complete(event: ReceivedMessage): ReceivedMessage {
    return event;
  }
}

/** The serialisable predicate of a sensor's arguments. */
export function messageMatch(args: TextMessageArgs): MessageMatch {
  const regexp = args.textMatches;
  const source =
    regexp instanceof RegExp ? regexp.source : (regexp ?? undefined);
  const flags =
    regexp instanceof RegExp ? regexp.flags : (args.textFlags ?? undefined);
  const replyTo =
    args.replyOnly && args.message ? args.message.message_id : undefined;
  return {
    ...(args.textEquals == null ? {} : { text_equals: args.textEquals }),
    ...(source === undefined
      ? {}
      : { text_matches: source, ...(flags ? { text_flags: flags } : {}) }),
    ...(replyTo === undefined ? {} : { reply_to_message_id: replyTo }),
    ...(args.message ? { after_message_id: args.message.message_id } : {}),
    ...(args.allowedUserIds?.length
      ? { from_user_ids: [...args.allowedUserIds] }
      : {}),
    ...(args.allowedUsernames?.length
      ? { from_usernames: [...args.allowedUsernames] }
      : {}),
  };
}
