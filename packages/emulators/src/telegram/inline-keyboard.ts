import { TelegramApiError } from "../errors.js";
import type {
  TgForceReply,
  TgInlineButton,
  TgInlineKeyboardMarkup,
} from "./wire-types.js";

const badRequest = (what: string) =>
  new TelegramApiError(400, `Bad Request: ${what}`);

/** Reads a `reply_markup` parameter (object or JSON string) into a plain object, refusing anything else as Telegram does. */
function markupObject(value: unknown): object | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  let markup: unknown = value;
  if (typeof markup === "string") {
    try {
      markup = JSON.parse(markup) as unknown;
    } catch {
      throw badRequest("can't parse reply keyboard markup JSON object");
    }
  }
  if (markup === null || typeof markup !== "object" || Array.isArray(markup)) {
    throw badRequest("can't parse reply keyboard markup JSON object");
  }
  return markup;
}

/**
 * Reads a send method's `reply_markup` into the ForceReply it asks for, if it is one: the Bot API leaves it out of
 * the sent `Message` (its `reply_markup` is inline keyboards only), but Telegram apps get it (MTProto's
 * `replyKeyboardForceReply`) and open a reply to the message for the users it targets.
 */
export function parseForceReply(value: unknown): TgForceReply | undefined {
  const markup = markupObject(value);
  if (markup === undefined || !("force_reply" in markup)) return undefined;
  const { force_reply, selective, input_field_placeholder } = markup as Record<
    string,
    unknown
  >;
  // Telegram reads the object as a ForceReply only when force_reply is True; anything else attaches nothing.
  if (force_reply !== true) return undefined;
  if (selective !== undefined && typeof selective !== "boolean")
    throw badRequest('field "selective" must be of type Boolean');
  if (
    input_field_placeholder !== undefined &&
    typeof input_field_placeholder !== "string"
  )
    throw badRequest('field "input_field_placeholder" must be of type String');
  return {
    force_reply: true,
    selective: selective === true,
    ...(input_field_placeholder ? { input_field_placeholder } : {}),
  };
}

/** Reads a `reply_markup` parameter (object or JSON string) into the inline keyboard it attaches, if any. */
export function parseReplyMarkup(
  value: unknown,
): TgInlineKeyboardMarkup | undefined {
  const markup = markupObject(value);
  if (markup === undefined) return undefined;
  // Reply keyboards, ReplyKeyboardRemove and ForceReply are not part of the sent message's markup.
  if (!("inline_keyboard" in markup)) return undefined;
  const rows = markup.inline_keyboard;
  if (!Array.isArray(rows) || !rows.every((row) => Array.isArray(row))) {
    throw badRequest(
      'field "inline_keyboard" of the InlineKeyboardMarkup should be an Array of Arrays',
    );
  }
  const keyboard = (rows as unknown[][])
    .map((row) => row.map(parseButton))
    .filter((row) => row.length > 0);
  return keyboard.length === 0 ? undefined : { inline_keyboard: keyboard };
}

function parseButton(value: unknown): TgInlineButton {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw badRequest(
      "can't parse inline keyboard button: InlineKeyboardButton must be an Object",
    );
  }
  const button = value as Record<string, unknown>;
  if (typeof button.text !== "string") {
    throw badRequest(
      'can\'t parse inline keyboard button: Field "text" must be of type String',
    );
  }
  if (typeof button.callback_data === "string") {
    const bytes = Buffer.byteLength(button.callback_data, "utf8");
    if (bytes < 1 || bytes > 64) throw badRequest("BUTTON_DATA_INVALID");
    return { text: button.text, callback_data: button.callback_data };
  }
  if (button.callback_data !== undefined)
    throw badRequest("BUTTON_DATA_INVALID");
  if (typeof button.url === "string") {
    if (!isButtonUrl(button.url)) {
      throw badRequest(
        `inline keyboard button URL '${button.url}' is invalid: Wrong HTTP URL`,
      );
    }
    return { text: button.text, url: button.url };
  }
  throw badRequest(
    "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard",
  );
}

function isButtonUrl(text: string): boolean {
  try {
    return ["http:", "https:", "tg:"].includes(new URL(text).protocol);
  } catch {
    return false;
  }
}

/** Tells whether two inline keyboards (or their absence) are exactly the same. */
export function sameMarkup(
  a: TgInlineKeyboardMarkup | undefined,
  b: TgInlineKeyboardMarkup | undefined,
): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** Finds the callback button with that data, or the first callback button when data is omitted. */
export function findCallbackButton(
  markup: TgInlineKeyboardMarkup | undefined,
  data: string | undefined,
): TgInlineButton | undefined {
  for (const row of markup?.inline_keyboard ?? []) {
    for (const button of row) {
      if (
        button.callback_data !== undefined &&
        (data === undefined || button.callback_data === data)
      )
        return button;
    }
  }
  return undefined;
}
