import {
  DeferrableSensor,
  handlerTarget,
  toMillis,
  type Args,
  type BaseSensorOptions,
  type DeferContext,
  type Duration,
} from "@poekhali/core";
import type { AirtableRecord } from "../hooks/airtable-types.js";
import { writeTarget } from "../operators/write-target.js";
import type { FindResult } from "../writers/writer-protocol.js";
import {
  RECORD_WATCH_NAME,
  type AirtableRecordWatch,
  type RecordWatch,
} from "./record-watch.js";

// A typed stand-in for the record watch's definition: its handler names are checked against the watch's.
const Watch: AirtableRecordWatch = { name: RECORD_WATCH_NAME };

/** Arguments of {@link AirtableRecordSensor}. */
export interface RecordSensorArgs {
  /** The table's name or id; the connection's table when absent. */
  readonly table?: string | null;
  /** An Airtable formula, e.g. `{chat_id} = '-100123'`. */
  readonly formula: string;
}

/** Options of {@link AirtableRecordSensor}. */
export interface AirtableRecordSensorOptions
  extends BaseSensorOptions, Args<RecordSensorArgs> {
  /** How long between looks; 30 s by default. */
  readonly pokeInterval?: Duration;
  readonly airtableConnId?: string;
}

/**
 * Waits until a record matching a formula exists, and outputs it: a durable watch polls the base through its
 * writer (sharing the rate limit) with durable sleeps, so the wait holds no worker.
 *
 * @example
 * const approved = new AirtableRecordSensor({ taskId: "wait_for_approval", formula: "{status} = 'approved'", timeout: "1h" });
 */
export class AirtableRecordSensor extends DeferrableSensor<
  RecordSensorArgs,
  FindResult,
  AirtableRecord
> {
  readonly title = "wait for a matching Airtable record";
  readonly pokeInterval: Duration;
  readonly airtableConnId: string;
  readonly #timeoutMs: number | null;

  constructor(options: AirtableRecordSensorOptions) {
    super(options, { table: options.table ?? null, formula: options.formula });
    this.pokeInterval = options.pokeInterval ?? "30s";
    this.airtableConnId = options.airtableConnId ?? "airtable_default";
    // The watch stops with the sensor; a timeout taken from params or upstream only ends the sensor's wait.
    const t = options.timeout;
    this.#timeoutMs =
      typeof t === "string" || typeof t === "number" ? toMillis(t) : null;
  }

  override defer(args: RecordSensorArgs, context: DeferContext): void {
    const { baseId, table } = writeTarget(
      context,
      this.airtableConnId,
      args.table,
    );
    const watch: RecordWatch = {
      base_id: baseId,
      table,
      formula: args.formula,
      trigger_id: context.triggerId,
      poke_interval_ms: toMillis(this.pokeInterval),
      timeout_ms: this.#timeoutMs,
    };
    context.send(handlerTarget(Watch, "watch"), { ...watch });
  }

  override complete(event: FindResult): AirtableRecord {
    const record = event.records[0];
    if (!record)
      throw new Error("the record watch woke the sensor without a record");
    return record;
  }
}
