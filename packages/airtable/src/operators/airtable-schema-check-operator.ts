import "@poekhali/core";
import * as restate from "@restatedev/restate-sdk";
import {
  BaseOperator,
  type Arg,
  type BaseOperatorOptions,
  type TaskContext,
} from "@poekhali/core";
import { AirtableError, AirtableSchemaError } from "../errors.js";
import { AirtableHook } from "../hooks/airtable-hook.js";
import {
  checkTableSchema,
  type ExpectedFields,
  type SchemaCheckResult,
} from "../schema/check-table-schema.js";

/** Arguments of {@link AirtableSchemaCheckOperator}. */
export interface SchemaCheckArgs {
  /** The table's name or id; the connection's table when null. */
  readonly table: string | null;
}

/** Options of {@link AirtableSchemaCheckOperator}. */
export interface AirtableSchemaCheckOperatorOptions extends BaseOperatorOptions {
  /** The columns the DAG writes and the types they must have. */
  readonly fields: ExpectedFields;
  readonly table?: Arg<string | null>;
  readonly airtableConnId?: string;
}

/**
 * Checks, before a run does anything else, that the table has every column it will write with a type that takes
 * its values; a mismatch fails the run at once (no retry) with one message naming base, table, column and types.
 *
 * @example
 * new AirtableSchemaCheckOperator({ taskId: "check_table", fields: TG_ACTIONS_FIELDS }).before(sendButton);
 */
export class AirtableSchemaCheckOperator extends BaseOperator<
  SchemaCheckArgs,
  SchemaCheckResult
> {
  readonly title = "check the Airtable table's columns";
  readonly fields: ExpectedFields;
  readonly airtableConnId: string;

  constructor(options: AirtableSchemaCheckOperatorOptions) {
    super(
      { retries: 2, retryDelay: "2s", ...options },
      { table: options.table ?? null },
    );
    this.fields = options.fields;
    this.airtableConnId = options.airtableConnId ?? "airtable_default";
  }

  override async execute(
    args: SchemaCheckArgs,
    context: TaskContext,
  ): Promise<SchemaCheckResult> {
    const connection = context.connections.get(this.airtableConnId);
    const table = args.table ?? connection.extra.table;
    if (!table)
      throw new restate.TerminalError(
        `no table given and connection "${this.airtableConnId}" names none`,
      );
    try {
      const result = await checkTableSchema(
        AirtableHook.fromConnection(connection),
        table,
        this.fields,
      );
      if (result.checked)
        context.log.info(
          `base ${result.base_id}, table "${table}": every column fits`,
        );
      else context.log.warn(`schema check skipped: ${result.reason}`);
      return result;
    } catch (error) {
      // Only a server error or a lost connection may pass with time; anything else stops the run now.
      if (
        error instanceof AirtableSchemaError ||
        (error instanceof AirtableError && !error.retryable)
      )
        throw new restate.TerminalError(error.message);
      throw error;
    }
  }
}
