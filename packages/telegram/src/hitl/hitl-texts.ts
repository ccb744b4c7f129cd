import type { HITLDecision } from "@poekhali/core";

/** The languages the bot speaks to people in. */
export type HitlLanguage = "ru" | "en";

/** A person's language from Telegram's `language_code`: Russian when it starts with "ru", else English. */
export function languageOf(code: string | null | undefined): HitlLanguage {
  return code?.toLowerCase().startsWith("ru") ? "ru" : "en";
}

const list = (options: readonly string[]) => options.join(", ");

/** Every text the `telegram_hitl` object shows, per language: toasts in the presser's, the request in the channel's. */
export const HITL_TEXTS = {
  ru: {
    counted: (options: readonly string[]) => `Ваш голос: ${list(options)}`,
    repeated: (options: readonly string[]) =>
      `Вы уже выбрали: ${list(options)}`,
    toggled: (options: readonly string[]) =>
      options.length === 0
        ? "Ничего не выбрано"
        : `Выбрано: ${list(options)}. Нажмите «Готово»`,
    submitEmpty: "Сначала выберите вариант",
    taken: (options: readonly string[]) => `Принято: ${list(options)}`,
    notForYou: "Этот запрос не для вас",
    late: "Время ответа истекло",
    stale: "Эта кнопка больше не работает",
    notReady: "Запрос ещё не готов: нажмите чуть позже",
    refused: "Ответ не принят",
    submit: "Готово",
    tally: (quorum: number) => `Голоса (нужно ${quorum})`,
    decided: "✅ Решено",
    by: "—",
    where: { telegram: "в Telegram", api: "в веб-интерфейсе" } as Record<
      string,
      string
    >,
    defaults: (options: readonly string[]) =>
      `⏱ Время вышло, выбрано по умолчанию: ${list(options)}`,
    closed: {
      timeout: "⏱ Время вышло, ответа нет",
      cancelled: "✖ Запуск отменён",
      failed: "✖ Задача завершилась с ошибкой",
    },
  },
  en: {
    counted: (options: readonly string[]) => `Your vote: ${list(options)}`,
    repeated: (options: readonly string[]) =>
      `You already chose: ${list(options)}`,
    toggled: (options: readonly string[]) =>
      options.length === 0
        ? "Nothing selected"
        : `Selected: ${list(options)}. Press Submit`,
    submitEmpty: "Choose an option first",
    taken: (options: readonly string[]) => `Taken: ${list(options)}`,
    notForYou: "This request is not for you",
    late: "The time to answer is over",
    stale: "This button no longer works",
    notReady: "The request is not ready yet: press again in a moment",
    refused: "The answer was not taken",
    submit: "Submit",
    tally: (quorum: number) => `Votes (${quorum} needed)`,
    decided: "✅ Decided",
    by: "by",
    where: { telegram: "in Telegram", api: "on the web" } as Record<
      string,
      string
    >,
    defaults: (options: readonly string[]) =>
      `⏱ Timed out, the defaults apply: ${list(options)}`,
    closed: {
      timeout: "⏱ Timed out without an answer",
      cancelled: "✖ The run was cancelled",
      failed: "✖ The task failed",
    },
  },
} as const;

/**
 * One line saying what became of a request: what was decided, by whom and where (Telegram, the web), or that the
 * timeout applied the defaults, or why it closed without an answer.
 */
export function decisionLine(
  language: HitlLanguage,
  decision: Pick<HITLDecision, "response" | "closed">,
): string {
  const t = HITL_TEXTS[language];
  const { response } = decision;
  if (!response) return t.closed[decision.closed ?? "failed"];
  if (response.timedout || response.channel === "timeout")
    return t.defaults(response.chosen_options);
  const who = response.responded_by_user?.name;
  const where = t.where[response.channel] ?? response.channel;
  return `${t.decided}: ${list(response.chosen_options)}${who ? ` ${t.by} ${who}` : ""} ${where}`;
}
