import type * as restate from "@restatedev/restate-sdk";
import {
  AIRFLOW_HITL,
  EVENT_LOG,
  EVENT_LOG_KEY,
  hitlObjectKey,
  type HITLOpen,
  type HITLParam,
  type Json,
} from "@poekhali/core";
import type { TelegramHook } from "../hooks/telegram-hook.js";
import { chatKey, MESSAGES_NAME } from "../updates/message-event.js";
import type {
  TelegramMessages,
  WatchedMessage,
} from "../updates/message-watch.js";
import { fieldValue, keptValue } from "./form-value.js";
import { TELEGRAM_HITL_NAME } from "./hitl-callback.js";
import {
  fieldPromptText,
  formMootText,
  invalidReplyText,
  languageOf,
  mention,
  placeholderText,
} from "./prompt-texts.js";

const Messages: TelegramMessages = { name: MESSAGES_NAME };

/** The state key of a form in progress in a `telegram_hitl` key. */
const FORM = "form";

/** The handler of the `telegram_hitl` object that takes the replies a form waits for. */
export const FORM_REPLY_HANDLER = "reply";

/** The person who decided a request in the chat, as their press named them: the form asks them. */
export interface Decider {
  readonly id: number;
  readonly username?: string;
  readonly first_name: string;
  readonly language_code?: string;
}

/** A form in progress: which request, who answers, which field is asked, the values so far. */
export interface FormState {
  readonly dag_id: string;
  readonly run_id: string;
  readonly task_id: string;
  readonly try_number: number;
  readonly trigger_id: string;
  readonly deadline: string | null;
  readonly chat_id: string;
  /** The request's message: prompts reply to it. */
  readonly message_id: number;
  readonly chosen_options: string[];
  readonly decider: Decider;
  readonly params: Record<string, HITLParam>;
  readonly fields: string[];
  /** The field asked now (an index into `fields`). */
  readonly index: number;
  readonly values: Record<string, Json>;
  /** The prompt a reply must answer, and the `telegram_messages` watch waiting for it. */
  readonly prompt_id: number;
  readonly watch: string;
}

/** What a form starts from: the request as opened, where it lives, what was chosen and by whom. */
export interface FormStart {
  readonly open: HITLOpen;
  readonly chat_id: string;
  readonly message_id: number;
  readonly chosen_options: readonly string[];
  readonly decider: Decider;
}

/** Whether a request has form fields to fill before its answer can be given. */
export function needsForm(open: HITLOpen): boolean {
  return Object.keys(open.request.params).length > 0;
}

/** Whether a form is in progress in this `telegram_hitl` key (its request is decided, its answer not yet given). */
export async function formInProgress(
  ctx: restate.ObjectContext,
): Promise<boolean> {
  return Boolean(await ctx.get<FormState>(FORM));
}

/**
 * Starts the form of a request decided in the chat: asks the decider for the first field as a reply to the request
 * (a selective ForceReply mentioning them). The answer goes to `airflow_hitl` once every field is in.
 */
export async function startForm(
  ctx: restate.ObjectContext,
  hook: TelegramHook,
  start: FormStart,
): Promise<void> {
  const { open } = start;
  const { request } = open;
  await ask(ctx, hook, {
    dag_id: open.dag_id,
    run_id: open.run_id,
    task_id: request.task_id,
    try_number: request.try_number,
    trigger_id: request.trigger_id,
    deadline: request.deadline,
    chat_id: start.chat_id,
    message_id: start.message_id,
    chosen_options: [...start.chosen_options],
    decider: start.decider,
    params: request.params,
    fields: Object.keys(request.params),
    index: 0,
    values: {},
  });
}

/** Asks the form's current field (after `before`, a word on the last reply) and waits for the decider's reply. */
async function ask(
  ctx: restate.ObjectContext,
  hook: TelegramHook,
  form: Omit<FormState, "prompt_id" | "watch">,
  before?: string,
): Promise<void> {
  const name = form.fields[form.index] ?? "";
  const param = form.params[name];
  const language = languageOf(form.decider.language_code);
  const question = fieldPromptText(
    {
      who: mention(form.decider),
      name,
      description: param?.description ?? null,
      index: form.index + 1,
      count: form.fields.length,
      schema: param?.schema ?? {},
      current: param ? keptValue(param) : undefined,
    },
    language,
  );
  const text = before ? `${before}\n${question}` : question;
  const promptId = await ctx.run(`ask for form field «${name}»`, async () => {
    const sent = await hook.sendMessage({
      chatId: form.chat_id,
      text,
      parseMode: "HTML",
      replyToMessageId: form.message_id,
      replyMarkup: {
        force_reply: true,
        selective: true,
        input_field_placeholder: placeholderText(name, language),
      },
    });
    return sent.message_id;
  });
  const watch = `${ctx.key}:form:${promptId}`;
  const now = await ctx.date.now();
  const left = form.deadline === null ? null : Date.parse(form.deadline) - now;
  ctx.set<FormState>(FORM, { ...form, prompt_id: promptId, watch });
  ctx.objectSendClient(Messages, chatKey(hook.botId, form.chat_id)).watch({
    trigger_id: watch,
    // Only the decider's reply to this very prompt; a reply that came before the watch is kept and matched too.
    match: {
      reply_to_message_id: promptId,
      after_message_id: promptId,
      from_user_ids: [form.decider.id],
    },
    timeout_ms: left === null ? null : Math.max(1_000, left),
    deliver_to: {
      service: TELEGRAM_HITL_NAME,
      handler: FORM_REPLY_HANDLER,
      key: ctx.key,
    },
  });
}

