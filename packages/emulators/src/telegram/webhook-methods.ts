import { z } from "zod";
import { TelegramApiError } from "../errors.js";
import * as p from "./method-params.js";
import type { BotMethod } from "./bot-methods.js";
import type { BotRecord } from "./telegram-state.js";

/** Starts or stops the delivery loop of a bot's webhook. */
export interface WebhookControl {
  changed(bot: BotRecord): Promise<void>;
}

const setParams = z.object({
  url: z.preprocess(
    (v) => v ?? "",
    z.string({ error: "Bad Request: bad webhook: URL must be a string" }),
  ),
  secret_token: p.optionalString,
  allowed_updates: p.allowedUpdates,
  drop_pending_updates: p.optionalBool,
});
const deleteParams = z.object({ drop_pending_updates: p.optionalBool });

/** setWebhook, deleteWebhook and getWebhookInfo; plain http URLs are allowed so local servers can receive. */
export function webhookMethods(
  control: WebhookControl,
): Record<string, BotMethod> {
  return {
    setwebhook: async ({ bot, params }) => {
      const input = p.parseParams(setParams, params);
      if (
        input.secret_token !== undefined &&
        !/^[A-Za-z0-9_-]{1,256}$/.test(input.secret_token)
      ) {
        throw new TelegramApiError(
          400,
          "Bad Request: secret token contains unallowed characters",
        );
      }
      if (input.url !== "" && !/^https?:\/\//.test(input.url)) {
        throw new TelegramApiError(
          400,
          "Bad Request: bad webhook: An HTTPS URL must be provided for webhook",
        );
      }
      if (input.drop_pending_updates === true) bot.queue.clear();
      bot.queue.setAllowedUpdates(input.allowed_updates);
      if (input.url === "") delete bot.webhook;
      else
        bot.webhook = {
          url: input.url,
          ...(input.secret_token === undefined
            ? {}
            : { secretToken: input.secret_token }),
        };
      bot.queue.endPolls();
      await control.changed(bot);
      return true;
    },
    deletewebhook: async ({ bot, params }) => {
      const input = p.parseParams(deleteParams, params);
      if (input.drop_pending_updates === true) bot.queue.clear();
      delete bot.webhook;
      await control.changed(bot);
      return true;
    },
    getwebhookinfo: ({ bot }) => ({
      url: bot.webhook?.url ?? "",
      has_custom_certificate: false,
      pending_update_count: bot.queue.size,
      ...(bot.webhook?.lastErrorDate === undefined
        ? {}
        : {
            last_error_date: bot.webhook.lastErrorDate,
            last_error_message: bot.webhook.lastErrorMessage,
          }),
      ...(bot.webhook === undefined ? {} : { max_connections: 40 }),
      ...(bot.webhook === undefined || bot.queue.allowedUpdates === undefined
        ? {}
        : { allowed_updates: bot.queue.allowedUpdates }),
    }),
  };
}
