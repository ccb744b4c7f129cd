import type { TelegramTally } from "../api/telegram-tallies.js";
import { esc } from "./layout.js";

/** A request's vote tally in a Telegram chat, and the rule that decides it. */
export function tallyText(t: TelegramTally): string {
  const counts = Object.entries(t.counts)
    .map(([option, n]) => `${esc(option)} <b>${n}</b>`)
    .join(" · ");
  const rule =
    t.quorum > 1
      ? `${t.quorum} people making the same choice decide`
      : "the first choice decides";
  const veto = t.veto.length
    ? `; ${t.veto.map((v) => esc(v)).join(", ")} decides alone (veto)`
    : "";
  const voters = t.voters.length
    ? ` May vote there: ${t.voters.map((v) => esc(v)).join(", ")}.`
    : "";
  return `<p class="tally">In Telegram (chat <code>${esc(t.chat_id)}</code>, message ${t.message_id}): ${counts}. ${rule}${veto}.${voters}</p>`;
}
