import { TelegramApiError } from "../errors.js";
import type { TgMessageEntity } from "./wire-types.js";

const RESERVED = new Set("_*[]()~`>#+-=|{}.!".split(""));
const NAMES: Record<string, string> = {
  bold: "Bold",
  italic: "Italic",
  underline: "Underline",
  strikethrough: "Strikethrough",
  spoiler: "Spoiler",
  text_link: "TextUrl",
};

const cantParse = (what: string) =>
  new TelegramApiError(400, `Bad Request: can't parse entities: ${what}`);

/** Parses MarkdownV2 (strict: reserved characters must be escaped) or legacy Markdown into text and entities. */
export function parseMarkdown(
  source: string,
  version: 1 | 2,
): { text: string; entities: TgMessageEntity[] } {
  let text = "";
  const entities: TgMessageEntity[] = [];
  const open: { type: string; offset: number; at: number }[] = [];
  const toggle = (type: string, at: number) => {
    const index = open.findIndex((entry) => entry.type === type);
    if (index < 0) {
      open.push({ type, offset: text.length, at });
      return;
    }
    const [entry] = open.splice(index, 1);
    if (entry !== undefined && text.length > entry.offset) {
      entities.push({
        type,
        offset: entry.offset,
        length: text.length - entry.offset,
      });
    }
  };
  let i = 0;
  while (i < source.length) {
    const c = source[i] ?? "";
    const next = source[i + 1];
    if (
      c === "\\" &&
      next !== undefined &&
      (version === 2 || RESERVED.has(next))
    ) {
      text += next;
      i += 2;
    } else if (c === "`") {
      const fence = source.startsWith("```", i) ? "```" : "`";
      const end = source.indexOf(fence, i + fence.length);
      if (end < 0)
        throw cantParse(
          `Can't find end of ${fence === "`" ? "Code" : "Pre"} entity at byte offset ${i}`,
        );
      let body = source.slice(i + fence.length, end);
      let language: string | undefined;
      if (fence === "```") {
        const newline = body.indexOf("\n");
        if (newline >= 0 && /^[\w+-]+$/.test(body.slice(0, newline))) {
          language = body.slice(0, newline);
          body = body.slice(newline + 1);
        }
      }
      const content = version === 2 ? body.replace(/\\([`\\])/g, "$1") : body;
      const entity: TgMessageEntity = {
        type: fence === "`" ? "code" : "pre",
        offset: text.length,
        length: content.length,
      };
      if (language !== undefined) entity.language = language;
      if (content.length > 0) entities.push(entity);
      text += content;
      i = end + fence.length;
    } else if (c === "*") {
      toggle("bold", i);
      i += 1;
    } else if (c === "_") {
      const underline = version === 2 && next === "_";
      toggle(underline ? "underline" : "italic", i);
      i += underline ? 2 : 1;
    } else if (version === 2 && c === "~") {
      toggle("strikethrough", i);
      i += 1;
    } else if (version === 2 && c === "|" && next === "|") {
      toggle("spoiler", i);
      i += 2;
    } else if (c === "[") {
      open.push({ type: "text_link", offset: text.length, at: i });
      i += 1;
    } else if (c === "]" && open.at(-1)?.type === "text_link" && next === "(") {
      const end = source.indexOf(")", i);
      if (end < 0)
        throw cantParse(`Can't find end of a URL at byte offset ${i}`);
      const link = open.pop();
      const url = source.slice(i + 2, end).replace(/\\([)\\])/g, "$1");
      if (link !== undefined && text.length > link.offset) {
        entities.push({
          type: "text_link",
          offset: link.offset,
          length: text.length - link.offset,
          url,
        });
      }
      i = end + 1;
    } else if (version === 2 && RESERVED.has(c)) {
      throw cantParse(
        `Character '${c}' is reserved and must be escaped with the preceding '\\'`,
      );
    } else {
      text += c;
      i += 1;
    }
  }
  const unclosed = open[0];
  if (unclosed !== undefined) {
    throw cantParse(
      `Can't find end of ${NAMES[unclosed.type] ?? unclosed.type} entity at byte offset ${unclosed.at}`,
    );
  }
  entities.sort((a, b) => a.offset - b.offset);
  return { text, entities };
}
