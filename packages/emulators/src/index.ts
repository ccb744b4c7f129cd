// Telegram Bot API emulator
export { TelegramEmulator } from "./telegram/telegram-emulator.js";
export type { TelegramEmulatorOptions } from "./telegram/telegram-emulator.js";
export type { BotCall } from "./telegram/call-log.js";
export type { PendingFault, TelegramFault } from "./telegram/fault-plan.js";
export type { PostedUserMessage } from "./telegram/user-messages.js";
export type {
  WebhookAttempt,
  WebhookRetryOptions,
} from "./telegram/webhook-deliverer.js";
export type {
  TgCallbackQuery,
  TgChat,
  TgInlineButton,
  TgInlineKeyboardMarkup,
  TgMessage,
  TgMessageEntity,
  TgUpdate,
  TgUser,
} from "./telegram/wire-types.js";

// Airtable REST API emulator
export { AirtableEmulator } from "./airtable/airtable-emulator.js";
export type { AirtableEmulatorOptions } from "./airtable/airtable-emulator.js";
export type { RateLimitOptions } from "./airtable/rate-limiter.js";
export type { AirtableCall } from "./airtable/call-log.js";
export {
  parseAirtableSchema,
  readAirtableSchema,
} from "./airtable/schema-file.js";
export { TG_ACTIONS_TABLE } from "./airtable/tg-actions-table.js";
export { FIELD_TYPES } from "./airtable/table-schema.js";
export type {
  AirtableRecord,
  AirtableSchema,
  BaseSchema,
  FieldSchema,
  FieldType,
  TableSchema,
} from "./airtable/table-schema.js";

// Sandbox: both emulators, seeded, with the chat and table pages
export { SANDBOX_USERS, startSandbox } from "./sandbox.js";
export type { Sandbox, SandboxInfo, SandboxOptions } from "./sandbox.js";
export { runEmulators } from "./cli.js";
export type { RunEmulatorsOptions } from "./cli.js";

// Errors
export {
  AirtableApiError,
  ControlApiError,
  EmulatorError,
  EmulatorUsageError,
  RequestBodyError,
  TelegramApiError,
} from "./errors.js";
