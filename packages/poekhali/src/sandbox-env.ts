import type { SandboxInfo } from "@poekhali/emulators";

/** The settings that point poekhali's Telegram and Airtable connections at these emulators, as real credentials would. */
export function sandboxEnv(info: SandboxInfo): Record<string, string> {
  const { telegram, airtable } = info;
  return {
    TELEGRAM_BOT_TOKEN: telegram.token,
    TELEGRAM_CHAT_ID: telegram.chat_id,
    TELEGRAM_API_ROOT: telegram.api_root,
    AIRTABLE_TOKEN: airtable.token,
    AIRTABLE_BASE_ID: airtable.base_id,
    AIRTABLE_TABLE: airtable.table,
    AIRTABLE_ENDPOINT_URL: airtable.endpoint_url,
  };
}
