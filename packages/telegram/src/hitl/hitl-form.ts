import type * as restate from "@restatedev/restate-sdk";
import type { HITLUser, Json } from "@poekhali/core";
import type { PressEvent } from "../updates/press.js";
import type { PostedRequest } from "./hitl-state.js";
import type { HitlLanguage } from "./hitl-texts.js";

/** A decided choice whose request has form fields to fill before it is answered. */
export interface FormStart {
  readonly request: PostedRequest;
  /** The press that decided: its presser is the one asked for the fields. */
  readonly press: PressEvent;
  readonly chosen: string[];
  readonly user: HITLUser;
  /** The presser's language, for the prompts. */
  readonly language: HitlLanguage;
}

/** Sends the answer to `airflow_hitl` with the form's values; resolves with what the decider is told. */
export type ConcludeAnswer = (
  paramsInput: Record<string, Json>,
) => Promise<string>;

/**
 * Where a request with `params` goes once a choice wins, instead of being answered at once: the form flow asks each
 * field as a reply (ForceReply) and concludes when the last is valid. Resolves with the toast for the deciding press,
 * or null when the flow answered the press itself.
 */
export async function startFormFlow(
  ctx: restate.ObjectContext,
  start: FormStart,
  conclude: ConcludeAnswer,
): Promise<string | null> {
  // Until the ForceReply flow is built: the params' pre-filled values.
  void ctx;
  const prefilled: Record<string, Json> = {};
  for (const [name, param] of Object.entries(start.request.params))
    prefilled[name] = param.value;
  return conclude(prefilled);
}
