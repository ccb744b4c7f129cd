// Hooks
export {
  AirtableHook,
  AIRTABLE_ENDPOINT_URL,
  type AirtableHookOptions,
} from "./hooks/airtable-hook.js";
export type {
  AirtableRecord,
  FieldMeta,
  Fields,
  ListOptions,
  TableMeta,
  UpsertResult,
} from "./hooks/airtable-types.js";

// Operators
export {
  AirtableUpsertRecordOperator,
  type AirtableUpsertRecordOperatorOptions,
  type UpsertRecordArgs,
  type UpsertRecordResult,
} from "./operators/airtable-upsert-record-operator.js";
export {
  AirtableCreateRecordsOperator,
  type AirtableCreateRecordsOperatorOptions,
  type CreateRecordsArgs,
  type CreateRecordsResult,
} from "./operators/airtable-create-records-operator.js";
export {
  AirtableSchemaCheckOperator,
  type AirtableSchemaCheckOperatorOptions,
  type SchemaCheckArgs,
} from "./operators/airtable-schema-check-operator.js";

// As tasks of Airflow's TypeScript SDK: `dag.task("write_row", upsertAirtableRecord({ ... }))`
export {
  checkAirtableSchema,
  upsertAirtableRecord,
  type AirtableTaskOptions,
  type AirtableWaitArgs,
  type CheckAirtableSchemaOptions,
  type SchemaCheckTaskArgs,
  type UpsertAirtableRecordOptions,
  type UpsertRecordTaskArgs,
} from "./airflow/airtable-tasks.js";

// Sensors
export {
  AirtableRecordSensor,
  type AirtableRecordSensorOptions,
  type RecordSensorArgs,
} from "./sensors/airtable-record-sensor.js";
export {
  airtableRecordWatch,
  RECORD_WATCH_NAME,
  type AirtableRecordWatch,
  type RecordWatch,
} from "./sensors/record-watch.js";

// The per-base writer
export {
  airtableWriter,
  type AirtableWriter,
  type AirtableWriterOptions,
  type PumpCall,
} from "./writers/airtable-writer.js";
export {
  airtableWriterInbox,
  type AirtableWriterInbox,
} from "./writers/writer-inbox.js";
export { airtableServices } from "./writers/airtable-services.js";
export {
  INBOX_NAME,
  INBOX_SHARDS,
  WRITER_NAME,
  inboxKey,
  type InboxCounts,
  type InboxEntry,
  type InboxPage,
  type FindRequest,
  type FindResult,
  type SchemaRequest,
  type SchemaResult,
  type WriteMode,
  type WriteRequest,
  type WriteResult,
  type WriterRequest,
  type WriterStats,
  type WriterStatus,
  type WrittenRecord,
} from "./writers/writer-protocol.js";

// Schema check
export {
  checkTableSchema,
  compareTableSchema,
  tableSchemaRead,
  TG_ACTIONS_FIELDS,
  type ExpectedFields,
  type SchemaCheckResult,
  type TableSchemaRead,
} from "./schema/check-table-schema.js";

// Errors
export {
  AirtableError,
  AirtableAuthenticationError,
  AirtablePermissionError,
  AirtableNotFoundError,
  AirtableInvalidValueError,
  AirtableUnknownFieldError,
  AirtableRequestError,
  AirtableRateLimitError,
  AirtableServerError,
  AirtableNetworkError,
  AirtableSchemaError,
  RATE_LIMIT_PENALTY_MS,
  airtableErrorFrom,
  describeType,
} from "./errors.js";
