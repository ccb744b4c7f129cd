import * as clients from "@restatedev/restate-sdk-clients";
import {
  EVENT_LOG_ENTRY_PREFIX,
  EVENT_LOG_KEY,
  EVENT_LOG_NAME,
  EVENT_LOG_PURPOSE,
  signCall,
  type EventLogEntry,
  type EventLogObject,
  type EventLogRecord,
} from "@poekhali/core";
import type { Introspection } from "./dag-runs.js";
import { sqlLiteral as sql } from "../restate/sql-literal.js";

/** The text fields of an entry the log can narrow a listing by. */
export type EventLogTextField =
  "dag_id" | "run_id" | "task_id" | "owner" | "event";

const Log: EventLogObject = { name: EVENT_LOG_NAME };

/**
 * Airflow's event log as the REST API writes and reads it: entries are sent one-way to Restate's
 * `poekhali_event_log` object and listed with one SQL query over Restate's `state` table.
 */
export class EventLog {
  readonly #ingress: clients.Ingress;

  constructor(
    ingressUrl: string,
    private readonly introspection: Pick<Introspection, "query">,
    private readonly log: (line: string) => void = () => {},
  ) {
    this.#ingress = clients.connect({ url: ingressUrl });
  }

  /**
   * Records an action already done. Never throws: the action stands whether or not its entry could be handed to
   * Restate, which stores it once it has accepted the send.
   */
  async record(record: EventLogRecord): Promise<void> {
    try {
      await this.#ingress
        .objectSendClient(Log, EVENT_LOG_KEY)
        .recordSigned(signCall(EVENT_LOG_PURPOSE, EVENT_LOG_KEY, record));
    } catch (error) {
      this.log(
        `event log: '${record.event}' not recorded: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  /**
   * Every entry, unordered; with `having`, only entries whose fields may hold those exact values. Restate narrows by
   * the stored JSON's text, so a run's presses are read without the rest of the log: callers still filter exactly.
   */
  async list(
    having: Partial<Record<EventLogTextField, string>> = {},
  ): Promise<EventLogEntry[]> {
    const narrow = Object.entries(having)
      .map(
        ([name, value]) =>
          ` AND strpos(value_utf8, ${sql(`"${name}":${JSON.stringify(value)}`)}) > 0`,
      )
      .join("");
    const rows = await this.introspection.query<{ value_utf8: string | null }>(
      `SELECT value_utf8 FROM state WHERE service_name = ${sql(EVENT_LOG_NAME)} ` +
        `AND service_key = ${sql(EVENT_LOG_KEY)} AND key LIKE ${sql(`${EVENT_LOG_ENTRY_PREFIX}%`)}${narrow}`,
    );
    return rows.flatMap((row) =>
      row.value_utf8 === null
        ? []
        : [JSON.parse(row.value_utf8) as EventLogEntry],
    );
  }

  /** One entry by id, or `null`. */
  async get(id: number): Promise<EventLogEntry | null> {
    const rows = await this.introspection.query<{ value_utf8: string | null }>(
      `SELECT value_utf8 FROM state WHERE service_name = ${sql(EVENT_LOG_NAME)} ` +
        `AND service_key = ${sql(EVENT_LOG_KEY)} AND key = ${sql(`${EVENT_LOG_ENTRY_PREFIX}${id}`)}`,
    );
    const value = rows[0]?.value_utf8;
    return value ? (JSON.parse(value) as EventLogEntry) : null;
  }
}
