import { randomBytes, randomInt } from "node:crypto";

const TOKEN_ALPHABET =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

/** Makes a bot token shaped like Telegram's: `<bot id>:<35 chars of [A-Za-z0-9_-]>`. */
export function makeBotToken(botId: number): string {
  const bytes = randomBytes(35);
  let secret = "";
  for (const byte of bytes)
    secret += TOKEN_ALPHABET[byte % TOKEN_ALPHABET.length];
  return `${botId}:${secret}`;
}

/** Makes a callback query id: a long decimal string like Telegram's. */
export function makeCallbackQueryId(): string {
  return `${randomInt(1_000_000_000, 9_999_999_999)}${randomInt(100_000_000, 999_999_999)}`;
}

/** Makes a chat_instance: a stable signed decimal string per chat. */
export function makeChatInstance(): string {
  return `-${randomInt(1_000_000_000, 9_999_999_999)}${randomInt(100_000_000, 999_999_999)}`;
}