/**
 * A reply the form waited for: checked against the field's schema, then the next field is asked, or, on a bad value,
 * the same one again with the reason; once every field is in, the answer goes to `airflow_hitl` with `params_input`.
 * A reply to an earlier prompt, or after the form ended, changes nothing. Each reply taken is one event-log entry.
 */
export async function takeFormReply(
  ctx: restate.ObjectContext,
  hook: TelegramHook,
  watched: WatchedMessage,
): Promise<void> {
  const form = await ctx.get<FormState>(FORM);
  const { message } = watched;
  if (
    !form ||
    form.watch !== watched.trigger_id ||
    message.user_id !== form.decider.id ||
    message.reply_to_message_id !== form.prompt_id
  )
    return;
  const name = form.fields[form.index] ?? "";
  const param = form.params[name];
  const language = languageOf(form.decider.language_code);
  const kept = param ? keptValue(param) : undefined;
  const read =
    message.text.trim() === "-" && kept !== undefined
      ? { ok: true as const, value: kept }
      : fieldValue(message.text, param?.schema ?? {}, language);
  record(
    ctx,
    form,
    watched,
    read.ok ? "hitl.reply.accepted" : "hitl.reply.invalid",
    name,
  );
  if (!read.ok)
    return ask(ctx, hook, form, invalidReplyText(read.why, language));
  const values = { ...form.values, [name]: read.value };
  if (form.index + 1 < form.fields.length)
    return ask(ctx, hook, { ...form, index: form.index + 1, values });
  ctx.clear(FORM);
  const result = await ctx
    .objectClient(AIRFLOW_HITL, hitlObjectKey(form.dag_id, form.run_id))
    .answer({
      task_id: form.task_id,
      chosen_options: form.chosen_options,
      params_input: values,
      user: {
        id: String(form.decider.id),
        name: form.decider.username ?? form.decider.first_name,
      },
      channel: "telegram",
      trigger_id: form.trigger_id,
    });
  // Refused: the web (or the timeout) decided meanwhile; its decision edits the request, the decider is told here.
  if (!result.ok) await moot(ctx, hook, form);
}

/**
 * Ends a form in progress because the request was decided or closed another way (the web answered first, the
 * timeout applied the defaults, the run was cancelled): its watch goes, and the decider is told no answer is needed.
 */
export async function endForm(
  ctx: restate.ObjectContext,
  hook: TelegramHook,
): Promise<void> {
  const form = await ctx.get<FormState>(FORM);
  if (!form) return;
  ctx.clear(FORM);
  ctx
    .objectSendClient(Messages, chatKey(hook.botId, form.chat_id))
    .unwatch(form.watch);
  await moot(ctx, hook, form);
}

async function moot(
  ctx: restate.ObjectContext,
  hook: TelegramHook,
  form: FormState,
): Promise<void> {
  const text = formMootText(languageOf(form.decider.language_code));
  await ctx.run("tell the decider the form is moot", async () => {
    await hook.sendMessage({
      chatId: form.chat_id,
      text,
      replyToMessageId: form.prompt_id,
    });
  });
}

/** One event-log entry for a reply: the field, and the message it was given in. */
function record(
  ctx: restate.ObjectContext,
  form: FormState,
  watched: WatchedMessage,
  event: "hitl.reply.accepted" | "hitl.reply.invalid",
  field: string,
): void {
  const { message } = watched;
  ctx.objectSendClient(EVENT_LOG, EVENT_LOG_KEY).record({
    when: message.received_at,
    event,
    owner: message.username ?? message.first_name,
    dag_id: form.dag_id,
    run_id: form.run_id,
    task_id: form.task_id,
    map_index: -1,
    try_number: form.try_number,
    logical_date: null,
    extra: JSON.stringify({
      option:
        form.chosen_options.length === 1
          ? form.chosen_options[0]
          : form.chosen_options,
      chat_id: form.chat_id,
      message_id: form.message_id,
      user_id: message.user_id,
      update_id: message.update_id,
      field,
      reply_message_id: message.message_id,
    }),
  });
}
