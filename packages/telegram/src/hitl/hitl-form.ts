import type * as restate from "@restatedev/restate-sdk";
import {
  AIRFLOW_HITL,
  EVENT_LOG,
  EVENT_LOG_KEY,
  hitlObjectKey,
  isAssigned,
  type HITLUser,
  type Json,
} from "@poekhali/core";
import { TelegramError } from "../errors.js";
import type { SendMessage, TelegramHook } from "../hooks/telegram-hook.js";
import { chatKey, MESSAGES_NAME } from "../updates/message-event.js";
import type {
  TelegramMessages,
  WatchedMessage,
} from "../updates/message-watch.js";
import type { PressEvent } from "../updates/press.js";
import { fieldValue, keptValue } from "./form-value.js";
import { TELEGRAM_HITL_NAME } from "./hitl-callback.js";
import type { KeptDecision, PostedRequest } from "./hitl-state.js";
import { decisionLine, type HitlLanguage } from "./hitl-texts.js";
import {
  fieldPromptText,
  formFailedText,
  formMootText,
  formPendingText,
  formStartedText,
  invalidReplyText,
  mention,
  placeholderText,
} from "./prompt-texts.js";

const Messages: TelegramMessages = { name: MESSAGES_NAME };

/** The state key of a form in progress in a `telegram_hitl` key. */
const FORM = "form";

/** A decided choice whose request has form fields to fill before it is answered. */
export interface FormStart {
  readonly request: PostedRequest;
  /** The press that decided: its presser is the one asked for the fields. */
  readonly press: PressEvent;
  readonly chosen: string[];
  readonly user: HITLUser;
  /** The presser's language, for the prompts. */
  readonly language: HitlLanguage;
}

/** A form in progress (state `form`): who answers, what they chose, which field is asked, the values so far. */
export interface FormState {
  readonly chosen: string[];
  readonly user: HITLUser;
  readonly decider: PressEvent["from"];
  readonly language: HitlLanguage;
  /** The field asked now (an index into the request's params, in their order). */
  readonly index: number;
  readonly values: Record<string, Json>;
  /** The prompt a reply must answer, and the `telegram_messages` watch waiting for it. */
  readonly prompt_id: number;
  readonly watch: string;
}

/**
 * Sends the answer to `airflow_hitl` with the form's values; resolves with what the decider is told (taken, or what
 * was decided elsewhere meanwhile).
 */
export type ConcludeAnswer = (
  request: PostedRequest,
  form: FormState,
  paramsInput: Record<string, Json>,
) => Promise<string>;

/** Whether a form is in progress here: the request is decided in the chat, its answer waits for the fields. */
export async function formInProgress(
  ctx: restate.ObjectContext,
): Promise<boolean> {
  return Boolean(await ctx.get<FormState>(FORM));
}

/** What a press is told while a form is in progress here (a choice won, its decider fills in the fields), or null. */
export async function formPendingFor(
  ctx: restate.ObjectContext,
  language: HitlLanguage,
): Promise<string | null> {
  const running = await ctx.get<FormState>(FORM);
  return running
    ? formPendingText(running.chosen, running.user.name, language)
    : null;
}

/**
 * Where a request with `params` goes once a choice wins, instead of being answered at once: asks the decider for
 * the first field as a reply to the request (a selective ForceReply mentioning them); {@link takeFormReply} takes
 * the replies and answers once every field is in. Resolves with the toast for the deciding press. A second win
 * while a form runs keeps the first decider's form. When the answer could not be taken anyway (the decider is not
 * one of the task's assigned users, or the request no longer waits), nobody is asked: `answerNow` answers at once
 * and says why it was refused.
 */
