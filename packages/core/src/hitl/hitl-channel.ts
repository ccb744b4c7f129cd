import type { DeferContext, DeferTarget } from "../defer-context.js";
import type { Json } from "../json.js";
import type { Arg } from "../xcom.js";
import type { HITLRequest } from "./hitl-types.js";

/**
 * Another place a request is put to people besides the REST API (a Telegram chat): given to a HITL task's
 * `channels`, it names, for each try that parks, the handler that opens the request there and the one told of the
 * decision. The `airflow_hitl` object opens the request in each channel only after it has stored it, so an answer
 * from a channel always finds its request.
 *
 * @example
 * new ApprovalOperator({ taskId: "ask", subject: "Ship it?", channels: [telegramChannel({ quorum: 2 })] });
 */
export interface HITLChannel {
  /** The channel's name, as answers from it carry it (`HITLResponse.channel`). */
  readonly name: string;
  /** The channel's settings, resolved when the task parks (they may read conf, params and upstream outputs). */
  readonly settings: Arg<Json>;
  /** Where this try's request lives in the channel: computed when the task parks, from the resolved settings. */
  locate(
    settings: Json,
    context: DeferContext,
  ): { readonly open: DeferTarget; readonly notify: DeferTarget };
}

/** A channel as a stored request names it: where to open the request, and with which settings. */
export interface HITLChannelOpen {
  readonly name: string;
  readonly open: DeferTarget;
  readonly settings: Json;
}

/** What a channel's `open` handler gets once the request is stored: the request, whose run, and its settings. */
export interface HITLOpen {
  readonly dag_id: string;
  readonly run_id: string;
  /** When the request was stored (ISO 8601): reminders and escalation count from it. */
  readonly created_at: string;
  readonly request: HITLRequest;
  readonly settings: Json;
}
