import { z } from "zod";
import { TelegramApiError } from "../errors.js";
import {
  parseForceReply,
  parseReplyMarkup,
  sameMarkup,
} from "./inline-keyboard.js";
import * as p from "./method-params.js";
import { parseMessageText, withTextMentions } from "./message-text.js";
import { botReplyTarget } from "./user-messages.js";
import type {
  BotRecord,
  ChatRecord,
  StoredMessage,
  TelegramState,
} from "./telegram-state.js";
import type { TgMessage } from "./wire-types.js";

/** What a Bot API method gets: the calling bot, its parameters and the emulator's state. */
export interface MethodContext {
  bot: BotRecord;
  params: Record<string, unknown>;
  state: TelegramState;
  signal: AbortSignal;
}

/** A Bot API method implementation; it returns the `result` or throws a TelegramApiError. */
export type BotMethod = (ctx: MethodContext) => unknown;

const badRequest = (what: string) =>
  new TelegramApiError(400, `Bad Request: ${what}`);

const sendMessageParams = z.object({
  chat_id: p.chatId,
  text: p.text,
  parse_mode: p.optionalString,
  entities: p.entities,
  reply_markup: z.unknown().optional(),
  reply_parameters: p.replyParameters,
  reply_to_message_id: p.optionalInt("Bad Request: wrong reply_to_message_id"),
  allow_sending_without_reply: p.optionalBool,
});
const getUpdatesParams = z.object({
  offset: p.optionalInt("Bad Request: wrong offset"),
  limit: p.optionalInt("Bad Request: wrong limit"),
  timeout: p.optionalInt("Bad Request: wrong timeout"),
  allowed_updates: p.allowedUpdates,
});
const answerParams = z.object({
  callback_query_id: z.preprocess(
    (v) => (typeof v === "number" ? String(v) : v),
    z.string({ error: "Bad Request: QUERY_ID_INVALID" }),
  ),
  text: p.optionalString,
  show_alert: p.optionalBool,
  url: p.optionalString,
});
const messageRef = { chat_id: p.chatId, message_id: p.messageId };
const editMarkupParams = z.object({
  ...messageRef,
  reply_markup: z.unknown().optional(),
});
const editTextParams = z.object({
  ...messageRef,
  text: p.text,
  parse_mode: p.optionalString,
  entities: p.entities,
  reply_markup: z.unknown().optional(),
});
const deleteParams = z.object(messageRef);
const getChatParams = z.object({ chat_id: p.chatId });

function editable(
  ctx: MethodContext,
  chatId: number | string,
  messageId: number,
): { chat: ChatRecord; stored: StoredMessage; message: TgMessage } {
  if (ctx.params.inline_message_id !== undefined)
    throw badRequest("the emulator does not support inline messages");
  const chat = ctx.state.chatFor(chatId);
  const stored = chat.messages.get(messageId);
  if (stored === undefined) throw badRequest("message to edit not found");
  if (stored.botId !== ctx.bot.user.id)
    throw badRequest("message can't be edited");
  return { chat, stored, message: stored.message };
}

const NOT_MODIFIED =
  "message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message";

