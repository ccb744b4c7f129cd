// Hooks
export {
  AirtableHook,
  AIRTABLE_ENDPOINT_URL,
  type AirtableHookOptions,
  type AirtableRecord,
  type Fields,
  type TableMeta,
} from "./hooks/airtable-hook.js";

// Operators
export {
  AirtableUpsertRecordOperator,
  type AirtableUpsertRecordOperatorOptions,
  type UpsertRecordArgs,
  type UpsertRecordResult,
} from "./operators/airtable-upsert-record-operator.js";

// Errors
export { AirtableError, airtableErrorFrom } from "./errors.js";
