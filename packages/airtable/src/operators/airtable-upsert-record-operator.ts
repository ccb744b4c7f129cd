import {
  DeferrableOperator,
  type Args,
  type BaseOperatorOptions,
  type DeferContext,
  type TaskContext,
} from "@poekhali/core";
import { AirtableHook } from "../hooks/airtable-hook.js";
import type { Fields } from "../hooks/airtable-types.js";
import type { WriteResult } from "../writers/writer-protocol.js";
import { enqueueWrite, writeTarget } from "./write-target.js";

/** Arguments of {@link AirtableUpsertRecordOperator}. */
export interface UpsertRecordArgs {
  /** The table's name or id; the connection's table when absent. */
  readonly table?: string | null;
  /** The record's values, fixed before the first attempt (usually an upstream task's output). */
  readonly fields: Fields;
}

/** Options of {@link AirtableUpsertRecordOperator}. */
export interface AirtableUpsertRecordOperatorOptions
  extends BaseOperatorOptions, Args<UpsertRecordArgs> {
  /** 1-3 fields that together identify the record, so that a retried write finds what it wrote. */
  readonly fieldsToMergeOn: readonly string[];
  readonly airtableConnId?: string;
}

/** What the write did. */
export type UpsertRecordResult = { record_id: string; created: boolean };

/**
 * Writes one record through its base's writer, as an upsert on the fields that identify it (a deferrable operator):
 * the run hands the row over (journaled, once) and parks until the writer reports the record id. A failed write is
 * tried again per `retries`, and every try, like every retry inside the writer, updates the row the first wrote:
 * one record, however many tries.
 *
 * @example
 * new AirtableUpsertRecordOperator({ taskId: "write_row", fields: row.output, fieldsToMergeOn: ["chat_id", "triggered_at"], retries: 2 });
 */
export class AirtableUpsertRecordOperator extends DeferrableOperator<
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

  /** The base's writer, which takes every run's rows under Airtable's rate limit. */
  override waitsFor(args: UpsertRecordArgs): string {
    return `the Airtable writer to write the row${args.table ? ` to ${args.table}` : ""}`;
  }

  override complete(event: WriteResult): UpsertRecordResult {
    const record = event.records[0];
    if (!record)
      throw new Error("the Airtable writer answered without a record");
    return { record_id: record.id, created: record.created };
  }

  /** Upserts the row straight through the hook, for `poekhali tasks test`: the same one record a run would write. */
  override async execute(
    args: UpsertRecordArgs,
    context: TaskContext,
  ): Promise<UpsertRecordResult> {
    const { table } = writeTarget(context, this.airtableConnId, args.table);
    const hook = AirtableHook.fromConnection(
      context.connections.get(this.airtableConnId),
    );
    const result = await hook.upsertRecords(
      table,
      [args.fields],
      this.fieldsToMergeOn,
    );
    const record = result.records[0];
    if (!record)
      throw new Error("Airtable answered the upsert without a record");
    return {
      record_id: record.id,
      created: result.createdRecords.includes(record.id),
    };
  }
}
