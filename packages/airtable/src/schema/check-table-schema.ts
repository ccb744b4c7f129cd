import {
  AirtablePermissionError,
  AirtableSchemaError,
  describeType,
} from "../errors.js";
import type { AirtableHook } from "../hooks/airtable-hook.js";
import type { TableMeta } from "../hooks/airtable-types.js";

/** The columns a task writes, each with the Airtable types that take its values. */
export type ExpectedFields = Readonly<Record<string, readonly string[]>>;

const TEXT = ["singleLineText", "multilineText"] as const;

/** `tg_actions` as the course specifies it: every column text but `triggered_at`, a date-time. */
export const TG_ACTIONS_FIELDS: ExpectedFields = {
  chat_id: TEXT,
  username: TEXT,
  triggered_at: ["dateTime"],
  event_type: TEXT,
  reporter_name: TEXT,
};

/** What a schema check found: checked, or skipped because the token may not read the schema. */
export type SchemaCheckResult =
  | { checked: true; base_id: string; table: string }
  | { checked: false; base_id: string; table: string; reason: string };

/** What the metadata API said about one table of a base, and when it was read (epoch ms); plain JSON, so runs can share it. */
export type TableSchemaRead = {
  readonly base_id: string;
  readonly table: string;
  readonly read_at: number;
} & (
  | {
      readonly kind: "table";
      readonly name: string;
      readonly fields: { readonly name: string; readonly type: string }[];
    }
  /** The base has no such table; these are the tables it has. */
  | { readonly kind: "missing"; readonly tables: string[] }
  /** The token may not read the base's schema (no `schema.bases:read`). */
  | { readonly kind: "unreadable" }
);

/** Turns the metadata API's answer (null when the token may not read it) into what is known of one table. */
export function tableSchemaRead(
  baseId: string,
  table: string,
  tables: readonly TableMeta[] | null,
  readAt: number,
): TableSchemaRead {
  const where = { base_id: baseId, table, read_at: readAt };
  if (tables === null) return { ...where, kind: "unreadable" };
  const meta = tables.find((t) => t.name === table || t.id === table);
  if (!meta)
    return { ...where, kind: "missing", tables: tables.map((t) => t.name) };
  return {
    ...where,
    kind: "table",
    name: meta.name,
    fields: meta.fields.map((f) => ({ name: f.name, type: f.type })),
  };
}

/**
 * Reads the table through the metadata API and throws one {@link AirtableSchemaError} naming base, table, and every
 * missing or mistyped column with the type found and the type wanted; skips (checked: false) without `schema.bases:read`.
 */
export async function checkTableSchema(
  hook: AirtableHook,
  table: string,
  expected: ExpectedFields,
): Promise<SchemaCheckResult> {
  let tables: TableMeta[] | null;
  try {
    tables = await hook.listTables();
  } catch (error) {
    if (!(error instanceof AirtablePermissionError)) throw error;
    tables = null;
  }
  return compareTableSchema(
    tableSchemaRead(hook.baseId, table, tables, Date.now()),
    expected,
  );
}

/**
 * Compares what is known of a table with the columns a task writes: throws one {@link AirtableSchemaError} naming
 * base, table, and every missing or mistyped column with the type found and the type wanted.
 */
export function compareTableSchema(
  read: TableSchemaRead,
  expected: ExpectedFields,
): SchemaCheckResult {
  const { base_id, table } = read;
  const where = { base_id, table };
  if (read.kind === "unreadable") {
    const reason = `the token may not read base ${base_id}'s schema (scope schema.bases:read), so table "${table}" was not checked`;
    return { checked: false, ...where, reason };
  }
  if (read.kind === "missing") {
    const names = read.tables.map((t) => `"${t}"`).join(", ") || "none";
    const mismatches = Object.entries(expected).map(([field, wanted]) => ({
      field,
      found: null,
      wanted,
    }));
    throw new AirtableSchemaError(
      `Airtable base ${base_id} has no table "${table}" (its tables: ${names})`,
      mismatches,
    );
  }
  const mismatches = Object.entries(expected).flatMap(([field, wanted]) => {
    const found = read.fields.find((f) => f.name === field)?.type ?? null;
    return found !== null && wanted.includes(found)
      ? []
      : [{ field, found, wanted }];
  });
  if (mismatches.length === 0) return { checked: true, ...where };
  const lines = mismatches.map(({ field, found, wanted }) =>
    found === null
      ? `column "${field}" is missing; wanted ${wanted.join(" or ")} (${describeType(wanted[0] ?? "")})`
      : `column "${field}" is ${found}; wanted ${wanted.join(" or ")} (${describeType(wanted[0] ?? "")})`,
  );
  throw new AirtableSchemaError(
    `Airtable base ${base_id}, table "${read.name}": ${lines.join("; ")}`,
    mismatches,
  );
}
