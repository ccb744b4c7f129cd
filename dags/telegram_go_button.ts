import { z } from "zod";
import { dag, durationParam, template } from "@poekhali/core";
import {
  ButtonPressSensor,
  SendButtonOperator,
  displayName,
  type ButtonPress,
} from "@poekhali/telegram";
import {
  AirtableSchemaCheckOperator,
  AirtableUpsertRecordOperator,
  TG_ACTIONS_FIELDS,
} from "@poekhali/airtable";

/** One row of `tg_actions` (see shared/spec/tg_actions.md): every column text but `triggered_at`. */
export type TgActionsRow = {
  chat_id: string;
  username: string;
  triggered_at: string;
  event_type: string;
  reporter_name: string;
};

/** A Telegram chat id param: the numeric id as text (a group's is negative). */
export const chatIdParam = () =>
  z.string().regex(/^-?\d+$/, "must be a numeric chat id");

/** The params of the airflow101 DAG, shared by its `dag()` and SDK versions: a bad conf is refused at trigger time. */
export const GO_BUTTON_PARAMS = {
  chat_id: chatIdParam().optional(),
  text: z
    .string()
    .min(1)
    .max(4096)
    .default("Нажмите «Поехали», когда будете готовы"),
  button_text: z.string().min(1).max(64).default("Поехали"),
  // 1 s … 366 d: a shorter wait cannot be pressed in time, a longer one is a typo.
  timeout: durationParam({ min: "1s", max: "366d" }).default("6h"),
  soft_fail: z.boolean().default(false),
  allowed_usernames: z.array(z.string().min(1)).default([]),
  event_type: z
    .string()
    .min(1)
    .default(process.env.EVENT_TYPE?.trim() || "button_press"),
  reporter_name: z
    .string()
    .min(1)
    .default(process.env.REPORTER_NAME?.trim() || "poekhali"),
};

/**
 * The airflow101 DAG: post «Поехали» to the group, wait until someone presses it, write the press to
 * Airtable's `tg_actions`. Manual only; every param can be overridden with `conf` when triggering.
 */
export const telegramGoButton = dag(
  {
    id: "telegram_go_button",
    description:
      "Posts a «Поехали» button to a Telegram chat, waits for a press and writes it to Airtable",
    schedule: null,
    tags: ["airflow101", "telegram", "airtable"],
    params: z.object(GO_BUTTON_PARAMS),
  },
  ({ params }) => {
    // First, before Telegram is touched: the table must have every column the row fills, with the right types.
    const checked = new AirtableSchemaCheckOperator({
      taskId: "check_table",
      fields: TG_ACTIONS_FIELDS,
    });
    const sent = new SendButtonOperator({
      taskId: "send_button",
      chatId: params.chat_id,
      text: params.text,
      buttonText: params.button_text,
      retries: 2,
    }).after(checked);
    const press = new ButtonPressSensor({
      taskId: "wait_for_press",
      message: sent.output,
      timeout: params.timeout,
      softFail: params.soft_fail,
      allowedUsernames: params.allowed_usernames,
    });
    new AirtableUpsertRecordOperator({
      taskId: "write_row",
      // The row is rendered from the press and the params when write_row runs (Airflow's templated fields):
      // shaping data is not a task of its own, so it costs no step of its own.
      fields: template(
        ({
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
        {
          press: press.output,
          eventType: params.event_type,
          reporterName: params.reporter_name,
        },
      ),
      // A retried write finds the row it wrote: a press is identified by chat, presser and time.
      fieldsToMergeOn: ["chat_id", "username", "triggered_at"],
    });
  },
);
