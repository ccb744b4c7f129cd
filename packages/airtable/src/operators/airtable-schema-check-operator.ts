import {
  DeferrableSensor,
  handlerTarget,
  type Arg,
  type BaseSensorOptions,
  type DeferContext,
} from "@poekhali/core";
import {
  compareTableSchema,
  type ExpectedFields,
  type SchemaCheckResult,
} from "../schema/check-table-schema.js";
import {
  WRITER_NAME,
  type SchemaRequest,
  type SchemaResult,
} from "../writers/writer-protocol.js";
import type { AirtableWriter } from "../writers/airtable-writer.js";
import { writeTarget } from "./write-target.js";

// A typed stand-in for the writer's definition: its handler names are checked against the writer's.
const Writer: AirtableWriter = { name: WRITER_NAME };

/** Arguments of {@link AirtableSchemaCheckOperator}. */
export interface SchemaCheckArgs {
  /** The table's name or id; the connection's table when null. */
  readonly table: string | null;
}

/** Options of {@link AirtableSchemaCheckOperator}. */
export interface AirtableSchemaCheckOperatorOptions extends BaseSensorOptions {
  /** The columns the DAG writes and the types they must have. */
  readonly fields: ExpectedFields;
  readonly table?: Arg<string | null>;
  readonly airtableConnId?: string;
}

/**
 * Checks, before a run does anything else, that the table has every column it will write with a type that takes
 * its values; a mismatch fails the run at once (no retry) with one message naming base, table, column and types.
 * The metadata request goes through the base's writer, within the base's rate limit, and runs of the same table
 * share a read a few minutes old at most (renewed after a write is refused over a column, and by a check that the
 * read would fail: the table may have been fixed since).
 *
 * @example
 * new AirtableSchemaCheckOperator({ taskId: "check_table", fields: TG_ACTIONS_FIELDS }).before(sendButton);
 */
export class AirtableSchemaCheckOperator extends DeferrableSensor<
  SchemaCheckArgs,
  SchemaResult,
  SchemaCheckResult
> {
  readonly title = "check the Airtable table's columns";
  readonly fields: ExpectedFields;
  readonly airtableConnId: string;

  constructor(options: AirtableSchemaCheckOperatorOptions) {
    super(options, { table: options.table ?? null });
    this.fields = options.fields;
    this.airtableConnId = options.airtableConnId ?? "airtable_default";
  }

  override defer(args: SchemaCheckArgs, context: DeferContext): void {
    const { baseId, table } = writeTarget(
      context,
      this.airtableConnId,
      args.table,
    );
    const request: SchemaRequest = {
      kind: "schema",
      trigger_id: context.triggerId,
      table,
      expected: Object.fromEntries(
        Object.entries(this.fields).map(([field, types]) => [
          field,
          [...types],
        ]),
      ),
    };
    context.send(handlerTarget(Writer, "enqueue", baseId), { ...request });
  }

  override complete(event: SchemaResult): SchemaCheckResult {
    // Throws the AirtableSchemaError that fails the task, naming every column that does not fit.
    return compareTableSchema(event, this.fields);
  }
}
