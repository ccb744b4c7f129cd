import { TelegramApiError } from "../errors.js";
import type { TgMessageEntity } from "./wire-types.js";

const TAGS: Record<string, string> = {
  b: "bold",
  strong: "bold",
  i: "italic",
  em: "italic",
  u: "underline",
  ins: "underline",
  s: "strikethrough",
  strike: "strikethrough",
  del: "strikethrough",
  code: "code",
  pre: "pre",
  a: "text_link",
  "tg-spoiler": "spoiler",
  span: "spoiler",
  blockquote: "blockquote",
};
const NAMED: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"' };

const cantParse = (what: string) =>
  new TelegramApiError(400, `Bad Request: can't parse entities: ${what}`);

/** Parses Telegram's HTML parse mode into plain text and message entities, rejecting what Telegram rejects. */
export function parseHtml(source: string): {
  text: string;
  entities: TgMessageEntity[];
} {
  let text = "";
  const entities: TgMessageEntity[] = [];
  const open: { tag: string; type: string; offset: number; url?: string }[] =
    [];
  let i = 0;
  while (i < source.length) {
    const c = source[i] ?? "";
    if (c === "&") {
      const end = source.indexOf(";", i);
      const name = end > i ? source.slice(i + 1, end) : "";
      const decoded = decodeEntity(name);
      if (decoded === undefined) {
        text += "&";
        i += 1;
      } else {
        text += decoded;
        i = end + 1;
      }
      continue;
    }
    if (c !== "<") {
      text += c;
      i += 1;
      continue;
    }
    const end = source.indexOf(">", i);
    if (end < 0) throw cantParse(`Unclosed start tag at byte offset ${i}`);
    const inner = source.slice(i + 1, end).trim();
    if (inner.startsWith("/")) {
      const tag = inner.slice(1).trim().toLowerCase();
      const top = open.pop();
      if (top?.tag !== tag) {
        throw cantParse(
          `Unmatched end tag at byte offset ${i}, expected "</${top?.tag ?? ""}>", found "</${tag}>"`,
        );
      }
      const length = text.length - top.offset;
      if (length > 0) {
        entities.push({
          type: top.type,
          offset: top.offset,
          length,
          ...(top.url === undefined ? {} : { url: top.url }),
        });
      }
    } else {
      const tag = (/^[\w-]+/.exec(inner)?.[0] ?? "").toLowerCase();
      const type = TAGS[tag];
      if (
        type === undefined ||
        (tag === "span" && !/class\s*=\s*["']?tg-spoiler/.test(inner))
      ) {
        throw cantParse(`Unsupported start tag "${tag}" at byte offset ${i}`);
      }
      const href = /href\s*=\s*(?:"([^"]*)"|'([^']*)')/.exec(inner);
      const url = href?.[1] ?? href?.[2];
      if (tag === "a" && url === undefined)
        throw cantParse(`Can't find href of the link at byte offset ${i}`);
      open.push({
        tag,
        type,
        offset: text.length,
        ...(url === undefined ? {} : { url }),
      });
    }
    i = end + 1;
  }
  const unclosed = open.pop();
  if (unclosed !== undefined)
    throw cantParse(
      `Can't find end tag corresponding to start tag "${unclosed.tag}"`,
    );
  entities.sort((a, b) => a.offset - b.offset);
  return { text, entities };
}

function decodeEntity(name: string): string | undefined {
  const named = NAMED[name];
  if (named !== undefined) return named;
  const code = /^#x([0-9a-f]+)$/i.test(name)
    ? parseInt(name.slice(2), 16)
    : /^#\d+$/.test(name)
      ? Number(name.slice(1))
      : NaN;
  return Number.isInteger(code) && code > 0 && code <= 0x10ffff
    ? String.fromCodePoint(code)
    : undefined;
}
