import { checkParamValue, type HITLParam, type Json } from "@poekhali/core";
import type { HitlLanguage } from "./hitl-texts.js";

/** A form field's value read from a person's reply, or why the reply is no value of the field. */
export type FieldValue =
  | { readonly ok: true; readonly value: Json }
  | { readonly ok: false; readonly why: string };

type Schema = Readonly<Record<string, Json>>;

const YES = new Set(["yes", "y", "true", "on", "1", "да", "д", "ага", "верно"]);
const NO = new Set(["no", "n", "false", "off", "0", "нет", "н", "неверно"]);

/** Why a reply could not be read as a type, in the replier's language. */
const UNREADABLE: Record<string, Record<HitlLanguage, string>> = {
  integer: { en: "not a whole number", ru: "это не целое число" },
  number: { en: "not a number", ru: "это не число" },
  boolean: {
    en: "not a yes or a no",
    ru: "это не «да» и не «нет»",
  },
  array: {
    en: "not a list (JSON, or items separated by commas)",
    ru: "это не список (JSON или элементы через запятую)",
  },
  object: { en: "not a JSON object", ru: "это не объект JSON" },
  null: { en: "not null", ru: "это не null" },
};

/** The types a schema allows, most specific first, so that "3" is a number before it is a string. */
const ORDER = ["null", "boolean", "integer", "number", "array", "object"];

function typesOf(schema: Schema): string[] {
  const type = schema.type;
  const given =
    typeof type === "string"
      ? [type]
      : Array.isArray(type)
        ? type.filter((t): t is string => typeof t === "string")
        : [];
  if (given.length > 0)
    return [
      ...ORDER.filter((t) => given.includes(t)),
      ...(given.includes("string") ? ["string"] : []),
    ];
  // Without a type, an enum or const of non-strings says what to read the text as.
  const named = Array.isArray(schema.enum)
    ? schema.enum
    : "const" in schema
      ? [schema.const ?? null]
      : [];
  return named.length > 0 && named.every((v) => typeof v !== "string")
    ? ["json"]
    : ["string"];
}

function readNumber(text: string): number | undefined {
  // People write "3,5" in Russian and "1 000" anywhere.
  const plain = text
    .replace(/[\s_\u00a0]/g, "")
    .replace(/^([+-]?\d+),(\d+)$/, "$1.$2");
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(plain)) return undefined;
  const value = Number(plain);
  return Number.isFinite(value) ? value : undefined;
}

function readJson(text: string): Json | undefined {
  try {
    return JSON.parse(text) as Json;
  } catch {
    return undefined;
  }
}

/** Reads a list written as items separated by commas or lines, each item read by the `items` schema. */
function readList(text: string, schema: Schema): Json | undefined {
  const json = readJson(text);
  if (Array.isArray(json)) return json;
  const items =
    typeof schema.items === "object" &&
    schema.items !== null &&
    !Array.isArray(schema.items)
      ? schema.items
      : {};
  const parts = text
    .split(text.includes("\n") ? /\n/ : /,/)
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
  const values: Json[] = [];
  for (const part of parts) {
    const read = fieldValue(part, items, "en");
    if (!read.ok) return undefined;
    values.push(read.value);
  }
  return values;
}

/** The text read as one type, or undefined when it is no value of that type. */
function readAs(type: string, text: string, schema: Schema): Json | undefined {
  const trimmed = text.trim();
  switch (type) {
    case "null":
      return trimmed.toLowerCase() === "null" ? null : undefined;
    case "boolean": {
      const word = trimmed.toLowerCase().replace(/[.!]+$/, "");
      return YES.has(word) ? true : NO.has(word) ? false : undefined;
    }
    case "integer": {
      const value = readNumber(trimmed);
      return value !== undefined && Number.isInteger(value) ? value : undefined;
    }
    case "number":
      return readNumber(trimmed);
    case "array":
      return readList(trimmed, schema);
    case "object": {
      const value = readJson(trimmed);
      return typeof value === "object" &&
        value !== null &&
        !Array.isArray(value)
        ? value
        : undefined;
    }
    case "json":
      return readJson(trimmed);
    default:
      return text;
  }
}

/**
 * Reads a person's reply as a value of a form field and checks it against the field's JSON Schema: numbers (a
 * decimal comma too), whole numbers, yes/no in English or Russian, lists (JSON, or items separated by commas or
 * lines), JSON objects; strings as they are. On failure, why — in the replier's language where the reading failed,
 * in the schema checker's words where the value broke a rule of the schema.
 *
 * @example
 * fieldValue("3,5", { type: "number", minimum: 1 }, "ru"); // { ok: true, value: 3.5 }
 */
export function fieldValue(
  text: string,
  schema: Schema,
  language: HitlLanguage,
): FieldValue {
  const types = typesOf(schema);
  let broken: string | undefined;
  for (const type of types) {
    const value = readAs(type, text, schema);
    if (value === undefined) continue;
    const why = checkParamValue(schema, value);
    if (why === null) return { ok: true, value };
    broken ??= why;
  }
  if (broken !== undefined) return { ok: false, why: broken };
  const first = types[0] ?? "string";
  return {
    ok: false,
    why:
      UNREADABLE[first]?.[language] ??
      (language === "ru" ? "это не JSON" : "not JSON"),
  };
}

/** The value a field keeps when the person asks to keep it, or undefined when it has none to keep. */
export function keptValue(param: HITLParam): Json | undefined {
  return param.value === null || param.value === undefined
    ? undefined
    : param.value;
}