export async function startFormFlow(
  ctx: restate.ObjectContext,
  hookFor: (botId: number) => TelegramHook,
  start: FormStart,
  answerNow: (paramsInput: Record<string, Json>) => Promise<string>,
): Promise<string> {
  const running = await ctx.get<FormState>(FORM);
  if (running)
    return formPendingText(running.chosen, running.user.name, start.language);
  const { request } = start;
  const entry = await ctx
    .objectClient(AIRFLOW_HITL, hitlObjectKey(request.dag_id, request.run_id))
    .entry({ task_id: request.task_id });
  if (
    entry?.request.trigger_id !== request.trigger_id ||
    entry.response ||
    entry.closed ||
    !isAssigned(entry.request, start.user)
  )
    return answerNow({});
  const form = {
    chosen: start.chosen,
    user: start.user,
    decider: start.press.from,
    language: start.language,
    index: 0,
    values: {},
  };
  const failed = await ask(ctx, hookFor(start.request.bot_id), request, form);
  return failed ?? formStartedText(form.chosen, form.user.name, start.language);
}

/**
 * Asks the form's current field (after `before`, a word on the last reply) and waits for the decider's reply.
 * Resolves with null, or, when Telegram refuses the prompt for good (the bot left the chat), with why: the form is
 * then over (state and watch gone) and the request stays open, as Airflow leaves a request nobody answered, for
 * another press, the web or the timeout; its fields are never half-sent as an answer.
 */
async function ask(
  ctx: restate.ObjectContext,
  hook: TelegramHook,
  request: PostedRequest,
  form: Omit<FormState, "prompt_id" | "watch"> & { readonly watch?: string },
  before?: string,
): Promise<string | null> {
  const fields = Object.keys(request.params);
  const name = fields[form.index] ?? "";
  const param = request.params[name];
  const question = fieldPromptText(
    {
      who: mention(form.decider),
      name,
      description: param?.description ?? null,
      index: form.index + 1,
      count: fields.length,
      schema: param?.schema ?? {},
      current: param ? keptValue(param) : undefined,
    },
    form.language,
  );
  const text = before ? `${before}\n${question}` : question;
  const sent = await ctx.run(`ask for form field «${name}»`, async () => {
    try {
      const sent = await hook.sendMessage({
        chatId: request.chat_id,
        text,
        parseMode: "HTML",
        replyToMessageId: request.message_id,
        replyMarkup: {
          force_reply: true,
          selective: true,
          input_field_placeholder: placeholderText(name, form.language),
        },
      });
      return { id: sent.message_id, refused: null };
    } catch (error) {
      // Telegram refusing the prompt for good is not retried forever, nor left to hold the form's place.
      if (error instanceof TelegramError && !error.retryable)
        return { id: 0, refused: error.message };
      throw error;
    }
  });
  if (sent.refused !== null) {
    ctx.clear(FORM);
    if (form.watch)
      ctx
        .objectSendClient(Messages, chatKey(request.bot_id, request.chat_id))
        .unwatch(form.watch);
    return formFailedText(name, sent.refused, form.language);
  }
  const promptId = sent.id;
  const watch = `${ctx.key}:form:${promptId}`;
  const now = await ctx.date.now();
  const left =
    request.deadline === null ? null : Date.parse(request.deadline) - now;
  ctx.set<FormState>(FORM, { ...form, prompt_id: promptId, watch });
  ctx
    .objectSendClient(Messages, chatKey(request.bot_id, request.chat_id))
    .watch({
      trigger_id: watch,
      // Only the decider's reply to this very prompt; one that beat the watch here is kept and matched on arrival.
      match: {
        reply_to_message_id: promptId,
        after_message_id: promptId,
        from_user_ids: [form.decider.id],
      },
      timeout_ms: left === null ? null : Math.max(1_000, left),
      deliver_to: {
        service: TELEGRAM_HITL_NAME,
        handler: "reply",
        key: ctx.key,
      },
    });
  return null;
}

/**
 * A reply the form waited for: read by the field's schema, then the next field is asked, or, on a bad value, the
 * same one again with the reason; once every field is in, `conclude` answers with `params_input` and the decider is
 * told how that went. A reply to an earlier prompt, or after the form ended, changes nothing. Each reply taken is
 * one event-log entry (`hitl.reply.accepted` / `hitl.reply.invalid`).
 */
