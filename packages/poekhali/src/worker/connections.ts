import {
  StaticConnections,
  connectionsFromEnv,
  type Connection,
} from "@poekhali/core";
import type { AirtableConfig, TelegramConfig } from "../config.js";

/**
 * The connections a worker lends its tasks: `telegram_default` and `airtable_default` from the TELEGRAM_* and
 * AIRTABLE_* variables, then every `POEKHALI_CONN_<ID>` (which may also replace those two), as Airflow's
 * `AIRFLOW_CONN_*`.
 */
export function connectionsFrom(
  telegram: TelegramConfig,
  airtable: AirtableConfig,
  env: NodeJS.ProcessEnv = process.env,
): StaticConnections {
  const defaults: Connection[] = [
    {
      connId: "telegram_default",
      connType: "telegram",
      host: telegram.chatId,
      password: telegram.token,
      extra: { api_root: telegram.apiRoot },
    },
    {
      connId: "airtable_default",
      connType: "airtable",
      host: airtable.endpointUrl,
      password: airtable.token,
      extra: { base_id: airtable.baseId, table: airtable.table },
    },
  ];
  // Later entries win: a POEKHALI_CONN_ variable replaces a default of the same id.
  return new StaticConnections([...defaults, ...connectionsFromEnv(env)]);
}
