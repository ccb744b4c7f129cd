import { TelegramApiError } from "../errors.js";
import { parseHtml } from "./html-parse-mode.js";
import { parseMarkdown } from "./markdown-parse-mode.js";
import type { TgMessageEntity, TgUser } from "./wire-types.js";

const MAX_TEXT_LENGTH = 4096;

/** Turns a method's `text` and `parse_mode` into the text and entities Telegram stores, with its length rules. */
export function parseMessageText(
  raw: string,
  parseMode: string | undefined,
  explicitEntities: TgMessageEntity[] | undefined,
): { text: string; entities?: TgMessageEntity[] } {
  const mode = parseMode?.toLowerCase() ?? "";
  let parsed: { text: string; entities: TgMessageEntity[] };
  if (mode === "html") parsed = parseHtml(raw);
  else if (mode === "markdownv2") parsed = parseMarkdown(raw, 2);
  else if (mode === "markdown") parsed = parseMarkdown(raw, 1);
  else if (mode === "")
    parsed = { text: raw, entities: explicitEntities ?? [] };
  else throw new TelegramApiError(400, `Bad Request: unsupported parse_mode`);
  // Telegram trims surrounding whitespace before measuring and storing.
  const leading = parsed.text.length - parsed.text.trimStart().length;
  const text = parsed.text.trim();
  if (text.length === 0)
    throw new TelegramApiError(400, "Bad Request: message text is empty");
  if (text.length > MAX_TEXT_LENGTH)
    throw new TelegramApiError(400, "Bad Request: message is too long");
  const entities = parsed.entities
    .map((entity) => ({ ...entity, offset: entity.offset - leading }))
    .filter(
      (entity) =>
        entity.offset >= 0 && entity.offset + entity.length <= text.length,
    );
  return entities.length > 0 ? { text, entities } : { text };
}

/**
 * Turns links to `tg://user?id=<id>` into `text_mention` entities carrying the user, as Telegram does for a user it
 * knows (the way to mention someone without a username); a link to an unknown user stays a link.
 */
export function withTextMentions(
  content: { text: string; entities?: TgMessageEntity[] },
  users: ReadonlyMap<number, TgUser>,
): { text: string; entities?: TgMessageEntity[] } {
  if (content.entities === undefined) return content;
  const entities = content.entities.map((entity) => {
    const id = /^tg:\/\/user\?id=(\d+)$/.exec(entity.url ?? "")?.[1];
    const user = id === undefined ? undefined : users.get(Number(id));
    if (entity.type !== "text_link" || user === undefined) return entity;
    return {
      type: "text_mention",
      offset: entity.offset,
      length: entity.length,
      user: { ...user },
    };
  });
  return { ...content, entities };
}