export async function takeFormReply(
  ctx: restate.ObjectContext,
  hookFor: (botId: number) => TelegramHook,
  watched: WatchedMessage,
  conclude: ConcludeAnswer,
): Promise<void> {
  const form = await ctx.get<FormState>(FORM);
  const request = await ctx.get<PostedRequest>("request");
  const { message } = watched;
  if (
    !form ||
    !request ||
    form.watch !== watched.trigger_id ||
    message.user_id !== form.decider.id ||
    message.reply_to_message_id !== form.prompt_id
  )
    return;
  const hook = hookFor(request.bot_id);
  const fields = Object.keys(request.params);
  const name = fields[form.index] ?? "";
  const param = request.params[name];
  const kept = param ? keptValue(param) : undefined;
  const read =
    message.text.trim() === "-" && kept !== undefined
      ? { ok: true as const, value: kept }
      : fieldValue(message.text, param?.schema ?? {}, form.language);
  record(ctx, request, form, watched, name, read.ok ? "accepted" : "invalid");
  const next =
    read.ok && form.index + 1 >= fields.length
      ? null
      : await ask(
          ctx,
          hook,
          request,
          read.ok
            ? {
                ...form,
                index: form.index + 1,
                values: { ...form.values, [name]: read.value },
              }
            : form,
          read.ok ? undefined : invalidReplyText(read.why, form.language),
        );
  if (!read.ok || form.index + 1 < fields.length) {
    // The prompt was refused for good: the form is over, and the decider is told why (if Telegram lets us).
    if (next !== null)
      await courtesy(ctx, hook, "tell the decider the form stopped", {
        chatId: request.chat_id,
        text: next,
        replyToMessageId: message.message_id,
      });
    return;
  }
  const values = { ...form.values, [name]: read.value };
  ctx.clear(FORM);
  const told = await conclude(request, form, values);
  await courtesy(ctx, hook, "tell the decider the answer", {
    chatId: request.chat_id,
    text: told,
    replyToMessageId: message.message_id,
  });
}

/** A message that is a courtesy to the decider: Telegram refusing it for good changes nothing else. */
async function courtesy(
  ctx: restate.ObjectContext,
  hook: TelegramHook,
  step: string,
  message: SendMessage,
): Promise<void> {
  await ctx.run(step, async () => {
    try {
      await hook.sendMessage(message);
    } catch (error) {
      if (!(error instanceof TelegramError) || error.retryable) throw error;
    }
  });
}

/**
 * Ends a form in progress because the request was decided or closed another way (the web answered first, the
 * timeout applied the defaults, the run was cancelled): its watch goes, and the decider is told no answer is needed,
 * and what became of the request.
 */
export async function endForm(
  ctx: restate.ObjectContext,
  hookFor: (botId: number) => TelegramHook,
  decision: KeptDecision,
): Promise<void> {
  const form = await ctx.get<FormState>(FORM);
  const request = await ctx.get<PostedRequest>("request");
  if (!form || !request) return;
  const hook = hookFor(request.bot_id);
  ctx.clear(FORM);
  ctx
    .objectSendClient(Messages, chatKey(request.bot_id, request.chat_id))
    .unwatch(form.watch);
  await courtesy(ctx, hook, "tell the decider the form is moot", {
    chatId: request.chat_id,
    text: `${formMootText(form.language)}\n${decisionLine(form.language, decision)}`,
    replyToMessageId: form.prompt_id,
  });
}

/** One event-log entry for a reply: the field, and the message it was given in. */
function record(
  ctx: restate.ObjectContext,
  request: PostedRequest,
  form: FormState,
  watched: WatchedMessage,
  field: string,
  outcome: "accepted" | "invalid",
): void {
  const { message } = watched;
  ctx.objectSendClient(EVENT_LOG, EVENT_LOG_KEY).record({
    when: message.received_at,
    event: `hitl.reply.${outcome}`,
    owner: message.username ?? message.first_name,
    dag_id: request.dag_id,
    run_id: request.run_id,
    task_id: request.task_id,
    map_index: -1,
    try_number: request.try_number,
    logical_date: null,
    extra: JSON.stringify({
      option: form.chosen.length === 1 ? form.chosen[0] : form.chosen,
      chosen: form.chosen,
      chat_id: request.chat_id,
      message_id: request.message_id,
      user_id: message.user_id,
      update_id: message.update_id,
      field,
      reply_message_id: message.message_id,
    }),
  });
}
