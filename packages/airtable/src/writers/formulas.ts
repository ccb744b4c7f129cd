import type { Fields } from "../hooks/airtable-types.js";

const ISO_DATE_TIME =
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

/** A value as an Airtable formula literal. */
export function formulaLiteral(value: string | number | boolean): string {
  if (typeof value === "number") return String(value);
  if (typeof value === "boolean") return value ? "TRUE()" : "FALSE()";
  return `'${value.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

/** A field reference in a formula. */
export function fieldRef(name: string): string {
  return `{${name.replace(/}/g, "\\}")}}`;
}

/**
 * A formula true for records that may be one of these rows, on the identifying fields that compare reliably in
 * formulas (text and numbers; date-times are left to {@link sameValue}); null when none can narrow it.
 */
export function formulaMatching(
  rows: readonly Fields[],
  identifyBy: readonly string[],
): string | null {
  const clauses = rows.map((fields) => {
    const parts = identifyBy.flatMap((name) => {
      const value = fields[name];
      if (typeof value === "string" && ISO_DATE_TIME.test(value)) return [];
      if (
        typeof value === "string" ||
        typeof value === "number" ||
        typeof value === "boolean"
      )
        return [`${fieldRef(name)}=${formulaLiteral(value)}`];
      return [];
    });
    return parts.length === 0
      ? null
      : parts.length === 1
        ? parts[0]!
        : `AND(${parts.join(",")})`;
  });
  if (clauses.some((c) => c === null)) return null;
  const unique = [...new Set(clauses as string[])];
  return unique.length === 1 ? unique[0]! : `OR(${unique.join(",")})`;
}

/** Whether a stored value is the written one, reading date-times as instants ("…00.000Z" equals "…00Z"). */
export function sameValue(stored: unknown, written: unknown): boolean {
  if (stored === written) return true;
  if (
    (stored === undefined || stored === "") &&
    (written === null || written === "")
  )
    return true;
  if (
    typeof stored === "string" &&
    typeof written === "string" &&
    ISO_DATE_TIME.test(stored) &&
    ISO_DATE_TIME.test(written)
  ) {
    return Date.parse(stored) === Date.parse(written);
  }
  return JSON.stringify(stored) === JSON.stringify(written);
}
