import { EmulatorUsageError } from "../errors.js";
import { makeAirtableId } from "./airtable-ids.js";
import { isEmptyCell } from "./field-values.js";
import type { ResolvedField } from "./field-values.js";
import type {
  AirtableRecord,
  FieldSchema,
  TableSchema,
} from "./table-schema.js";

/** A stored record: cells keyed by field id. */
export interface StoredRecord {
  id: string;
  createdTime: string;
  cells: Record<string, unknown>;
}

/** A table with its resolved schema and records in creation order. */
export interface StoredTable {
  id: string;
  name: string;
  description?: string;
  primaryFieldId: string;
  fields: ResolvedField[];
  views: { id: string; name: string; type: "grid" }[];
  records: StoredRecord[];
  nextAutoNumber: number;
}

/** A base and its tables. */
export interface StoredBase {
  id: string;
  name: string;
  tables: StoredTable[];
}

/** Builds a base from table schemas, generating missing table, field and view ids. */
export function buildBase(options: {
  id?: string;
  name: string;
  tables: TableSchema[];
}): StoredBase {
  const id = options.id ?? makeAirtableId("app");
  if (!/^app[A-Za-z0-9]{14}$/.test(id))
    throw new EmulatorUsageError(
      `base id ${id} is not "app" + 14 letters or digits`,
    );
  const tables = options.tables.map((schema): StoredTable => {
    if (schema.fields.length === 0)
      throw new EmulatorUsageError(`table ${schema.name} has no fields`);
    const fields = schema.fields.map((field) => ({
      ...withChoiceIds(structuredClone(field)),
      id: field.id ?? makeAirtableId("fld"),
    }));
    const primaryFieldId = schema.primaryFieldId ?? fields[0]?.id ?? "";
    if (!fields.some((field) => field.id === primaryFieldId)) {
      throw new EmulatorUsageError(
        `primary field ${primaryFieldId} is not a field of ${schema.name}`,
      );
    }
    return {
      id: schema.id ?? makeAirtableId("tbl"),
      name: schema.name,
      ...(schema.description === undefined
        ? {}
        : { description: schema.description }),
      primaryFieldId,
      fields,
      views: [{ id: makeAirtableId("viw"), name: "Grid view", type: "grid" }],
      records: [],
      nextAutoNumber: 1,
    };
  });
  return { id, name: options.name, tables };
}

// Declared select choices may omit ids; the metadata API always has them.
function withChoiceIds(field: FieldSchema): FieldSchema {
  const choices = field.options?.choices;
  if (field.type !== "singleSelect") return field;
  if (choices !== undefined && !Array.isArray(choices))
    throw new EmulatorUsageError(`choices of ${field.name} must be a list`);
  return {
    ...field,
    options: {
      ...field.options,
      choices: ((choices ?? []) as { id?: unknown; name?: unknown }[]).map(
        (choice) => {
          if (typeof choice.name !== "string")
            throw new EmulatorUsageError(
              `a choice of ${field.name} has no name`,
            );
          return {
            ...choice,
            id:
              typeof choice.id === "string" ? choice.id : makeAirtableId("sel"),
          };
        },
      ),
    },
  };
}

/** Finds a table by id or name, as Airtable accepts both in the URL. */
export function findTable(
  base: StoredBase,
  idOrName: string,
): StoredTable | undefined {
  return (
    base.tables.find((table) => table.id === idOrName) ??
    base.tables.find((table) => table.name === idOrName)
  );
}

/** Finds a field by name or id. */
export function findField(
  table: StoredTable,
  nameOrId: string,
): ResolvedField | undefined {
  return (
    table.fields.find((field) => field.name === nameOrId) ??
    table.fields.find((field) => field.id === nameOrId)
  );
}

/** Renders a stored record as the API returns it, omitting empty cells. */
export function recordToWire(
  table: StoredTable,
  record: StoredRecord,
  options: { only?: ReadonlySet<string>; byFieldId?: boolean } = {},
): AirtableRecord {
  const fields: Record<string, unknown> = {};
  for (const field of table.fields) {
    if (options.only !== undefined && !options.only.has(field.id)) continue;
    const value =
      field.type === "createdTime"
        ? record.createdTime
        : record.cells[field.id];
    if (!isEmptyCell(value))
      fields[options.byFieldId === true ? field.id : field.name] = value;
  }
  return { id: record.id, createdTime: record.createdTime, fields };
}

/** Describes a table as `GET /v0/meta/bases/{baseId}/tables` does. */
export function tableToMeta(table: StoredTable): unknown {
  return {
    id: table.id,
    name: table.name,
    ...(table.description === undefined
      ? {}
      : { description: table.description }),
    primaryFieldId: table.primaryFieldId,
    fields: table.fields.map((field) => ({
      id: field.id,
      name: field.name,
      type: field.type,
      ...(field.description === undefined
        ? {}
        : { description: field.description }),
      ...(field.options === undefined ? {} : { options: field.options }),
    })),
    views: table.views,
  };
}
