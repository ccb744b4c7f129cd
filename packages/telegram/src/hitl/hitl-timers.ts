import * as restate from "@restatedev/restate-sdk";
import { toMillis, type HITLOpen } from "@poekhali/core";
import type { TelegramHook } from "../hooks/telegram-hook.js";
import { TELEGRAM_HITL_NAME } from "./hitl-callback.js";
import {
  durationText,
  escalationText,
  html,
  reminderText,
  type ReminderWho,
} from "./prompt-texts.js";
import type { TelegramChannelSettings } from "./telegram-channel.js";

/** The handlers of the `telegram_hitl` object that the timers call back, after their delay. */
export const REMIND_HANDLER = "remind";
export const ESCALATE_HANDLER = "escalate";

/** What a reminder or an escalation carries to its handler: enough to word it without reading the request again. */
export interface HitlTimer {
  readonly dag_id: string;
  readonly run_id: string;
  readonly task_id: string;
  readonly trigger_id: string;
  readonly subject: string;
  readonly chat_id: string;
  /** The request's message: a reminder replies to it. */
  readonly message_id: number;
  /** When the request was stored (ISO 8601): how long it has waited counts from it. */
  readonly created_at: string;
  readonly deadline: string | null;
  readonly language: "ru" | "en";
  readonly allowed_usernames: string[];
  readonly allowed_user_ids: number[];
  readonly escalate_chat_id: string | null;
}

/** What the timers need to know of the request when they fire: whether it still waits, and who has answered. */
export interface TimerView {
  /** False once the request is decided (in the chat, on the web, by the timeout) or closed. */
  readonly waiting: boolean;
  /** The people whose choice is counted so far. */
  readonly answered: readonly {
    readonly id: number;
    readonly username?: string | null;
  }[];
}

/**
 * Checks a channel's timer settings when the task parks: durations Restate can wait, and an escalation chat for an
 * escalation. Throws an Error naming the setting.
 */
export function checkTimerSettings(settings: TelegramChannelSettings): void {
  for (const key of ["remind_after", "escalate_after"] as const) {
    const value = settings[key];
    if (value === null) continue;
    try {
      toMillis(value);
    } catch (error) {
      throw new Error(
        `the Telegram channel's ${key} ${JSON.stringify(value)} is no duration: ${(error as Error).message}`,
      );
    }
  }
  if (settings.escalate_after !== null && !settings.escalate_chat_id)
    throw new Error(
      "the Telegram channel's escalate_after needs escalate_chat_id: the chat to escalate to",
    );
}

/**
 * Schedules the request's reminder and escalation as delayed calls of this `telegram_hitl` key (durable timers in
 * Restate: they survive restarts of the worker and of Restate), counted from when the request was stored. Called
 * once, by `open`, after the request's message is posted.
 */
export function scheduleTimers(
  ctx: restate.ObjectContext,
  open: HITLOpen,
  where: { readonly chat_id: string; readonly message_id: number },
  now: number,
): void {
  const settings = open.settings as unknown as TelegramChannelSettings;
  const { request } = open;
  const timer: HitlTimer = {
    dag_id: open.dag_id,
    run_id: open.run_id,
    task_id: request.task_id,
    trigger_id: request.trigger_id,
    subject: request.subject,
    chat_id: where.chat_id,
    message_id: where.message_id,
    created_at: open.created_at,
    deadline: request.deadline,
    language: settings.language,
    allowed_usernames: settings.allowed_usernames,
    allowed_user_ids: settings.allowed_user_ids,
    escalate_chat_id: settings.escalate_chat_id,
  };
  const at = (after: NonNullable<TelegramChannelSettings["remind_after"]>) =>
    Math.max(0, Date.parse(open.created_at) + toMillis(after) - now);
  if (settings.remind_after !== null)
    later(ctx, REMIND_HANDLER, timer, at(settings.remind_after));
  if (settings.escalate_after !== null && settings.escalate_chat_id)
    later(ctx, ESCALATE_HANDLER, timer, at(settings.escalate_after));
}

