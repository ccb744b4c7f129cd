import { ControlApiError, TelegramApiError } from "../errors.js";
import type { ChatRecord, TelegramState } from "./telegram-state.js";
import type { TgMessage, TgMessageEntity, TgUser } from "./wire-types.js";

const MAX_TEXT = 4096;
// A command starts the text or follows whitespace: "/start", "/go@poekhali_bot".
const COMMAND = /(^|\s)(\/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?)(?=$|\s)/g;

/** What a test user's message produced: the stored message and, per bot, its update id (null when allowed_updates excludes messages). */
export interface PostedUserMessage {
  message: TgMessage;
  updates: { bot_id: number; update_id: number | null }[];
}

/** Returns the replied message as Telegram nests it: a copy without its own `reply_to_message`. */
export function replyTarget(
  chat: ChatRecord,
  messageId: number,
): TgMessage | undefined {
  const stored = chat.messages.get(messageId);
  if (stored === undefined) return undefined;
  const copy = structuredClone(stored.message);
  delete copy.reply_to_message;
  return copy;
}

/** Marks `/commands` with `bot_command` entities, as Telegram does for messages users send. */
export function commandEntities(text: string): TgMessageEntity[] {
  const entities: TgMessageEntity[] = [];
  for (const match of text.matchAll(COMMAND)) {
    const command = match[2] ?? "";
    const offset = match.index + (match[1]?.length ?? 0);
    entities.push({ type: "bot_command", offset, length: command.length });
  }
  return entities;
}

/** Stores a test user's text message (or reply) in a chat and queues it as a `message` update for one bot or every bot. */
export function postUserMessage(
  state: TelegramState,
  input: {
    chatId: number;
    from: TgUser;
    text: string;
    replyToMessageId?: number;
    botId?: number;
  },
): PostedUserMessage {
  const chat = state.chats.get(input.chatId);
  if (chat === undefined) throw new ControlApiError(404, "chat not found");
  if (input.text.trim() === "" || input.text.length > MAX_TEXT)
    throw new ControlApiError(400, "text must be 1 to 4096 characters");
  const bots =
    input.botId === undefined
      ? [...state.bots.values()]
      : [state.bots.get(input.botId)];
  if (bots.some((bot) => bot === undefined))
    throw new ControlApiError(404, "bot not found");
  const message: TgMessage = {
    message_id: chat.nextMessageId,
    from: input.from,
    chat: chat.chat,
    date: Math.floor(state.now() / 1000),
    text: input.text,
  };
  if (input.replyToMessageId !== undefined) {
    const replied = replyTarget(chat, input.replyToMessageId);
    if (replied === undefined)
      throw new ControlApiError(404, "message to reply to not found");
    message.reply_to_message = replied;
  }
  const entities = commandEntities(input.text);
  if (entities.length > 0) message.entities = entities;
  chat.nextMessageId += 1;
  chat.messages.set(message.message_id, { message });
  const updates = bots.flatMap((bot) =>
    bot === undefined
      ? []
      : [
          {
            bot_id: bot.user.id,
            update_id:
              bot.queue.push("message", (update_id) => ({
                update_id,
                message: structuredClone(message),
              })) ?? null,
          },
        ],
  );
  return { message, updates };
}

/** Resolves a bot's `reply_parameters` / `reply_to_message_id` to the message it replies to, refusing unknown ones as Telegram does. */
export function botReplyTarget(
  chat: ChatRecord,
  reply: { message_id: number; allow_sending_without_reply?: boolean },
): TgMessage | undefined {
  const replied = replyTarget(chat, reply.message_id);
  if (replied === undefined && reply.allow_sending_without_reply !== true)
    throw new TelegramApiError(
      400,
      "Bad Request: message to be replied not found",
    );
  return replied;
}
