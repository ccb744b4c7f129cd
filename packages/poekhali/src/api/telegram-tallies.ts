import {
  TELEGRAM_HITL_NAME,
  tally,
  type PostedRequest,
  type Votes,
} from "@poekhali/telegram";
import type { Introspection } from "./dag-runs.js";
import { sqlLiteral as sql } from "../restate/sql-literal.js";

/** Where a HITL request stands in a Telegram chat: how many people chose each option, and what decides. */
export interface TelegramTally {
  readonly dag_id: string;
  readonly run_id: string;
  readonly task_id: string;
  readonly try_number: number;
  readonly chat_id: string;
  readonly message_id: number;
  /** People whose counted choice includes each option, in the request's order. */
  readonly counts: Record<string, number>;
  /** How many people must make the same choice for it to win. */
  readonly quorum: number;
  /** Options one person's choice decides with. */
  readonly veto: readonly string[];
  /** Who may vote in the chat (@usernames, user ids); empty: everyone in it. */
  readonly voters: readonly string[];
}

/**
 * The vote tallies of the HITL requests put to Telegram chats (the `telegram_hitl` object's `request` and `votes`
 * state, one key per request message), read in one SQL query over Restate's state; of these DAGs only.
 */
export async function telegramTallies(
  introspection: Introspection,
  dagIds: readonly string[],
): Promise<TelegramTally[]> {
  if (dagIds.length === 0) return [];
  const rows = await introspection.query<{
    service_key: string;
    key: string;
    value_utf8: string | null;
  }>(
    `SELECT service_key, key, value_utf8 FROM state WHERE service_name = ${sql(TELEGRAM_HITL_NAME)} AND key IN ('request', 'votes')`,
  );
  const byKey = new Map<string, { request?: PostedRequest; votes?: Votes }>();
  for (const row of rows) {
    if (row.value_utf8 === null) continue;
    const kept = byKey.get(row.service_key) ?? {};
    if (row.key === "request")
      kept.request = JSON.parse(row.value_utf8) as PostedRequest;
    else kept.votes = JSON.parse(row.value_utf8) as Votes;
    byKey.set(row.service_key, kept);
  }
  return [...byKey.values()].flatMap(({ request, votes }) =>
    request && dagIds.includes(request.dag_id)
      ? [
          {
            dag_id: request.dag_id,
            run_id: request.run_id,
            task_id: request.task_id,
            try_number: request.try_number,
            chat_id: request.chat_id,
            message_id: request.message_id,
            counts: tally(request.view.options, votes ?? {}),
            quorum: request.rule.quorum,
            veto: request.rule.veto,
            voters: [
              ...(request.allowed.allowed_usernames ?? []).map(
                (u) => `@${u.replace(/^@/, "")}`,
              ),
              ...(request.allowed.allowed_user_ids ?? []).map(
                (id) => `user ${id}`,
              ),
            ],
          },
        ]
      : [],
  );
}
