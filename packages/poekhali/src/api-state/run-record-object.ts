import * as restate from "@restatedev/restate-sdk";
import {
  CHANGE_IDEMPOTENCY_RETENTION,
  checkChange,
  unstamped,
  type SignedChange,
} from "./signed-change.js";

/** The Restate name of the object that keeps what the REST API knows of a run beyond its workflow's state. */
export const RUN_RECORD_NAME = "poekhali_run_record";

/** The state key of a run's record; the web tier reads it through Restate's SQL `state` table, never by a call. */
export const RUN_RECORD_STATE_KEY = "record";

/** The object key of one run's record: a DAG id never holds a `/`, so the key names one run. */
export const runRecordKey = (dagId: string, runId: string) =>
  `${dagId}/${runId}`;

/** What the API records when it starts a run: what Airflow keeps on its DagRun row and the workflow does not. */
export interface RunRecord {
  /** The trigger's `logical_date`, null when none was given (Airflow 3's manual default). */
  readonly logical_date: string | null;
  readonly run_after: string;
  readonly queued_at: string;
  readonly triggered_by: "rest_api" | "ui" | "cli" | null;
  readonly triggering_user_name: string | null;
  /** The trigger's explicit data interval, if it gave one. */
  readonly data_interval?: readonly [string, string] | null;
  readonly partition_key?: string | null;
  readonly note: string | null;
  /** Notes on task instances, by task id. */
  readonly task_notes?: Readonly<Record<string, string | null>>;
}

/** A note on the run, and the record to keep it on when the API recorded none (a run it did not start). */
export interface RunNoteChange {
  readonly note: string | null;
  readonly fallback: RunRecord;
}

/** A note on one task instance of the run, with the record to keep it on when there is none. */
export interface TaskNoteChange extends RunNoteChange {
  readonly task_id: string;
}

/** The record kept, after checking that the web tier signed the call for this handler and this run. */
async function signedRecord(
  ctx: restate.ObjectContext,
  handler: string,
  call: SignedChange<unknown>,
): Promise<RunRecord | null> {
  await checkChange(ctx, RUN_RECORD_NAME, handler, call);
  return await ctx.get<RunRecord>(RUN_RECORD_STATE_KEY);
}

/**
 * A run's trigger details and notes (Airflow's DagRun row: `run_after`, `triggering_user_name`, `note`, task
 * instance notes), one object key per run, so that every web instance reads and changes the same record. Notes are
 * changed inside the object, one change at a time per run, so two instances editing the run and a task's note at
 * once keep both. Every handler takes only calls the web tier signed with POEKHALI_INTERNAL_KEY for this handler and
 * this run, within minutes.
 */
export const runRecordObject = restate.object({
  name: RUN_RECORD_NAME,
  description:
    "What the REST API keeps of a run beyond its workflow: trigger details and notes, shared by every web instance",
  handlers: {
    /**
     * Records what the API knows of a run it started. Notes set meanwhile (through another instance, between the
     * run's start and this record) are kept: the trigger's own note only fills a note nobody set.
     */
    record: async (
      ctx: restate.ObjectContext,
      call: SignedChange<RunRecord>,
    ): Promise<void> => {
      const kept = await signedRecord(ctx, "record", call);
      const trigger = unstamped<RunRecord>(call.payload);
      const taskNotes = { ...trigger.task_notes, ...kept?.task_notes };
      ctx.set<RunRecord>(RUN_RECORD_STATE_KEY, {
        ...trigger,
        note: kept?.note ?? trigger.note,
        ...(Object.keys(taskNotes).length > 0 ? { task_notes: taskNotes } : {}),
      });
    },
    /** Sets the run's note and answers the record now. */
    setNote: async (
      ctx: restate.ObjectContext,
      call: SignedChange<RunNoteChange>,
    ): Promise<RunRecord> => {
      const kept =
        (await signedRecord(ctx, "setNote", call)) ?? call.payload.fallback;
      const record = { ...kept, note: call.payload.note };
      ctx.set<RunRecord>(RUN_RECORD_STATE_KEY, record);
      return record;
    },
    /** Sets one task instance's note and answers the record now. */
    setTaskNote: async (
      ctx: restate.ObjectContext,
      call: SignedChange<TaskNoteChange>,
    ): Promise<RunRecord> => {
      const kept =
        (await signedRecord(ctx, "setTaskNote", call)) ?? call.payload.fallback;
      const record = {
        ...kept,
        task_notes: {
          ...kept.task_notes,
          [call.payload.task_id]: call.payload.note,
        },
      };
      ctx.set<RunRecord>(RUN_RECORD_STATE_KEY, record);
      return record;
    },
    /** Forgets a deleted run. */
    forget: async (
      ctx: restate.ObjectContext,
      call: SignedChange<object>,
    ): Promise<void> => {
      await signedRecord(ctx, "forget", call);
      ctx.clearAll();
    },
    /**
     * Keeps a record from a web tier's old `api-state.json`, unless the run already has one: importing twice, or
     * after a note was changed through another instance, changes nothing. Answers whether it was kept.
     */
    importRecord: async (
      ctx: restate.ObjectContext,
      call: SignedChange<RunRecord>,
    ): Promise<boolean> => {
      if ((await signedRecord(ctx, "importRecord", call)) !== null)
        return false;
      ctx.set<RunRecord>(
        RUN_RECORD_STATE_KEY,
        unstamped<RunRecord>(call.payload),
      );
      return true;
    },
  },
  // The state is what matters, and the event log says who changed what: no journal is kept; a change's result is
  // kept only as long as a retry of it may come (see CHANGE_IDEMPOTENCY_RETENTION).
  options: {
    journalRetention: 0,
    idempotencyRetention: CHANGE_IDEMPOTENCY_RETENTION,
  },
});

/** The run record object's Restate definition type, for typed clients. */
export type RunRecordObject = typeof runRecordObject;
/** The run record object as a typed target (key {@link runRecordKey}): a renamed handler breaks the build. */
export const RUN_RECORD: RunRecordObject = { name: RUN_RECORD_NAME };