function later(
  ctx: restate.ObjectContext,
  method: string,
  timer: HitlTimer,
  delay: number,
): void {
  ctx.genericSend({
    service: TELEGRAM_HITL_NAME,
    method,
    key: ctx.key,
    parameter: timer,
    delay,
    inputSerde: restate.serde.json,
  });
}

/** Whether a timer should still speak: the request waits, and its deadline has not passed. */
function due(timer: HitlTimer, view: TimerView, now: number): boolean {
  return (
    view.waiting &&
    (timer.deadline === null || now < Date.parse(timer.deadline))
  );
}

/**
 * The reminder: a reply to the request naming the allowed people who have not answered yet, or, when anyone may
 * answer, saying that nobody has (or how many have). Nothing once the request is decided or closed.
 */
export async function remind(
  ctx: restate.ObjectContext,
  hook: TelegramHook,
  timer: HitlTimer,
  view: TimerView,
): Promise<void> {
  if (!due(timer, view, await ctx.date.now())) return;
  const text = reminderText(pendingPeople(timer, view), timer.language);
  await ctx.run("remind who has not answered", async () => {
    await hook.sendMessage({
      chatId: timer.chat_id,
      text,
      parseMode: "HTML",
      replyToMessageId: timer.message_id,
    });
  });
}

/** Whom to remind: the allowed people who have not answered, as mentions, or (anyone may answer) how many have. */
function pendingPeople(timer: HitlTimer, view: TimerView): ReminderWho {
  const usernames = timer.allowed_usernames.map((u) =>
    u.replace(/^@/, "").toLowerCase(),
  );
  const anyone = usernames.length === 0 && timer.allowed_user_ids.length === 0;
  if (anyone)
    return view.answered.length === 0
      ? { nobody: true }
      : { answered: view.answered.length };
  const answeredNames = new Set(
    view.answered.map((a) => a.username?.toLowerCase()).filter(Boolean),
  );
  const answeredIds = new Set(view.answered.map((a) => a.id));
  const pending = [
    ...timer.allowed_usernames
      .filter((_, i) => !answeredNames.has(usernames[i]))
      .map((u) => `@${html(u.replace(/^@/, ""))}`),
    ...timer.allowed_user_ids
      .filter((id) => !answeredIds.has(id))
      .map((id) => `<a href="tg://user?id=${id}">${id}</a>`),
  ];
  return { pending };
}

/**
 * The escalation: a message to the escalation chat naming the request, the chat it waits in and how long it has
 * waited. Nothing once the request is decided or closed.
 */
export async function escalate(
  ctx: restate.ObjectContext,
  hook: TelegramHook,
  timer: HitlTimer,
  view: TimerView,
): Promise<void> {
  const now = await ctx.date.now();
  if (!due(timer, view, now) || !timer.escalate_chat_id) return;
  const escalateTo = timer.escalate_chat_id;
  const chat = await ctx.run("read the request's chat title", async () => {
    try {
      const info = await hook.getChat(timer.chat_id);
      return "title" in info && info.title ? info.title : timer.chat_id;
    } catch {
      // The chat's name is a courtesy: without it the escalation names the chat's id.
      return timer.chat_id;
    }
  });
  const text = escalationText(
    {
      subject: timer.subject,
      chat,
      waited: durationText(now - Date.parse(timer.created_at), timer.language),
      dag_id: timer.dag_id,
      run_id: timer.run_id,
      task_id: timer.task_id,
      link: messageLink(timer.chat_id, timer.message_id),
    },
    timer.language,
  );
  await ctx.run("escalate the request", async () => {
    await hook.sendMessage({ chatId: escalateTo, text, parseMode: "HTML" });
  });
}

/** A link to a message of a supergroup (`https://t.me/c/…`), which its members can open; null for other chats. */
function messageLink(chatId: string, messageId: number): string | null {
  const match = /^-100(\d+)$/.exec(chatId);
  return match ? `https://t.me/c/${match[1]}/${messageId}` : null;
}
