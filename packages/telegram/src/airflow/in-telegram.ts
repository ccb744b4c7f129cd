import { withHITLChannels } from "@poekhali/core/airflow";
import type { HITLTask } from "@poekhali/core/airflow/hitl";
import {
  telegramChannel,
  type TelegramChannelOptions,
} from "../hitl/telegram-channel.js";

/**
 * Puts an `approval(...)`/`hitl(...)` task of Airflow's TypeScript SDK to a Telegram chat too: its options become
 * buttons counted by the `telegram_hitl` object (quorum, veto, who may answer, reminders), and whichever answers
 * first, the chat or the REST API, decides. The options are {@link telegramChannel}'s; `param("…")` reads conf.
 *
 * @example
 * dag.task("sign_off", inTelegram(approval({ subject: "Ship it?" }), { quorum: 2, allowedUsernames: ["anna", "boris"] }))();
 */
export function inTelegram<T extends HITLTask<never>>(
  task: T,
  options: TelegramChannelOptions = {},
): T {
  return withHITLChannels(task, [telegramChannel(options)]);
}
