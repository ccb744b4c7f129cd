import * as restate from "@restatedev/restate-sdk";
import { toMillis, type HITLOpen } from "@poekhali/core";
import { TelegramError } from "../errors.js";
import type { SendMessage, TelegramHook } from "../hooks/telegram-hook.js";
import { TELEGRAM_HITL_NAME } from "./hitl-callback.js";
import { formInProgress } from "./hitl-form.js";
import { escapeHtml } from "./hitl-message.js";
import type { KeptDecision, PostedRequest } from "./hitl-state.js";
import type { Votes } from "./hitl-votes.js";
import {
  durationText,
  escalationText,
  reminderText,
  type ReminderWho,
} from "./prompt-texts.js";
import type { TelegramChannelSettings } from "./telegram-channel.js";

/** What the timers talk to Telegram with, and where they say what Telegram refused. */
export interface TimerBots {
  hookFor(botId: number): TelegramHook;
  readonly log: (message: string) => void;
}

/** What a reminder or an escalation carries to its handler, besides what the key keeps of the request. */
export interface HitlTimer {
  /** The request it was set for: a timer of an earlier request of the key does nothing. */
  readonly trigger_id: string;
  /** Where an escalation goes; null for a reminder. */
  readonly escalate_chat_id: string | null;
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
 * Schedules the request's reminder and escalation as delayed calls of this `telegram_hitl` key — durable timers in
 * Restate, which survive restarts of the worker and of Restate —, counted from when the request was stored. `open`
 * calls it once, after posting the request's message; a request decided before it was posted gets none.
 */
export async function scheduleTimers(
  ctx: restate.ObjectContext,
  open: HITLOpen,
): Promise<void> {
  // Only for a request this key has posted: not one decided before it could be.
  const posted = await ctx.get<PostedRequest>("request");
  if (posted?.trigger_id !== open.request.trigger_id) return;
  const settings = open.settings as unknown as TelegramChannelSettings;
  const now = await ctx.date.now();
  const delay = (after: string | number) =>
    Math.max(0, Date.parse(open.created_at) + toMillis(after) - now);
  const later = (method: "remind" | "escalate", timer: HitlTimer, ms: number) =>
    ctx.genericSend({
      service: TELEGRAM_HITL_NAME,
      method,
      key: ctx.key,
      parameter: timer,
      delay: ms,
      inputSerde: restate.serde.json,
    });
  const { trigger_id } = open.request;
  if (settings.remind_after !== null)
    later(
      "remind",
      { trigger_id, escalate_chat_id: null },
      delay(settings.remind_after),
    );
  if (settings.escalate_after !== null && settings.escalate_chat_id)
    later(
      "escalate",
      { trigger_id, escalate_chat_id: settings.escalate_chat_id },
      delay(settings.escalate_after),
    );
}

/** The request a timer speaks of, when it still waits for people: not decided (nor in its form), not past its deadline. */
async function stillWaiting(
  ctx: restate.ObjectContext,
  timer: HitlTimer,
): Promise<PostedRequest | null> {
  const request = await ctx.get<PostedRequest>("request");
  if (!request || request.trigger_id !== timer.trigger_id) return null;
  if (await ctx.get<KeptDecision>("decision")) return null;
  if (await formInProgress(ctx)) return null;
  const now = await ctx.date.now();
  if (request.deadline !== null && now >= Date.parse(request.deadline))
    return null;
  return request;
}

/**
 * The reminder: a reply to the request naming the allowed people who have not answered yet, or, when anyone may
 * answer, saying that nobody has (or how many have), in the channel's language. Nothing once the request is decided
 * or closed.
 */
export async function remind(
  ctx: restate.ObjectContext,
  bots: TimerBots,
  timer: HitlTimer,
): Promise<void> {
  const request = await stillWaiting(ctx, timer);
  if (!request) return;
  const votes = (await ctx.get<Votes>("votes")) ?? {};
  const text = reminderText(whom(request, votes), request.view.language);
  const hook = bots.hookFor(request.bot_id);
  const refused = await ctx.run("remind who has not answered", () =>
    sendOnce(hook, {
      chatId: request.chat_id,
      text,
      parseMode: "HTML",
      replyToMessageId: request.message_id,
    }),
  );
  if (refused) bots.log(`no reminder for ${ctx.key}: ${refused}`);
}

/** Whom to remind: the allowed people who have not answered, as mentions, or (anyone may answer) how many have. */
function whom(request: PostedRequest, votes: Votes): ReminderWho {
  const answered = Object.values(votes).filter((v) => v.choice !== null);
  const names = request.allowed.allowed_usernames ?? [];
  const ids = request.allowed.allowed_user_ids ?? [];
  if (names.length === 0 && ids.length === 0)
    return answered.length === 0
      ? { nobody: true }
      : { answered: answered.length };
  // A voter's name is their username when they have one (else their first name, which no username list holds).
  const answeredNames = new Set(answered.map((v) => v.name.toLowerCase()));
  const answeredIds = new Set(answered.map((v) => v.user_id));
  const pending = [
    ...names
      .map((u) => u.replace(/^@/, ""))
      .filter((u) => !answeredNames.has(u.toLowerCase()))
      .map((u) => `@${escapeHtml(u)}`),
    ...ids
      .filter((id) => !answeredIds.has(id))
      .map((id) => `<a href="tg://user?id=${id}">${id}</a>`),
  ];
  return { pending };
}

/**
 * The escalation: a message to the escalation chat naming the request, the chat it waits in and how long it has
 * waited, in the channel's language. Nothing once the request is decided or closed.
 */
export async function escalate(
  ctx: restate.ObjectContext,
  bots: TimerBots,
  timer: HitlTimer,
): Promise<void> {
  const request = await stillWaiting(ctx, timer);
  const escalateTo = timer.escalate_chat_id;
  if (!request || !escalateTo) return;
  const hook = bots.hookFor(request.bot_id);
  const chat = await ctx.run("read the request's chat title", async () => {
    try {
      const info = await hook.getChat(request.chat_id);
      return "title" in info && info.title ? info.title : request.chat_id;
    } catch {
      // The chat's name is a courtesy: without it the escalation names the chat's id.
      return request.chat_id;
    }
  });
  const language = request.view.language;
  const now = await ctx.date.now();
  const text = escalationText(
    {
      subject: request.view.subject,
      chat,
      waited: durationText(now - Date.parse(request.created_at), language),
      dag_id: request.dag_id,
      run_id: request.run_id,
      task_id: request.task_id,
      link: messageLink(request.chat_id, request.message_id),
    },
    language,
  );
  const refused = await ctx.run("escalate the request", () =>
    sendOnce(hook, { chatId: escalateTo, text, parseMode: "HTML" }),
  );
  if (refused)
    bots.log(`no escalation of ${ctx.key} to chat ${escalateTo}: ${refused}`);
}

/**
 * Sends a timer's message; Telegram refusing it for good (the escalation chat does not exist, the bot was removed)
 * is an outcome, not a failure to retry until the end of time: the step records it and the timer is done.
 */
async function sendOnce(
  hook: TelegramHook,
  message: SendMessage,
): Promise<string | null> {
  try {
    await hook.sendMessage(message);
    return null;
  } catch (error) {
    if (error instanceof TelegramError && !error.retryable)
      return error.message;
    throw error;
  }
}

/** A link to a message of a supergroup (`https://t.me/c/…`), which its members can open; null for other chats. */
function messageLink(chatId: string, messageId: number): string | null {
  const match = /^-100(\d+)$/.exec(chatId);
  return match ? `https://t.me/c/${match[1]}/${messageId}` : null;
}
