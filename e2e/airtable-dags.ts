import { z } from "zod";
import { dag, task } from "@poekhali/core";
import {
  AirtableCreateRecordsOperator,
  AirtableRecordSensor,
  AirtableSchemaCheckOperator,
  AirtableUpsertRecordOperator,
  TG_ACTIONS_FIELDS,
} from "@poekhali/airtable";

const row = z.object({
  chat_id: z.string(),
  username: z.string(),
  triggered_at: z.string(),
});

/** A row of tg_actions from the run's params, typed per the spec. */
const buildRow = (p: {
  chat_id: string;
  username: string;
  triggered_at: string;
}) => ({
  chat_id: p.chat_id,
  username: p.username,
  triggered_at: p.triggered_at,
  event_type: "button_press",
  reporter_name: "e2e",
});

/** One press written as the reference DAG does: an upsert on chat, presser and time, through the writer. */
export const upsertDag = dag(
  { id: "at_upsert", schedule: null, params: row },
  ({ params }) => {
    const fields = task({ taskId: "build_row" }, buildRow, {
      chat_id: params.chat_id,
      username: params.username,
      triggered_at: params.triggered_at,
    });
    new AirtableUpsertRecordOperator({
      taskId: "write_row",
      fields: fields.output,
      fieldsToMergeOn: ["chat_id", "username", "triggered_at"],
    });
  },
);

/** The same row, created (no upsert): a retry must look it up instead of adding a second. */
export const createDag = dag(
  { id: "at_create", schedule: null, params: row },
  ({ params }) => {
    const fields = task(
      { taskId: "build_rows" },
      (p: { chat_id: string; username: string; triggered_at: string }) => [
        buildRow(p),
      ],
      {
        chat_id: params.chat_id,
        username: params.username,
        triggered_at: params.triggered_at,
      },
    );
    new AirtableCreateRecordsOperator({
      taskId: "create_rows",
      records: fields.output,
      identifyBy: ["chat_id", "username", "triggered_at"],
    });
  },
);

/** Raw fields, to provoke the API's refusals: the write's fields come straight from conf. */
export const rawDag = dag(
  {
    id: "at_raw",
    schedule: null,
    params: z.object({
      fields: z.record(z.string(), z.any()),
      table: z.string().default("tg_actions"),
    }),
  },
  ({ params }) => {
    new AirtableUpsertRecordOperator({
      taskId: "write_row",
      table: params.table,
      fields: params.fields,
      fieldsToMergeOn: ["chat_id"],
    });
  },
);

/** Several raw rows in one request, created: one bad row must fail the whole run and write none of its rows. */
export const rawRowsDag = dag(
  {
    id: "at_raw_rows",
    schedule: null,
    params: z.object({ records: z.array(z.record(z.string(), z.any())) }),
  },
  ({ params }) => {
    new AirtableCreateRecordsOperator({
      taskId: "create_rows",
      records: params.records,
      identifyBy: ["username"],
    });
  },
);

/** The schema check first, then a task that runs only if it passed. */
export const checkDag = dag({ id: "at_check", schedule: null }, () => {
  const checked = new AirtableSchemaCheckOperator({
    taskId: "check_table",
    fields: TG_ACTIONS_FIELDS,
  });
  task({ taskId: "after_check" }, () => "went on", {}).after(checked);
});

/** The reference DAG's Airtable side: the schema check first, then the row, upserted through the writer. */
export const checkWriteDag = dag(
  { id: "at_check_write", schedule: null, params: row },
  ({ params }) => {
    const checked = new AirtableSchemaCheckOperator({
      taskId: "check_table",
      fields: TG_ACTIONS_FIELDS,
    });
    const fields = task({ taskId: "build_row" }, buildRow, {
      chat_id: params.chat_id,
      username: params.username,
      triggered_at: params.triggered_at,
    }).after(checked);
    new AirtableUpsertRecordOperator({
      taskId: "write_row",
      fields: fields.output,
      fieldsToMergeOn: ["chat_id", "username", "triggered_at"],
    });
  },
);

/** Waits for a record of a chat to appear. */
export const sensorDag = dag(
  {
    id: "at_sensor",
    schedule: null,
    params: z.object({ chat_id: z.string() }),
  },
  ({ params }) => {
    const formula = task(
      { taskId: "formula" },
      ({ chat }: { chat: string }) => `{chat_id} = '${chat}'`,
      { chat: params.chat_id },
    );
    const found = new AirtableRecordSensor({
      taskId: "wait_for_row",
      formula: formula.output,
      pokeInterval: "200ms",
      timeout: "60s",
    });
    task({ taskId: "use_row" }, ({ r }: { r: { id: string } }) => r.id, {
      r: found.output,
    });
  },
);

/** Every DAG the Airtable e2e tests and the benchmark serve. */
export const AIRTABLE_DAGS = [
  upsertDag,
  createDag,
  rawDag,
  rawRowsDag,
  checkDag,
  checkWriteDag,
  sensorDag,
];
