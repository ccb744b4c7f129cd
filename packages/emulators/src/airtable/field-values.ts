import { COMPUTED_TYPES } from "./table-schema.js";
import type { FieldSchema, FieldType } from "./table-schema.js";
import { unprocessable } from "./airtable-errors.js";
import { makeAirtableId } from "./airtable-ids.js";

/** A field with its id and options resolved. */
export type ResolvedField = FieldSchema & { id: string };

const TEXT: ReadonlySet<FieldType> = new Set([
  "singleLineText",
  "multilineText",
  "email",
  "url",
  "phoneNumber",
]);
const NUMERIC: ReadonlySet<FieldType> = new Set([
  "number",
  "currency",
  "percent",
  "autoNumber",
]);
const ISO_DATE_TIME =
  /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

const cannotAccept = (field: FieldSchema) =>
  unprocessable(
    "INVALID_VALUE_FOR_COLUMN",
    `Field "${field.name}" cannot accept the provided value`,
  );

/** Checks a written cell value against its field type and returns what is stored (undefined clears the cell). */
export function cellToStore(
  field: ResolvedField,
  value: unknown,
  typecast: boolean,
): unknown {
  if (COMPUTED_TYPES.has(field.type)) {
    throw unprocessable(
      "INVALID_VALUE_FOR_COLUMN",
      `Field "${field.name}" cannot accept a value because the field is computed`,
    );
  }
  if (value === null || value === undefined) return undefined;
  if (TEXT.has(field.type)) {
    if (typeof value === "string") return value === "" ? undefined : value;
    if (typecast && (typeof value === "number" || typeof value === "boolean"))
      return String(value);
    throw cannotAccept(field);
  }
  if (NUMERIC.has(field.type)) {
    if (typeof value === "number" && Number.isFinite(value)) return value;
    const parsed =
      typeof value === "string" && value.trim() !== "" ? Number(value) : NaN;
    if (typecast && Number.isFinite(parsed)) return parsed;
    throw cannotAccept(field);
  }
  if (field.type === "checkbox") {
    if (typeof value === "boolean") return value ? true : undefined;
    if (typecast)
      return value === "false" || value === "0" || value === "" || value === 0
        ? undefined
        : true;
    throw cannotAccept(field);
  }
  if (field.type === "date" || field.type === "dateTime") {
    const text = typeof value === "string" ? value.trim() : "";
    const ms =
      ISO_DATE_TIME.test(text) || (typecast && text !== "")
        ? Date.parse(text)
        : NaN;
    if (Number.isNaN(ms)) throw cannotAccept(field);
    const iso = new Date(ms).toISOString();
    return field.type === "date" ? iso.slice(0, 10) : iso;
  }
  if (field.type === "singleSelect") {
    const name =
      typecast && (typeof value === "number" || typeof value === "boolean")
        ? String(value)
        : value;
    if (typeof name !== "string") throw cannotAccept(field);
    if (name === "") return undefined;
    const choices = selectChoices(field);
    if (choices.some((choice) => choice.name === name)) return name;
    if (!typecast) {
      throw unprocessable(
        "INVALID_MULTIPLE_CHOICE_OPTIONS",
        `Insufficient permissions to create new select option ""${name}""`,
      );
    }
    choices.push({ id: makeAirtableId("sel"), name });
    field.options = { ...field.options, choices };
    return name;
  }
  throw cannotAccept(field);
}

/** Tells whether a stored cell counts as empty, so the API omits it. */
export function isEmptyCell(value: unknown): boolean {
  return (
    value === undefined ||
    value === null ||
    value === "" ||
    value === false ||
    (Array.isArray(value) && value.length === 0)
  );
}

function selectChoices(field: FieldSchema): { id: string; name: string }[] {
  const choices = field.options?.choices;
  return Array.isArray(choices)
    ? (choices as { id: string; name: string }[])
    : [];
}
