import type { Json } from "@poekhali/core";
import { escapeHtml } from "./hitl-message.js";
import type { HitlLanguage } from "./hitl-texts.js";

/** Text made safe for Telegram's HTML parse mode. */
const html = escapeHtml;

/** A person as the bot names them: by @username, else a mention by id (which also targets a selective ForceReply). */
export function mention(user: {
  readonly id: number;
  readonly username?: string | null;
  readonly first_name: string;
}): string {
  return user.username
    ? `@${html(user.username)}`
    : `<a href="tg://user?id=${user.id}">${html(user.first_name || String(user.id))}</a>`;
}

/** A field's question: what it is, what it takes, how to answer. */
export interface FieldPrompt {
  /** The decider, as {@link mention} writes them. */
  readonly who: string;
  readonly name: string;
  readonly description: string | null;
  /** Which field this is (1-based), of how many. */
  readonly index: number;
  readonly count: number;
  readonly schema: Readonly<Record<string, Json>>;
  /** The pre-filled value, kept on «-»; undefined when there is none. */
  readonly current: Json | undefined;
}

function hint(schema: Readonly<Record<string, Json>>, language: HitlLanguage) {
  const ru = language === "ru";
  if (Array.isArray(schema.enum))
    return `${ru ? "одно из" : "one of"}: ${schema.enum.map((v) => (typeof v === "string" ? v : JSON.stringify(v))).join(", ")}`;
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case "integer":
      return ru ? "целое число" : "a whole number";
    case "number":
      return ru ? "число" : "a number";
    case "boolean":
      return ru ? "да или нет" : "yes or no";
    case "array":
      return ru ? "список через запятую" : "a list, separated by commas";
    case "object":
      return ru ? "объект JSON" : "a JSON object";
    default:
      return ru ? "текст" : "text";
  }
}

/** Asks the decider for one form field, as a reply to the request (HTML). */
export function fieldPromptText(
  prompt: FieldPrompt,
  language: HitlLanguage,
): string {
  const ru = language === "ru";
  const head = `${prompt.who}, <b>${html(prompt.name)}</b> (${prompt.index}/${prompt.count})`;
  const lines = [
    prompt.description ? `${head}: ${html(prompt.description)}` : head,
    `${ru ? "Ответ" : "Answer"}: ${html(hint(prompt.schema, language))}.`,
  ];
  if (prompt.current !== undefined)
    lines.push(
      ru
        ? `Сейчас: <code>${html(JSON.stringify(prompt.current))}</code>; ответьте «-», чтобы оставить.`
        : `Now: <code>${html(JSON.stringify(prompt.current))}</code>; reply «-» to keep it.`,
    );
  lines.push(ru ? "Ответьте на это сообщение." : "Reply to this message.");
  return lines.join("\n");
}

/** The deciding press's toast when fields follow: the choice is taken, the answers are asked in the chat. */
export function formStartedText(
  chosen: readonly string[],
  who: string,
  language: HitlLanguage,
): string {
  const text =
    language === "ru"
      ? `Выбрано: ${chosen.join(", ")}. ${who}, ответьте в чате на вопросы формы`
      : `Chosen: ${chosen.join(", ")}. ${who}, answer the form's questions in the chat`;
  return [...text].slice(0, 200).join("");
}

/** The toast of a press that would decide while another person's form is under way: that decision stands. */
export function formPendingText(
  chosen: readonly string[],
  who: string,
  language: HitlLanguage,
): string {
  const text =
    language === "ru"
      ? `Уже решено: ${chosen.join(", ")}; ${who} заполняет форму`
      : `Already decided: ${chosen.join(", ")}; ${who} is filling in the form`;
  return [...text].slice(0, 200).join("");
}

/**
 * Why the form stopped before it was filled in: Telegram refused to ask a field for good (the bot may not write to
 * the chat). The request stays open: another press, the web or the timeout decides it.
 */
