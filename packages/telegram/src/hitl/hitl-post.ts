import type { HITLOpen } from "@poekhali/core";
import * as restate from "@restatedev/restate-sdk";
import { TelegramError } from "../errors.js";
import type { TelegramHook } from "../hooks/telegram-hook.js";
import { hitlKey, hitlNonce } from "./hitl-callback.js";
import {
  keyboardProblem,
  requestKeyboard,
  requestText,
  type RequestView,
} from "./hitl-message.js";
import type { KeptDecision, PostedRequest } from "./hitl-state.js";
import type { TelegramChannelSettings } from "./telegram-channel.js";

/**
 * The `open` of a `telegram_hitl` key: posts the request to its chat with a button per option, once, and keeps it
 * with the message's id (state `request`). A retried send's second copy is left to the presses on it to tidy.
 */
export async function postRequest(
  ctx: restate.ObjectContext,
  hookFor: (botId: number) => TelegramHook,
  open: HITLOpen,
): Promise<void> {
  // Posted already (a retried open), or decided before it could be posted: nothing to ask.
  const asked = await ctx.get<PostedRequest>("request");
  if (asked || (await ctx.get<KeptDecision>("decision"))) return;
  const settings = open.settings as unknown as TelegramChannelSettings;
  const [bot = "", chatId = ""] = ctx.key.split(":");
  const botId = Number(bot);
  const hook = hookFor(botId);
  const nonce = hitlNonce(hook, open.request.trigger_id);
  if (hitlKey(botId, chatId, nonce) !== ctx.key)
    throw new restate.TerminalError(
      `the request of ${open.request.task_id} (${open.dag_id}/${open.run_id}) belongs to another key than ${ctx.key}`,
    );
  const { request } = open;
  const view: RequestView = {
    subject: request.subject,
    body: request.body,
    options: request.options,
    multiple: request.multiple,
    quorum: settings.quorum,
    language: settings.language,
  };
  const problem = keyboardProblem(view);
  if (problem)
    throw new restate.TerminalError(
      `cannot put ${request.task_id} of ${open.dag_id}/${open.run_id} to Telegram: ${problem}; answer it through the REST API`,
    );
  // A retried send may post a second copy: its presses are answered as stale and its buttons removed.
  const messageId = await ctx.run("post the request", async () => {
    try {
      const sent = await hook.sendMessage({
        chatId,
        text: requestText(view, {}),
        parseMode: "HTML",
        replyMarkup: requestKeyboard(view, nonce, {}),
      });
      return sent.message_id;
    } catch (error) {
      if (error instanceof TelegramError && !error.retryable)
        throw new restate.TerminalError(
          `Telegram refused the request of ${request.task_id}: ${error.message}`,
        );
      throw error;
    }
  });
  ctx.set<PostedRequest>("request", {
    dag_id: open.dag_id,
    run_id: open.run_id,
    task_id: request.task_id,
    try_number: request.try_number,
    trigger_id: request.trigger_id,
    deadline: request.deadline,
    created_at: open.created_at,
    params: request.params,
    view,
    rule: { quorum: settings.quorum, veto: settings.veto },
    allowed: {
      allowed_usernames: settings.allowed_usernames,
      allowed_user_ids: settings.allowed_user_ids,
    },
    bot_id: botId,
    chat_id: chatId,
    message_id: messageId,
    nonce,
  });
}