/** The Bot API methods the emulator implements, keyed by lower-cased name (Telegram ignores case). */
export const botMethods: Record<string, BotMethod> = {
  getme: ({ bot }) => ({
    ...bot.user,
    can_join_groups: true,
    can_read_all_group_messages: false,
    supports_inline_queries: false,
    can_connect_to_business: false,
    has_main_web_app: false,
  }),

  sendmessage: (ctx) => {
    const params = p.parseParams(sendMessageParams, ctx.params);
    const chat = ctx.state.chatFor(params.chat_id);
    const content = withTextMentions(
      parseMessageText(params.text, params.parse_mode, params.entities),
      ctx.state.users,
    );
    const reply_markup = parseReplyMarkup(params.reply_markup);
    const forceReply = parseForceReply(params.reply_markup);
    const reply =
      params.reply_parameters ??
      (params.reply_to_message_id === undefined
        ? undefined
        : {
            message_id: params.reply_to_message_id,
            ...(params.allow_sending_without_reply === undefined
              ? {}
              : {
                  allow_sending_without_reply:
                    params.allow_sending_without_reply,
                }),
          });
    const reply_to_message =
      reply === undefined ? undefined : botReplyTarget(chat, reply);
    return ctx.state.postMessage(
      ctx.bot,
      chat,
      {
        ...content,
        ...(reply_markup === undefined ? {} : { reply_markup }),
        ...(reply_to_message === undefined ? {} : { reply_to_message }),
      },
      forceReply,
    );
  },

  getupdates: (ctx) => {
    if (ctx.bot.webhook !== undefined) {
      throw new TelegramApiError(
        409,
        "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
      );
    }
    const params = p.parseParams(getUpdatesParams, ctx.params);
    return ctx.bot.queue.poll(
      {
        ...(params.offset === undefined ? {} : { offset: params.offset }),
        limit: Math.min(100, Math.max(1, params.limit ?? 100)),
        timeoutSeconds: Math.max(0, params.timeout ?? 0),
        ...(params.allowed_updates === undefined
          ? {}
          : { allowedUpdates: params.allowed_updates }),
      },
      ctx.signal,
    );
  },

  answercallbackquery: (ctx) => {
    const params = p.parseParams(answerParams, ctx.params);
    const query = ctx.state.callbacks.get(params.callback_query_id);
    const now = ctx.state.now();
    if (
      query === undefined ||
      query.botId !== ctx.bot.user.id ||
      query.answer !== undefined ||
      now - query.pressedAt > ctx.state.answerWindowMs
    ) {
      throw badRequest(
        "query is too old and response timeout expired or query ID is invalid",
      );
    }
    if ((params.text?.length ?? 0) > 200) throw badRequest("MESSAGE_TOO_LONG");
    query.answer = {
      ...(params.text === undefined ? {} : { text: params.text }),
      ...(params.show_alert === undefined
        ? {}
        : { show_alert: params.show_alert }),
      ...(params.url === undefined ? {} : { url: params.url }),
      answered_at: Math.floor(now / 1000),
    };
    return true;
  },

  editmessagereplymarkup: (ctx) => {
    const params = p.parseParams(editMarkupParams, ctx.params);
    const { message } = editable(ctx, params.chat_id, params.message_id);
    const markup = parseReplyMarkup(params.reply_markup);
    if (sameMarkup(markup, message.reply_markup))
      throw badRequest(NOT_MODIFIED);
    if (markup === undefined) delete message.reply_markup;
    else message.reply_markup = markup;
    message.edit_date = Math.floor(ctx.state.now() / 1000);
    return message;
  },

  editmessagetext: (ctx) => {
    const params = p.parseParams(editTextParams, ctx.params);
    const { stored, message } = editable(
      ctx,
      params.chat_id,
      params.message_id,
    );
    const content = withTextMentions(
      parseMessageText(params.text, params.parse_mode, params.entities),
      ctx.state.users,
    );
    const markup = parseReplyMarkup(params.reply_markup);
    const sameText =
      content.text === message.text &&
      JSON.stringify(content.entities ?? []) ===
        JSON.stringify(message.entities ?? []);
    if (sameText && sameMarkup(markup, message.reply_markup))
      throw badRequest(NOT_MODIFIED);
    if (!sameText) stored.textEdited = true;
    message.text = content.text;
    if (content.entities === undefined) delete message.entities;
    else message.entities = content.entities;
    if (markup === undefined) delete message.reply_markup;
    else message.reply_markup = markup;
    message.edit_date = Math.floor(ctx.state.now() / 1000);
    return message;
  },

  deletemessage: (ctx) => {
    const params = p.parseParams(deleteParams, ctx.params);
    const chat = ctx.state.chatFor(params.chat_id);
    const stored = chat.messages.get(params.message_id);
    if (stored === undefined) throw badRequest("message to delete not found");
    if (stored.botId !== ctx.bot.user.id)
      throw badRequest("message can't be deleted");
    chat.messages.delete(params.message_id);
    return true;
  },

  getchat: (ctx) => {
    const params = p.parseParams(getChatParams, ctx.params);
    return {
      ...ctx.state.chatFor(params.chat_id).chat,
      accent_color_id: 0,
      max_reaction_count: 11,
    };
  },
};
