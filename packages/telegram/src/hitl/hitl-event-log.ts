import { EVENT_LOG, EVENT_LOG_KEY } from "@poekhali/core";
import type * as restate from "@restatedev/restate-sdk";
import type { PressEvent } from "../updates/press.js";
import type { PostedRequest } from "./hitl-state.js";

/** What became of a press, as its event-log entry names it (`hitl.press.<outcome>`). */
export type PressOutcome =
  "counted" | "refused" | "duplicate" | "late" | "after_decision";

/**
 * One entry of Airflow's event log for a press on a request: the presser as `owner`, the task's ids, and `extra`
 * with the option (and the person's choice when counted), the message and the update.
 */
export function recordPress(
  ctx: restate.ObjectContext,
  request: PostedRequest,
  event: PressEvent,
  outcome: PressOutcome,
  option: string,
  chosen?: readonly string[],
): void {
  ctx.objectSendClient(EVENT_LOG, EVENT_LOG_KEY).record({
    when: event.received_at,
    event: `hitl.press.${outcome}`,
    owner: event.from.username ?? event.from.first_name,
    dag_id: request.dag_id,
    run_id: request.run_id,
    task_id: request.task_id,
    map_index: -1,
    try_number: request.try_number,
    logical_date: null,
    extra: JSON.stringify({
      option,
      ...(chosen ? { chosen: [...chosen] } : {}),
      chat_id: event.chat_id,
      message_id: event.message_id,
      user_id: event.from.id,
      update_id: event.update_id,
    }),
  });
}
