import {
  AirtablePermissionError,
  AirtableSchemaError,
  describeType,
} from "../errors.js";
import type { AirtableHook } from "../hooks/airtable-hook.js";

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

/**
 * Reads the table through the metadata API and throws one {@link AirtableSchemaError} naming base, table, and every
 * missing or mistyped column with the type found and the type wanted; skips (checked: false) without `schema.bases:read`.
 */
export async function checkTableSchema(
  hook: AirtableHook,
  table: string,
  expected: ExpectedFields,
): Promise<SchemaCheckResult> {
  const where = { base_id: hook.baseId, table };
  let tables;
  try {
    tables = await hook.listTables();
  } catch (error) {
    if (!(error instanceof AirtablePermissionError)) throw error;
    const reason = `the token may not read base ${hook.baseId}'s schema (scope schema.bases:read), so table "${table}" was not checked`;
    return { checked: false, ...where, reason };
  }
  const meta = tables.find((t) => t.name === table || t.id === table);
  if (!meta) {
    const names = tables.map((t) => `"${t.name}"`).join(", ") || "none";
    const mismatches = Object.entries(expected).map(([field, wanted]) => ({
      field,
      found: null,
      wanted,
    }));
    throw new AirtableSchemaError(
      `Airtable base ${hook.baseId} has no table "${table}" (its tables: ${names})`,
      mismatches,
    );
  }
  const mismatches = Object.entries(expected).flatMap(([field, wanted]) => {
    const found = meta.fields.find((f) => f.name === field)?.type ?? null;
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
    `Airtable base ${hook.baseId}, table "${meta.name}": ${lines.join("; ")}`,
    mismatches,
  );
}
