import type { InlineKeyboardButton, InlineKeyboardMarkup } from "grammy/types";
import { hitlCallbackData } from "./hitl-callback.js";
import { HITL_TEXTS, type HitlLanguage } from "./hitl-texts.js";
import { tally, type Votes } from "./hitl-votes.js";

/** Telegram's limits on an inline keyboard and a message's text. */
const MAX_BUTTONS = 100;
const MAX_TEXT = 4096;

/** What a request message shows: its texts, its options and how they are counted. */
export interface RequestView {
  readonly subject: string;
  readonly body: string | null;
  readonly options: readonly string[];
  readonly multiple: boolean;
  readonly quorum: number;
  readonly language: HitlLanguage;
}

/** The text as Telegram's HTML parse mode reads it, with our own markup only. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;");
}

/** Why a request cannot be put as buttons, or null. */
export function keyboardProblem(view: RequestView): string | null {
  const buttons = view.options.length + (view.multiple ? 1 : 0);
  return buttons > MAX_BUTTONS
    ? `${view.options.length} options need ${buttons} buttons, more than Telegram's ${MAX_BUTTONS}`
    : null;
}

/** How many buttons share a row: fewer as labels grow, so that each stays readable on a phone. */
function perRow(options: readonly string[]): number {
  const longest = Math.max(0, ...options.map((o) => [...o].length));
  return longest <= 10 ? 3 : longest <= 20 ? 2 : 1;
}

/**
 * The request's keyboard: one button per option (wrapped into rows), a ✓ on options someone has toggled and, past a
 * quorum of one, how many chose each; for `multiple`, a submit button on its own row.
 */
export function requestKeyboard(
  view: RequestView,
  nonce: string,
  votes: Votes,
): InlineKeyboardMarkup {
  const counts = tally(view.options, votes);
  const marked = new Set(
    view.multiple ? Object.values(votes).flatMap((v) => v.draft) : [],
  );
  const buttons: InlineKeyboardButton[] = view.options.map((option, i) => ({
    text: `${marked.has(option) ? "✓ " : ""}${option}${view.quorum > 1 ? ` · ${counts[option] ?? 0}` : ""}`,
    callback_data: hitlCallbackData(nonce, i),
  }));
  const size = perRow(view.options);
  const rows: InlineKeyboardButton[][] = [];
  for (let i = 0; i < buttons.length; i += size)
    rows.push(buttons.slice(i, i + size));
  if (view.multiple)
    rows.push([
      {
        text: HITL_TEXTS[view.language].submit,
        callback_data: hitlCallbackData(nonce, "s"),
      },
    ]);
  return { inline_keyboard: rows };
}

/** The request's text (HTML): the subject in bold, the body, and the live tally once more than one vote is needed. */
export function requestText(
  view: RequestView,
  votes: Votes,
  decision?: string,
): string {
  const counts = tally(view.options, votes);
  const tail =
    decision ??
    (view.quorum > 1
      ? `${HITL_TEXTS[view.language].tally(view.quorum)}: ${view.options
          .map((o) => `${o} — ${counts[o] ?? 0}`)
          .join(" · ")}`
      : "");
  // Telegram's limit counts the text as shown: the body gives way, so that the subject and the tally always show.
  const room = MAX_TEXT - [...view.subject].length - [...tail].length - 4;
  const chars = [...(view.body ?? "")];
  const body =
    chars.length > room
      ? `${chars.slice(0, Math.max(0, room - 1)).join("")}…`
      : chars.join("");
  const head = `<b>${escapeHtml(view.subject)}</b>`;
  const end = tail ? `\n\n${escapeHtml(tail)}` : "";
  return `${head}${body ? `\n\n${escapeHtml(body)}` : ""}${end}`;
}
