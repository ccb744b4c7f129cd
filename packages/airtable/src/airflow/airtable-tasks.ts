import { template, type Arg, type Args, type Duration } from "@poekhali/core";
import {
  operatorTask,
  type OperatorTask,
  type OperatorTaskOptions,
} from "@poekhali/core/airflow";
import type { Fields } from "../hooks/airtable-types.js";
import { AirtableSchemaCheckOperator } from "../operators/airtable-schema-check-operator.js";
import {
  AirtableUpsertRecordOperator,
  type UpsertRecordArgs,
  type UpsertRecordResult,
} from "../operators/airtable-upsert-record-operator.js";
import type {
  ExpectedFields,
  SchemaCheckResult,
} from "../schema/check-table-schema.js";

/** What every Airtable task of an SDK DAG may be configured with when declared. */
export interface AirtableTaskOptions {
  /** The connection with the token, base and default table; `airtable_default` by default. */
  readonly airtableConnId?: string;
}

/** The inputs every Airtable task takes besides its own: the wait's bound, as the core operators take it. */
export interface AirtableWaitArgs {
  /** How long to wait for the base's writer (`"90s"`); forever when absent. */
  readonly timeout?: Duration | null;
  /** On timeout, end `skipped` instead of `failed`. */
  readonly softFail?: boolean;
}

/** Options of {@link checkAirtableSchema}. */
export interface CheckAirtableSchemaOptions extends AirtableTaskOptions {
  /** The columns the DAG writes and the types they must have, e.g. `TG_ACTIONS_FIELDS`. */
  readonly fields: ExpectedFields;
}

/** The inputs of {@link checkAirtableSchema}. */
export interface SchemaCheckTaskArgs extends AirtableWaitArgs {
  /** The table's name or id; the connection's table when absent. */
  readonly table?: string | null;
}

/**
 * {@link AirtableSchemaCheckOperator} as a task of Airflow's TypeScript SDK: fails the run at once, naming the
 * column, when the table lacks a column the DAG writes or gives it a type that does not take its values.
 *
 * @example
 * const checked = dag.task("check_table", checkAirtableSchema({ fields: TG_ACTIONS_FIELDS }))();
 */
export function checkAirtableSchema(
  options: CheckAirtableSchemaOptions,
): OperatorTask<SchemaCheckTaskArgs, SchemaCheckResult> {
  return operatorTask<SchemaCheckTaskArgs, SchemaCheckResult>(
    "sensor",
    "AirtableSchemaCheckOperator",
    (core, { table, ...wait }) =>
      new AirtableSchemaCheckOperator({
        ...sensorOptions(core, wait),
        fields: options.fields,
        ...(table !== undefined && { table: table as Arg<string | null> }),
        ...connection(options),
      }),
  );
}

/** Options of {@link upsertAirtableRecord}. */
export interface UpsertAirtableRecordOptions extends AirtableTaskOptions {
  /** 1-3 fields that together identify the record, so that a retried write finds what it wrote. */
  readonly fieldsToMergeOn: readonly string[];
  /** The table's name or id; the connection's table when absent. */
  readonly table?: string;
}

/** The inputs of {@link upsertAirtableRecord} without a `fields` function: the record's values, and the table. */
export type UpsertRecordTaskArgs = UpsertRecordArgs;

/**
 * {@link AirtableUpsertRecordOperator} as a task of Airflow's TypeScript SDK. Given a `fields` function, the task's
 * inputs are that function's arguments and the record is rendered from them when the task runs (Airflow's templated
 * fields: shaping the row costs no task of its own); without one, the record is the `fields` input.
 *
 * @example
 * dag.task("write_row", upsertAirtableRecord({
 *   fieldsToMergeOn: ["chat_id", "triggered_at"],
 *   fields: ({ press }: { press: ButtonPress }) => ({ chat_id: press.chat_id, triggered_at: press.triggered_at }),
 * }))({ press });
 */
export function upsertAirtableRecord(
  options: UpsertAirtableRecordOptions,
): OperatorTask<UpsertRecordTaskArgs, UpsertRecordResult>;
export function upsertAirtableRecord<TInputs extends object>(
  options: UpsertAirtableRecordOptions & {
    /** Renders the record from the task's inputs; pure, as it runs again on every replay. */
    readonly fields: (inputs: TInputs) => Fields;
  },
): OperatorTask<TInputs, UpsertRecordResult>;
export function upsertAirtableRecord(
  options: UpsertAirtableRecordOptions & {
    readonly fields?: (inputs: object) => Fields;
  },
): OperatorTask<object, UpsertRecordResult> {
  const render = options.fields;
  // A deferrable operator: the task's retry options apply (a retried write finds the row it wrote).
  return operatorTask<object, UpsertRecordResult>(
    "operator",
    "AirtableUpsertRecordOperator",
    (core, args) => {
      const { fields, table } = args as Args<UpsertRecordTaskArgs>;
      return new AirtableUpsertRecordOperator({
        ...core,
        fieldsToMergeOn: options.fieldsToMergeOn,
        fields: render ? template(render, args) : fields,
        ...(render
          ? options.table !== undefined && { table: options.table }
          : {
              table: table ?? options.table ?? null,
            }),
        ...connection(options),
      });
    },
  );
}

/** A sensor's options: the task's id and trigger rule, and the wait's bound when the task's inputs give it. */
function sensorOptions(
  core: Pick<OperatorTaskOptions, "taskId" | "triggerRule">,
  { timeout, softFail }: Args<AirtableWaitArgs>,
) {
  return {
    taskId: core.taskId,
    ...(core.triggerRule !== undefined && { triggerRule: core.triggerRule }),
    // An input left out is absent here, never an `undefined` reference: these are the sensor's own types.
    ...(timeout !== undefined && { timeout: timeout as Arg<Duration | null> }),
    ...(softFail !== undefined && { softFail: softFail as Arg<boolean> }),
  };
}

/** The connection option, when the task names one. */
function connection(options: AirtableTaskOptions) {
  return options.airtableConnId !== undefined
    ? { airtableConnId: options.airtableConnId }
    : {};
}
