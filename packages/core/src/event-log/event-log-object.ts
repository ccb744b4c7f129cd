import * as restate from "@restatedev/restate-sdk";
import { verifyCall, type SignedCall } from "../internal-key.js";

/** The Restate name of the object that keeps Airflow's event log. */
export const EVENT_LOG_NAME = "poekhali_event_log";

/**
 * The one key the log is kept under: Airflow's `event_log_id` is one integer sequence over every DAG, and one key
 * hands out the next number without any two entries ever sharing one. The object reads its state lazily, so a
 * record costs the same whether the log holds ten entries or a hundred thousand.
 */
export const EVENT_LOG_KEY = "log";

/** The prefix of each entry's state key; the REST API lists entries by it through Restate's SQL. */
export const EVENT_LOG_ENTRY_PREFIX = "entry:";

const NEXT_ID = "next_id";

/** What a signed record is signed for. */
export const EVENT_LOG_PURPOSE = "event-log";

/** Stores the record under the next id and answers the id. */
async function store(
  ctx: restate.ObjectContext,
  record: EventLogRecord,
): Promise<number> {
  const id = ((await ctx.get<number>(NEXT_ID)) ?? 0) + 1;
  ctx.set<number>(NEXT_ID, id);
  ctx.set<EventLogEntry>(`${EVENT_LOG_ENTRY_PREFIX}${id}`, {
    ...record,
    event_log_id: id,
  });
  return id;
}

/** What an action records: Airflow's `Log` row without its id, which the log assigns. */
export interface EventLogRecord {
  /** When the action happened (ISO 8601). */
  readonly when: string;
  readonly event: string;
  readonly owner: string | null;
  readonly dag_id: string | null;
  readonly run_id: string | null;
  readonly task_id: string | null;
  readonly map_index: number | null;
  readonly try_number: number | null;
  readonly logical_date: string | null;
  /** A JSON string with what was asked (Airflow's `extra`). */
  readonly extra: string | null;
}

/** One stored entry: the record and its `event_log_id`. */
export interface EventLogEntry extends EventLogRecord {
  readonly event_log_id: number;
}

/**
 * Airflow's event log, durably in Restate: each entry one state key `entry:<id>`, ids counting up from 1. The id and
 * the entry are written in one handler run, so an entry is never stored twice nor an id given twice.
 */
export const eventLogObject = restate.object({
  name: EVENT_LOG_NAME,
  description:
    "Airflow's event log (GET /api/v2/eventLogs): who changed what by hand, and every press on a request",
  handlers: {
    /** Stores a record from a handler served beside this object (a chat's presses) and answers its id. */
    record: restate.handlers.object.exclusive(
      { ingressPrivate: true },
      (ctx: restate.ObjectContext, record: EventLogRecord) =>
        store(ctx, record),
    ),
    /** Stores a record the web tier signed (see `INTERNAL_KEY_ENV`); anything else is refused and stores nothing. */
    recordSigned: async (
      ctx: restate.ObjectContext,
      call: SignedCall<EventLogRecord>,
    ): Promise<number> => {
      if (!verifyCall(EVENT_LOG_PURPOSE, ctx.key, call))
        throw new restate.TerminalError(
          "The event log entry was not signed by this deployment's web tier.",
          { errorCode: 403 },
        );
      return store(ctx, call.payload);
    },
  },
  // Without it Restate would send every entry along with each record.
  options: { enableLazyState: true },
});

/** The event log object's Restate definition type, for typed clients. */
export type EventLogObject = typeof eventLogObject;
/** The event log as a typed target (key {@link EVENT_LOG_KEY}): a renamed handler breaks the build. */
export const EVENT_LOG: EventLogObject = { name: EVENT_LOG_NAME };
