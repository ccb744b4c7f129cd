import { Dag, param } from "@poekhali/core/airflow";
import {
  displayName,
  sendButton,
  waitForButtonPress,
  type ButtonPress,
} from "@poekhali/telegram";
import {
  checkAirtableSchema,
  upsertAirtableRecord,
  TG_ACTIONS_FIELDS,
} from "@poekhali/airtable";
import { GO_BUTTON_PARAMS, type TgActionsRow } from "./telegram_go_button.js";

/**
 * The airflow101 DAG of `telegram_go_button.ts`, written with Airflow's TypeScript SDK API: the same params, tasks
 * and row, with the providers' operators and sensors as `dag.task(id, …)` tasks.
 */
export const telegramGoButtonSdk = new Dag("telegram_go_button_sdk", {
  description:
    "Posts a «Поехали» button to a Telegram chat, waits for a press and writes it to Airtable (TypeScript SDK API)",
  tags: ["airflow101", "telegram", "airtable"],
  // poekhali's typed params (zod), as telegram_go_button declares them: a bad conf is refused at trigger time.
  params: GO_BUTTON_PARAMS,
});

const dag = telegramGoButtonSdk;

// First, before Telegram is touched: the table must have every column the row fills, with the right types.
const checked = dag.task(
  "check_table",
  checkAirtableSchema({ fields: TG_ACTIONS_FIELDS }),
)();

// Two retries 5 s apart, as telegram_go_button's send_button (the SDK's own default delay is 300 s).
const sent = dag
  .task("send_button", sendButton(), { retries: 2, retryDelay: 5 })({
    chatId: param<string>("chat_id"),
    text: param<string>("text"),
    buttonText: param<string>("button_text"),
  })
  .after(checked);

const press = dag.task(
  "wait_for_press",
  waitForButtonPress(),
)({
  message: sent,
  timeout: param<string>("timeout"),
  softFail: param<boolean>("soft_fail"),
  allowedUsernames: param<string[]>("allowed_usernames"),
});

dag.task(
  "write_row",
  upsertAirtableRecord({
    // A retried write finds the row it wrote: a press is identified by chat, presser and time.
    fieldsToMergeOn: ["chat_id", "username", "triggered_at"],
    // Rendered from the press and the params when write_row runs, as telegram_go_button's template.
    fields: ({
      press,
      eventType,
      reporterName,
    }: {
      press: ButtonPress;
      eventType: string;
      reporterName: string;
    }): TgActionsRow => ({
      chat_id: press.chat_id,
      username: displayName(press),
      triggered_at: press.triggered_at,
      event_type: eventType,
      reporter_name: reporterName,
    }),
  }),
)({
  press,
  eventType: param<string>("event_type"),
  reporterName: param<string>("reporter_name"),
});
