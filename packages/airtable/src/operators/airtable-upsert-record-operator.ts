import { BaseOperator, type Args, type BaseOperatorOptions, type TaskContext } from "@poekhali/core";
import { AirtableHook, type Fields } from "../hooks/airtable-hook.js";

/** Arguments of {@link AirtableUpsertRecordOperator}. */
export interface UpsertRecordArgs {
  /** The table's name or id; the connection's table when absent. */
  readonly table?: string | null;
  /** The record's values, fixed before the first attempt (usually an upstream task's output). */
  readonly fields: Fields;
}

/** Options of {@link AirtableUpsertRecordOperator}. */
export interface AirtableUpsertRecordOperatorOptions extends BaseOperatorOptions, Args<UpsertRecordArgs> {
  /** 1-3 fields that together identify the record, so that a retried write finds what it wrote. */
  readonly fieldsToMergeOn: readonly string[];
  readonly airtableConnId?: string;
}

/** What the write did. */
export type UpsertRecordResult = { record_id: string; created: boolean };

/**
 * Writes one record idempotently: an upsert on the fields that identify it, so a retry of the
 * same values updates the row it already wrote instead of adding a second.
 *
 * @example
 * new AirtableUpsertRecordOperator({ taskId: "write_row", fields: row.output, fieldsToMergeOn: ["chat_id", "triggered_at"] });
 */
export class AirtableUpsertRecordOperator extends BaseOperator<UpsertRecordArgs, UpsertRecordResult> {
  readonly title = "write the row to Airtable";
  readonly fieldsToMergeOn: readonly string[];
  readonly airtableConnId: string;

  constructor(options: AirtableUpsertRecordOperatorOptions) {
    super(options, { table: options.table ?? null, fields: options.fields });
    if (options.fieldsToMergeOn.length < 1 || options.fieldsToMergeOn.length > 3) {
      throw new RangeError(`task "${options.taskId}": fieldsToMergeOn takes 1 to 3 fields, as Airtable's upsert does`);
    }
    this.fieldsToMergeOn = options.fieldsToMergeOn;
    this.airtableConnId = options.airtableConnId ?? "airtable_default";
  }

  override async execute(args: UpsertRecordArgs, context: TaskContext): Promise<UpsertRecordResult> {
    const connection = context.connections.get(this.airtableConnId);
    const hook = AirtableHook.fromConnection(connection);
    const table = args.table ?? connection.extra.table;
    if (!table) throw new TypeError(`task "${this.taskId}": no table given and connection "${this.airtableConnId}" names none`);
    const res = await hook.upsertRecords(table, [args.fields], this.fieldsToMergeOn);
    const record = res.records[0];
    if (!record) throw new Error(`Airtable answered the upsert into ${table} without a record`);
    const created = res.createdRecords.includes(record.id);
    context.log.info(`${created ? "created" : "found and updated"} record ${record.id} in ${table}`);
    return { record_id: record.id, created };
  }
}
