// Telegram Bot API emulator
export { TelegramEmulator } from "./telegram/telegram-emulator.js";
export type { TelegramEmulatorOptions } from "./telegram/telegram-emulator.js";
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
export { TG_ACTIONS_TABLE } from "./airtable/tg-actions-table.js";
export type {
  AirtableRecord,
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
