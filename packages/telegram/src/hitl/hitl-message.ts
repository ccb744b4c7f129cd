import type { InlineKeyboardButton, InlineKeyboardMarkup } from "grammy/types";
import type { AllowedPressers } from "../updates/press-replies.js";
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

/** Whether exactly one person may vote (one allowed user id or username): only then is a shared keyboard theirs. */
export function soleVoter(allowed: AllowedPressers): boolean {
  return (
    (allowed.allowed_usernames ?? []).length +
      (allowed.allowed_user_ids ?? []).length ===
    1
  );
}

/**
 * The request's keyboard: one button per option (wrapped into rows) and, past a quorum of one, how many chose each;
 * for `multiple`, a submit button on its own row, and a ✓ on the options toggled only when `allowed` names a sole
 * voter (everyone sees the same keyboard, so several people's ✓ would mix; the toast tells each their own).
 */
export function requestKeyboard(
  view: RequestView,
  nonce: string,
  votes: Votes,
  allowed: AllowedPressers = {},
): InlineKeyboardMarkup {
  const counts = tally(view.options, votes);
  const marked = new Set(
    view.multiple && soleVoter(allowed)
      ? Object.values(votes).flatMap((v) => v.draft)
      : [],
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
  // Telegram's limit counts the text as shown. The subject keeps at most a quarter, the tally (99 long options
  // make it longer than the limit) what is left of the rest, and the body gives way first.
  const subject = cut(view.subject, MAX_TEXT / 4);
  const shownTail = cut(tail, MAX_TEXT - [...subject].length - 4);
  const room = MAX_TEXT - [...subject].length - [...shownTail].length - 4;
  const body = cut(view.body ?? "", room);
  const head = `<b>${escapeHtml(subject)}</b>`;
  const end = shownTail ? `\n\n${escapeHtml(shownTail)}` : "";
  return `${head}${body ? `\n\n${escapeHtml(body)}` : ""}${end}`;
}

/** The text cut to at most `max` characters (as Telegram counts them), ending with … when cut. */
function cut(text: string, max: number): string {
  const chars = [...text];
  if (chars.length <= max) return text;
  return max <= 0 ? "" : `${chars.slice(0, max - 1).join("")}…`;
}
