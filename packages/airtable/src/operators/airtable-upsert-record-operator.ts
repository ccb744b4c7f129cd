import {
  DeferrableSensor,
  type Args,
  type BaseSensorOptions,
  type DeferContext,
} from "@poekhali/core";
import type { Fields } from "../hooks/airtable-types.js";
import type { WriteResult } from "../writers/writer-protocol.js";
import { enqueueWrite } from "./write-target.js";

/** Arguments of {@link AirtableUpsertRecordOperator}. */
export interface UpsertRecordArgs {
  /** The table's name or id; the connection's table when absent. */
  readonly table?: string | null;
  /** The record's values, fixed before the first attempt (usually an upstream task's output). */
  readonly fields: Fields;
}

/** Options of {@link AirtableUpsertRecordOperator}. */
export interface AirtableUpsertRecordOperatorOptions
  extends BaseSensorOptions, Args<UpsertRecordArgs> {
  /** 1-3 fields that together identify the record, so that a retried write finds what it wrote. */
  readonly fieldsToMergeOn: readonly string[];
  readonly airtableConnId?: string;
}

/** What the write did. */
export type UpsertRecordResult = { record_id: string; created: boolean };

/**
 * Writes one record through its base's writer, as an upsert on the fields that identify it: the run hands the row
 * over (journaled, once) and parks until the writer reports the record id; a retried write updates, never adds.
 *
 * @example
 * new AirtableUpsertRecordOperator({ taskId: "write_row", fields: row.output, fieldsToMergeOn: ["chat_id", "triggered_at"] });
 */
export class AirtableUpsertRecordOperator extends DeferrableSensor<
  UpsertRecordArgs,
  WriteResult,
  UpsertRecordResult
> {
  readonly title = "write the row to Airtable";
  readonly fieldsToMergeOn: readonly string[];
  readonly airtableConnId: string;

  constructor(options: AirtableUpsertRecordOperatorOptions) {
    super(options, { table: options.table ?? null, fields: options.fields });
    if (
      options.fieldsToMergeOn.length < 1 ||
      options.fieldsToMergeOn.length > 3
    ) {
      throw new RangeError(
        `task "${options.taskId}": fieldsToMergeOn takes 1 to 3 fields, as Airtable's upsert does`,
      );
    }
    this.fieldsToMergeOn = options.fieldsToMergeOn;
    this.airtableConnId = options.airtableConnId ?? "airtable_default";
  }

  override defer(args: UpsertRecordArgs, context: DeferContext): void {
    enqueueWrite(context, this.airtableConnId, args.table, [args.fields], {
      kind: "upsert",
      fieldsToMergeOn: [...this.fieldsToMergeOn],
    });
  }

  override complete(event: WriteResult): UpsertRecordResult {
    const record = event.records[0];
    if (!record)
      throw new Error("the Airtable writer answered without a record");
    return { record_id: record.id, created: record.created };
  }
}