export function formFailedText(
  field: string,
  why: string,
  language: HitlLanguage,
): string {
  const text =
    language === "ru"
      ? `Не удалось спросить «${field}»: ${why}. Запрос открыт — ответьте снова или в веб-интерфейсе`
      : `Could not ask for «${field}»: ${why}. The request stays open: answer again or on the web`;
  return [...text].slice(0, 200).join("");
}

/** Says why a reply was not taken, before the field is asked again (HTML). */
export function invalidReplyText(why: string, language: HitlLanguage): string {
  return language === "ru"
    ? `Не принято: ${html(why)}.`
    : `Not taken: ${html(why)}.`;
}

/** Tells the decider the form is moot (the request was decided or closed another way); the decision follows. */
export function formMootText(language: HitlLanguage): string {
  return language === "ru"
    ? "Отвечать на вопросы формы больше не нужно:"
    : "No need to answer the form any more:";
}

/** The form's input field placeholder (at most 64 characters). */
export function placeholderText(name: string, language: HitlLanguage): string {
  const text = language === "ru" ? `Ответ: ${name}` : `Answer: ${name}`;
  return [...text].slice(0, 64).join("");
}

/** A duration as people read it: "2 h 5 min", "40 s" / "2 ч 5 мин", "40 с". */
export function durationText(ms: number, language: HitlLanguage): string {
  const ru = language === "ru";
  const units: [number, string, string][] = [
    [86_400_000, "d", "д"],
    [3_600_000, "h", "ч"],
    [60_000, "min", "мин"],
    [1_000, "s", "с"],
  ];
  const parts: string[] = [];
  let left = Math.max(0, Math.round(ms / 1000) * 1000);
  for (const [size, en, rus] of units) {
    const count = Math.floor(left / size);
    if (count > 0 && parts.length < 2) parts.push(`${count} ${ru ? rus : en}`);
    left -= count * size;
  }
  return parts.length > 0 ? parts.join(" ") : ru ? "0 с" : "0 s";
}

/** Whom a reminder is about: nobody has answered, some people have (anyone may answer), or these have not. */
export type ReminderWho =
  | { readonly nobody: true }
  | { readonly answered: number }
  | { readonly pending: readonly string[] };

/** A reply to the request reminding who has not answered yet, or that nobody has (HTML). */
export function reminderText(who: ReminderWho, language: HitlLanguage): string {
  const ru = language === "ru";
  if ("nobody" in who)
    return ru
      ? "⏰ Напоминание: на этот запрос ещё никто не ответил."
      : "⏰ Reminder: nobody has answered this request yet.";
  if ("answered" in who)
    return ru
      ? `⏰ Напоминание: ответов пока ${who.answered}, решения ещё нет.`
      : `⏰ Reminder: ${who.answered} answered so far, no decision yet.`;
  if (who.pending.length === 0)
    return ru
      ? "⏰ Напоминание: все ответили, но решения пока нет."
      : "⏰ Reminder: everyone has answered, but there is no decision yet.";
  return ru
    ? `⏰ Напоминание: ${who.pending.join(", ")} — ждём вашего ответа.`
    : `⏰ Reminder: ${who.pending.join(", ")} — waiting for your answer.`;
}

/** What the escalation chat is told: which request, in which chat, waiting how long (HTML). */
export function escalationText(
  what: {
    readonly subject: string;
    readonly chat: string;
    readonly waited: string;
    readonly dag_id: string;
    readonly run_id: string;
    readonly task_id: string;
    readonly link: string | null;
  },
  language: HitlLanguage,
): string {
  const ru = language === "ru";
  const subject = what.link
    ? `<a href="${html(what.link)}">${html(what.subject)}</a>`
    : html(what.subject);
  const where = `${html(what.dag_id)} / ${html(what.run_id)} / ${html(what.task_id)}`;
  return ru
    ? `⚠️ Нет решения по запросу «${subject}» в чате ${html(what.chat)} уже ${what.waited}.\n${where}`
    : `⚠️ No decision on «${subject}» in ${html(what.chat)} after ${what.waited}.\n${where}`;
}
