import {
  DeferrableSensor,
  type Args,
  type BaseSensorOptions,
  type DeferContext,
} from "@poekhali/core";
import type { Fields } from "../hooks/airtable-types.js";
import type { WriteResult } from "../writers/writer-protocol.js";
import { enqueueWrite } from "./write-target.js";

/** Arguments of {@link AirtableCreateRecordsOperator}. */
export interface CreateRecordsArgs {
  /** The table's name or id; the connection's table when absent. */
  readonly table?: string | null;
  /** The records' values, fixed before the first attempt; any number (the writer sends 10 per request). */
  readonly records: readonly Fields[];
}

/** Options of {@link AirtableCreateRecordsOperator}. */
export interface AirtableCreateRecordsOperatorOptions
  extends BaseSensorOptions, Args<CreateRecordsArgs> {
  /** Fields that together identify a record: a retried create looks rows up by them and creates only the missing. */
  readonly identifyBy: readonly string[];
  readonly airtableConnId?: string;
}

/** The created records' ids, in the order of the given records. */
export type CreateRecordsResult = { record_ids: string[] };

/**
 * Creates records through their base's writer and parks until it reports their ids; a write tried again after a
 * crash or a lost answer looks its rows up first, so each record is created once.
 *
 * @example
 * new AirtableCreateRecordsOperator({ taskId: "log_rows", records: rows.output, identifyBy: ["chat_id", "triggered_at"] });
 */
export class AirtableCreateRecordsOperator extends DeferrableSensor<
  CreateRecordsArgs,
  WriteResult,
  CreateRecordsResult
> {
  readonly title = "create records in Airtable";
  readonly identifyBy: readonly string[];
  readonly airtableConnId: string;

  constructor(options: AirtableCreateRecordsOperatorOptions) {
    super(options, { table: options.table ?? null, records: options.records });
    if (options.identifyBy.length === 0)
      throw new RangeError(
        `task "${options.taskId}": identifyBy needs at least one field`,
      );
    this.identifyBy = options.identifyBy;
    this.airtableConnId = options.airtableConnId ?? "airtable_default";
  }

  override defer(args: CreateRecordsArgs, context: DeferContext): void {
    enqueueWrite(context, this.airtableConnId, args.table, [...args.records], {
      kind: "create",
      identifyBy: [...this.identifyBy],
    });
  }

  /** The base's writer, which takes every run's rows under Airtable's rate limit. */
  override waitsFor(args: CreateRecordsArgs): string {
    return `the Airtable writer to write the rows${args.table ? ` to ${args.table}` : ""}`;
  }

  override complete(event: WriteResult): CreateRecordsResult {
    return { record_ids: event.records.map((r) => r.id) };
  }
}
