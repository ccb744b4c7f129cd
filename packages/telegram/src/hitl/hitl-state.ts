import type { HITLDecision, HITLParam } from "@poekhali/core";
import type { InlineKeyboardMarkup } from "grammy/types";
import type { AllowedPressers } from "../updates/press-replies.js";
import type { RequestView } from "./hitl-message.js";
import type { VoteRule } from "./hitl-votes.js";

/** A request as the `telegram_hitl` object keeps it once its message is posted (state `request`). */
export interface PostedRequest {
  readonly dag_id: string;
  readonly run_id: string;
  readonly task_id: string;
  readonly try_number: number;
  /** The try's awakeable: answers name it, so a press on an earlier try's message is refused. */
  readonly trigger_id: string;
  /** When the task stops waiting (ISO 8601), or null: a press received later is late. */
  readonly deadline: string | null;
  /** When the request was stored (ISO 8601): reminders and escalation count from it. */
  readonly created_at: string;
  /** Form fields to fill before the answer is sent (the ForceReply flow); none for a plain choice. */
  readonly params: Record<string, HITLParam>;
  readonly view: RequestView;
  readonly rule: VoteRule;
  readonly allowed: AllowedPressers;
  readonly bot_id: number;
  readonly chat_id: string;
  readonly message_id: number;
  /** The buttons' secret (derived from `trigger_id`), kept to draw the keyboard again. */
  readonly nonce: string;
}

/** What became of the request (state `decision`): the answer taken, or why it closed without one. */
export type KeptDecision = Pick<HITLDecision, "response" | "closed">;

/** One edit of the request message, queued on the message's view key so that edits land in order, one at a time. */
export interface Show {
  readonly bot_id: number;
  readonly chat_id: string;
  readonly message_id: number;
  /** Counts up per request: an edit older than one already shown is dropped. */
  readonly seq: number;
  readonly text: string;
  /** The keyboard to show; none removes it. */
  readonly keyboard: InlineKeyboardMarkup | null;
  /** The decision: shown once, and no tally after it. */
  readonly final: boolean;
}
