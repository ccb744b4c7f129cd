import { StaticConnections, type Connection } from "@poekhali/core";
import type { AirtableConfig, TelegramConfig } from "../config.js";

/** The connections a worker lends its tasks: `telegram_default` and `airtable_default`, from the environment. */
export function connectionsFrom(telegram: TelegramConfig, airtable: AirtableConfig): StaticConnections {
  const list: Connection[] = [
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
  return new StaticConnections(list);
}
