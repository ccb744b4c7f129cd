/** Airtable field types the emulator understands, by their API names. */
export const FIELD_TYPES = [
  "singleLineText",
  "multilineText",
  "email",
  "url",
  "phoneNumber",
  "number",
  "currency",
  "percent",
  "checkbox",
  "date",
  "dateTime",
  "autoNumber",
  "createdTime",
  "singleSelect",
] as const;

/** One of {@link FIELD_TYPES}. */
export type FieldType = (typeof FIELD_TYPES)[number];

/** One field (column) of a table, as the metadata API describes it; ids are generated when omitted. */
export interface FieldSchema {
  id?: string;
  name: string;
  type: FieldType;
  description?: string;
  options?: Record<string, unknown>;
}

/** One table of a base, as the metadata API describes it; ids are generated when omitted. */
export interface TableSchema {
  id?: string;
  name: string;
  description?: string;
  /** Defaults to the first field. */
  primaryFieldId?: string;
  fields: FieldSchema[];
}

/** A base to create: its tables, and an id ("app" + 14 letters or digits) generated when omitted. */
export interface BaseSchema {
  id?: string;
  name: string;
  tables: TableSchema[];
}

/** Bases to declare at start-up, as a JSON schema file holds them: `{"bases": [...]}`. */
export interface AirtableSchema {
  bases: BaseSchema[];
}

/** A record as the REST API returns it: cell values keyed by field name, empty cells omitted. */
export interface AirtableRecord {
  id: string;
  createdTime: string;
  fields: Record<string, unknown>;
}

/** Field types whose values Airtable computes and no request may write. */
export const COMPUTED_TYPES: ReadonlySet<FieldType> = new Set([
  "autoNumber",
  "createdTime",
]);
