import { EVENT_LOG, EVENT_LOG_KEY } from "@poekhali/core";
import type * as restate from "@restatedev/restate-sdk";
import type { PressEvent } from "../updates/press.js";
import type { PostedRequest } from "./hitl-state.js";

/** What became of a press, as its event-log entry names it (`hitl.press.<outcome>`). */
export type PressOutcome =
  "counted" | "refused" | "duplicate" | "late" | "after_decision";

/**
 * One entry of Airflow's event log for a press on a request: the presser as `owner`, the task's ids (none for a
 * press that came before the request was stored), and `extra` with the option (and the person's choice when
 * counted), the message, the update and, when given, why it was refused (`reason`).
 */
export function recordPress(
  ctx: restate.ObjectContext,
  request: PostedRequest | null,
  event: PressEvent,
  outcome: PressOutcome,
  option: string,
  chosen?: readonly string[],
  reason?: string,
): void {
  ctx.objectSendClient(EVENT_LOG, EVENT_LOG_KEY).record({
    when: event.received_at,
    event: `hitl.press.${outcome}`,
    owner: event.from.username ?? event.from.first_name,
    dag_id: request?.dag_id ?? null,
    run_id: request?.run_id ?? null,
    task_id: request?.task_id ?? null,
    map_index: request ? -1 : null,
    try_number: request?.try_number ?? null,
    logical_date: null,
    extra: JSON.stringify({
      option,
      ...(chosen ? { chosen: [...chosen] } : {}),
      chat_id: event.chat_id,
      message_id: event.message_id,
      user_id: event.from.id,
      update_id: event.update_id,
      ...(reason ? { reason } : {}),
    }),
  });
}
