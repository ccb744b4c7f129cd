import type { TelegramHook } from "../hooks/telegram-hook.js";
import { buttonKey, buttonRef } from "../updates/press.js";

/** The Restate name of the object that puts a HITL request to a Telegram chat and counts its presses. */
export const TELEGRAM_HITL_NAME = "telegram_hitl";

const PREFIX = "ph:";

/**
 * A request's secret in its buttons' callback_data: derived from the try's `trigger_id` and signed with the bot's
 * token, so the channel and the `telegram_hitl` object both work it out without keeping it anywhere, and each try
 * (and each clear) of a task gets buttons of its own.
 */
export function hitlNonce(
  hook: Pick<TelegramHook, "sign">,
  triggerId: string,
): string {
  return hook.sign("hitl", triggerId).slice(0, 24);
}

/** The `telegram_hitl` key of a request: bot, chat and the public name of its nonce (as the router's keys are). */
export function hitlKey(botId: number, chatId: string, nonce: string): string {
  return buttonKey(botId, chatId, buttonRef(nonce));
}

/** What a button of a request carries: the nonce and the option's index, or `s` for a multiple choice's submit. */
export function hitlCallbackData(nonce: string, button: number | "s"): string {
  return `${PREFIX}${nonce}:${button}`;
}

/** The nonce and button of a request's callback_data, or null when it is not a request's button. */
export function parseHitlCallbackData(
  data: string | null | undefined,
): { nonce: string; button: number | "s" } | null {
  const match = /^ph:([A-Za-z0-9_-]{1,40}):(s|\d{1,3})$/.exec(data ?? "");
  if (!match?.[1] || !match[2]) return null;
  return {
    nonce: match[1],
    button: match[2] === "s" ? "s" : Number(match[2]),
  };
}
