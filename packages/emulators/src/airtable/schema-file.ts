import { readFileSync } from "node:fs";
import { z } from "zod";
import { EmulatorUsageError } from "../errors.js";
import { FIELD_TYPES } from "./table-schema.js";
import type { AirtableSchema } from "./table-schema.js";

const fieldSchema = z.object({
  id: z
    .string()
    .regex(/^fld[A-Za-z0-9]{14}$/)
    .optional(),
  name: z.string().min(1),
  type: z.enum(FIELD_TYPES),
  description: z.string().optional(),
  options: z.record(z.string(), z.unknown()).optional(),
});

const tableSchema = z.object({
  id: z
    .string()
    .regex(/^tbl[A-Za-z0-9]{14}$/)
    .optional(),
  name: z.string().min(1),
  description: z.string().optional(),
  primaryFieldId: z.string().optional(),
  fields: z.array(fieldSchema).min(1),
});

/** The zod schema of one base declaration; the metadata API's table shape (with `views`) is accepted and views are ignored. */
export const baseSchema = z.object({
  id: z
    .string()
    .regex(/^app[A-Za-z0-9]{14}$/)
    .optional(),
  name: z.string().min(1),
  tables: z.array(tableSchema).min(1),
});

const schemaFile = z.object({ bases: z.array(baseSchema) });

/** Validates bases declared as JSON, naming the source and the first problem in the error. */
export function parseAirtableSchema(
  json: unknown,
  source = "Airtable schema",
): AirtableSchema {
  const parsed = schemaFile.safeParse(json);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new EmulatorUsageError(
    `${source}: ${issue?.path.join(".") ?? ""}: ${issue?.message ?? "invalid"}`,
  );
}

/**
 * Reads bases and tables from a JSON file shaped `{"bases": [{"id"?, "name", "tables": [...]}]}`.
 *
 * @example
 * const airtable = await AirtableEmulator.start({ schema: readAirtableSchema("bases.json") });
 */
export function readAirtableSchema(path: string): AirtableSchema {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (cause) {
    throw new EmulatorUsageError(`cannot read Airtable schema ${path}`, {
      cause,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new EmulatorUsageError(`Airtable schema ${path} is not JSON`, {
      cause,
    });
  }
  return parseAirtableSchema(json, path);
}
