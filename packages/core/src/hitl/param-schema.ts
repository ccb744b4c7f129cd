import type { Json } from "../json.js";

const TYPE_NAMES: Record<string, (value: Json) => boolean> = {
  string: (v) => typeof v === "string",
  number: (v) => typeof v === "number" && Number.isFinite(v),
  integer: (v) => typeof v === "number" && Number.isInteger(v),
  boolean: (v) => typeof v === "boolean",
  array: (v) => Array.isArray(v),
  object: (v) => typeof v === "object" && v !== null && !Array.isArray(v),
  null: (v) => v === null,
};

const FORMATS: Record<string, (value: string) => boolean> = {
  "date-time": (v) =>
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(
      v,
    ) && !Number.isNaN(Date.parse(v)),
  date: (v) =>
    /^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(Date.parse(`${v}T00:00Z`)),
  time: (v) => /^\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(v),
  email: (v) => /^[^\s@]+@[^\s@]+$/.test(v),
};

const num = (schema: Readonly<Record<string, Json>>, key: string) =>
  typeof schema[key] === "number" ? schema[key] : undefined;

/**
 * Why `value` does not satisfy `schema`, or null when it does: the JSON Schema keywords Airflow's form renders for a
 * param (`type`, `enum`, `const`, `minimum`/`maximum` and their exclusive forms, `minLength`/`maxLength`, `pattern`,
 * `format`, `items`, `minItems`/`maxItems`). Other keywords are not checked.
 *
 * @example
 * checkParamValue({ type: "integer", minimum: 1 }, 0); // "must be ≥ 1"
 */
export function checkParamValue(
  schema: Readonly<Record<string, Json>>,
  value: Json,
): string | null {
  const type = schema.type;
  const types =
    typeof type === "string"
      ? [type]
      : Array.isArray(type)
        ? type.filter((t): t is string => typeof t === "string")
        : [];
  if (types.length > 0 && !types.some((t) => TYPE_NAMES[t]?.(value) ?? true))
    return `must be of type ${types.join(" or ")}, got ${JSON.stringify(value)}`;
  if (
    Array.isArray(schema.enum) &&
    !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))
  )
    return `must be one of ${JSON.stringify(schema.enum)}, got ${JSON.stringify(value)}`;
  if (
    "const" in schema &&
    JSON.stringify(schema.const) !== JSON.stringify(value)
  )
    return `must be ${JSON.stringify(schema.const)}`;
  if (typeof value === "number") {
    const min = num(schema, "minimum");
    const max = num(schema, "maximum");
    const xmin = num(schema, "exclusiveMinimum");
    const xmax = num(schema, "exclusiveMaximum");
    if (min !== undefined && value < min) return `must be ≥ ${min}`;
    if (max !== undefined && value > max) return `must be ≤ ${max}`;
    if (xmin !== undefined && value <= xmin) return `must be > ${xmin}`;
    if (xmax !== undefined && value >= xmax) return `must be < ${xmax}`;
  }
  if (typeof value === "string") {
    const minLength = num(schema, "minLength");
    const maxLength = num(schema, "maxLength");
    const length = [...value].length;
    if (minLength !== undefined && length < minLength)
      return `must be at least ${minLength} characters long`;
    if (maxLength !== undefined && length > maxLength)
      return `must be at most ${maxLength} characters long`;
    if (
      typeof schema.pattern === "string" &&
      !new RegExp(schema.pattern, "u").test(value)
    )
      return `must match the pattern ${schema.pattern}`;
    const name = typeof schema.format === "string" ? schema.format : "";
    const format = FORMATS[name];
    if (format && !format(value))
      return `must be a ${name}, got ${JSON.stringify(value)}`;
  }
  if (Array.isArray(value)) {
    const minItems = num(schema, "minItems");
    const maxItems = num(schema, "maxItems");
    if (minItems !== undefined && value.length < minItems)
      return `must hold at least ${minItems} items`;
    if (maxItems !== undefined && value.length > maxItems)
      return `must hold at most ${maxItems} items`;
    const items = schema.items;
    if (typeof items === "object" && items !== null && !Array.isArray(items))
      for (const [i, item] of value.entries()) {
        const why = checkParamValue(items, item);
        if (why) return `item ${i} ${why}`;
      }
  }
  return null;
}
