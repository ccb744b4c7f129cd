import * as restate from "@restatedev/restate-sdk";
import { verifyCall, type SignedCall } from "@poekhali/core";

/** The Restate name of the object that keeps what the REST API knows of a run beyond its workflow's state. */
export const RUN_RECORD_NAME = "poekhali_run_record";

/** The state key of a run's record; the web tier reads it through Restate's SQL `state` table, never by a call. */
export const RUN_RECORD_STATE_KEY = "record";

/** What a signed call to this object is signed for (with the object key as its scope). */
export const RUN_RECORD_PURPOSE = "run-record";

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

const refuse = () =>
  new restate.TerminalError(
    "The run record change was not signed by this deployment's web tier.",
    { errorCode: 403 },
  );

/** The record kept, after checking that the web tier signed the call for this run. */
async function signedRecord(
  ctx: restate.ObjectContext,
  call: SignedCall<unknown>,
): Promise<RunRecord | null> {
  if (!verifyCall(RUN_RECORD_PURPOSE, ctx.key, call)) throw refuse();
  return await ctx.get<RunRecord>(RUN_RECORD_STATE_KEY);
}

/**
 * A run's trigger details and notes (Airflow's DagRun row: `run_after`, `triggering_user_name`, `note`, task
 * instance notes), one object key per run, so that every web instance reads and changes the same record. Notes are
 * changed inside the object, one change at a time per run, so two instances editing the run and a task's note at
 * once keep both. Every handler takes only calls the web tier signed with POEKHALI_INTERNAL_KEY for this run.
 */
export const runRecordObject = restate.object({
  name: RUN_RECORD_NAME,
  description:
    "What the REST API keeps of a run beyond its workflow: trigger details and notes, shared by every web instance",
  handlers: {
    /** Records (or replaces) what the API knows of the run, as when it starts it. */
    record: async (
      ctx: restate.ObjectContext,
      call: SignedCall<RunRecord>,
    ): Promise<void> => {
      await signedRecord(ctx, call);
      ctx.set<RunRecord>(RUN_RECORD_STATE_KEY, call.payload);
    },
    /** Sets the run's note and answers the record now. */
    setNote: async (
      ctx: restate.ObjectContext,
      call: SignedCall<RunNoteChange>,
    ): Promise<RunRecord> => {
      const kept = (await signedRecord(ctx, call)) ?? call.payload.fallback;
      const record = { ...kept, note: call.payload.note };
      ctx.set<RunRecord>(RUN_RECORD_STATE_KEY, record);
      return record;
    },
    /** Sets one task instance's note and answers the record now. */
    setTaskNote: async (
      ctx: restate.ObjectContext,
      call: SignedCall<TaskNoteChange>,
    ): Promise<RunRecord> => {
      const kept = (await signedRecord(ctx, call)) ?? call.payload.fallback;
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
      call: SignedCall<null>,
    ): Promise<void> => {
      await signedRecord(ctx, call);
      ctx.clearAll();
    },
    /**
     * Keeps a record from a web tier's old `api-state.json`, unless the run already has one: importing twice, or
     * after a note was changed through another instance, changes nothing. Answers whether it was kept.
     */
    importRecord: async (
      ctx: restate.ObjectContext,
      call: SignedCall<RunRecord>,
    ): Promise<boolean> => {
      if ((await signedRecord(ctx, call)) !== null) return false;
      ctx.set<RunRecord>(RUN_RECORD_STATE_KEY, call.payload);
      return true;
    },
  },
  // The state is what matters, and the event log says who changed what: a kept journal per change would be one more
  // row in Restate for every trigger, for a day.
  options: { journalRetention: 0 },
});

/** The run record object's Restate definition type, for typed clients. */
export type RunRecordObject = typeof runRecordObject;
/** The run record object as a typed target (key {@link runRecordKey}): a renamed handler breaks the build. */
export const RUN_RECORD: RunRecordObject = { name: RUN_RECORD_NAME };
