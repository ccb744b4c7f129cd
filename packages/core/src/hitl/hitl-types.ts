import type { Json } from "../json.js";
import type { DeferTarget } from "../defer-context.js";
import type { HITLChannelOpen } from "./hitl-channel.js";

/** A person who may answer, or who answered, as Airflow's auth manager names them (`HITLUser`). */
export interface HITLUser {
  readonly id: string;
  readonly name: string;
}

/** One form field of a request, as Airflow's `Param` serializes it: a pre-filled value, a description, a JSON Schema. */
export interface HITLParam {
  readonly value: Json;
  readonly description?: string | null;
  readonly schema?: Readonly<Record<string, Json>>;
  /** Where the param was declared: `task` for a request's own params. */
  readonly source?: string;
}

/** What a waiting task asks, as the `airflow_hitl` object keeps it (the request half of Airflow's `HITLDetail`). */
export interface HITLRequest {
  readonly task_id: string;
  readonly try_number: number;
  readonly subject: string;
  readonly body: string | null;
  readonly options: string[];
  readonly defaults: string[] | null;
  readonly multiple: boolean;
  readonly params: Record<string, HITLParam>;
  readonly assigned_users: HITLUser[];
  /** The awakeable the answer resolves. */
  readonly trigger_id: string;
  /** When the task stops waiting (ISO 8601), or null for never: an answer after it is refused. */
  readonly deadline: string | null;
  /** Other channels to tell the decision (a Telegram message to edit): each gets a {@link HITLDecision}. */
  readonly notify?: DeferTarget[];
  /** Channels the request is opened in (a Telegram chat) once stored; their notify targets are in `notify`. */
  readonly channels?: HITLChannelOpen[];
}

/** The answer a waiting task wakes with: Airflow's trigger event payload (`HITLTriggerEventSuccessPayload`). */
export interface HITLResponse {
  readonly chosen_options: string[];
  readonly params_input: Record<string, Json>;
  /** ISO 8601 UTC, to the millisecond. */
  readonly responded_at: string;
  /** Null when the defaults were applied on timeout. */
  readonly responded_by_user: HITLUser | null;
  readonly timedout: boolean;
  /** Where the answer came from: `api` (REST), `timeout`, or another channel's name (`telegram`). */
  readonly channel: string;
}

/** Why a request stopped taking answers without one. */
export type HITLClosedReason = "timeout" | "cancelled" | "failed";

/** One task's request and, once there is one, its answer: a state entry of the `airflow_hitl` object. */
export interface HITLEntry {
  readonly request: HITLRequest;
  /** When the request was made (ISO 8601). */
  readonly created_at: string;
  readonly response: HITLResponse | null;
  readonly closed: HITLClosedReason | null;
}

/** What a channel told to hear of a decision gets: the answer taken, or why the request closed without one. */
export interface HITLDecision {
  readonly dag_id: string;
  readonly run_id: string;
  readonly task_id: string;
  readonly response: HITLResponse | null;
  /** Set when the request closed without an answer (timed out without defaults, the run cancelled or failed). */
  readonly closed?: HITLClosedReason;
}

/** An answer given through a channel: the options chosen, the form's values, and who gave it. */
export interface HITLAnswer {
  readonly task_id: string;
  readonly chosen_options: readonly string[];
  readonly params_input?: Readonly<Record<string, Json>>;
  readonly user: HITLUser;
  /** `api` for the REST API. */
  readonly channel: string;
  /**
   * The request this answers, by its `trigger_id`, when the channel knows it: an answer to an earlier try's request
   * (a press on an old message) is then refused with 409 rather than taken as an answer to the current one.
   */
  readonly trigger_id?: string;
}

/** Why an answer was refused, as the REST API says it: its status and Airflow's `detail`. */
export interface HITLRefusal {
  readonly ok: false;
  readonly status: 403 | 404 | 409 | 422;
  /** A sentence, or (422) the fields that failed, as FastAPI lists them. */
  readonly detail:
    | string
    | {
        readonly loc: (string | number)[];
        readonly msg: string;
        readonly type: string;
        readonly input?: Json;
      }[];
}

/** What answering a request comes to: the recorded answer, or why it was refused. */
export type HITLAnswerResult =
  { readonly ok: true; readonly response: HITLResponse } | HITLRefusal;

/** The state key of a task's entry in its run's `airflow_hitl` object. */
export const hitlStateKey = (taskId: string): string => `hitl:${taskId}`;

/** The `airflow_hitl` object key of a DAG run: its requests share one key, so answers to them queue one at a time. */
export function hitlObjectKey(dagId: string, runId: string): string {
  return JSON.stringify([dagId, runId]);
}

/** A person's answer as a HITL task passes it downstream (Airflow's TypeScript SDK `HITLResult`, camelCase). */
export type HITLResult = {
  readonly chosenOptions: string[];
  readonly paramsInput: Record<string, Json>;
  /** ISO 8601 UTC, to the millisecond. */
  readonly respondedAt: string;
  /** `null` when the defaults were applied on timeout. */
  readonly respondedByUser: {
    readonly id: string;
    readonly name: string;
  } | null;
  readonly timedout: boolean;
};
