/** A Telegram `User` as the Bot API sends it. */
export interface TgUser {
  id: number;
  is_bot: boolean;
  first_name: string;
  last_name?: string;
  username?: string;
  language_code?: string;
}

/** A Telegram `Chat` as the Bot API sends it. */
export interface TgChat {
  id: number;
  type: "private" | "group" | "supergroup";
  title?: string;
  first_name?: string;
  username?: string;
}

/** One button of an inline keyboard: a callback button or a URL button. */
export interface TgInlineButton {
  text: string;
  url?: string;
  callback_data?: string;
}

/** A Telegram `ForceReply`: apps open a reply to the message (for `selective`, only for the users it targets). */
export interface TgForceReply {
  force_reply: true;
  selective: boolean;
  input_field_placeholder?: string;
}

/** A Telegram `InlineKeyboardMarkup`. */
export interface TgInlineKeyboardMarkup {
  inline_keyboard: TgInlineButton[][];
}

/** A Telegram `MessageEntity` produced by parse_mode. */
export interface TgMessageEntity {
  type: string;
  offset: number;
  length: number;
  url?: string;
  language?: string;
  /** The mentioned user of a `text_mention`. */
  user?: TgUser;
}

/** A Telegram `Message` with text, sent by a bot or by a test user. */
export interface TgMessage {
  message_id: number;
  from: TgUser;
  chat: TgChat;
  date: number;
  edit_date?: number;
  /** The message this one replies to, itself without a further `reply_to_message`, as Telegram sends it. */
  reply_to_message?: TgMessage;
  text: string;
  entities?: TgMessageEntity[];
  reply_markup?: TgInlineKeyboardMarkup;
}

/** A Telegram `CallbackQuery`: a press of an inline button. */
export interface TgCallbackQuery {
  id: string;
  from: TgUser;
  message: TgMessage;
  chat_instance: string;
  data?: string;
}

/** A Telegram `Update`; the emulator produces user messages and callback queries. */
export interface TgUpdate {
  update_id: number;
  message?: TgMessage;
  callback_query?: TgCallbackQuery;
}
