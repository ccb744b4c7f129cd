import { makeAirtableId } from "./airtable-ids.js";
import { unknownField, unprocessable } from "./airtable-errors.js";
import { findField, recordToWire } from "./base-store.js";
import type { StoredRecord, StoredTable } from "./base-store.js";
import {
  FormulaSyntaxError,
  parseFormula,
  truthy,
  UnknownFormulaField,
} from "./formula.js";
import type { FormulaValue } from "./formula.js";
import type { ListOptions } from "./list-options.js";
import type { AirtableRecord } from "./table-schema.js";

/** Lists a page of records with Airtable's filtering, sorting, field selection and offset pagination. */
export function listRecords(
  table: StoredTable,
  options: ListOptions,
): { records: AirtableRecord[]; offset?: string } {
  if (
    options.view !== undefined &&
    !table.views.some(
      (view) => view.id === options.view || view.name === options.view,
    )
  ) {
    throw unprocessable(
      "VIEW_NAME_NOT_FOUND",
      `Could not find view ${options.view} in table ${table.name}`,
    );
  }
  const only =
    options.fields === undefined
      ? undefined
      : new Set(options.fields.map((name) => fieldId(table, name)));
  let records = table.records.slice();
  const formulaText = options.filterByFormula?.trim() ?? "";
  if (formulaText !== "")
    records = records.filter(filterFor(table, formulaText));
  for (const rule of (options.sort ?? []).slice().reverse()) {
    const field = findField(table, rule.field);
    if (field === undefined) throw unknownField(rule.field);
    const sign = rule.direction === "desc" ? -1 : 1;
    records.sort(
      (a, b) =>
        sign *
        compareCells(
          cellValue(table, a, field.id),
          cellValue(table, b, field.id),
        ),
    );
  }
  if (options.maxRecords !== undefined)
    records = records.slice(0, options.maxRecords);
  let start = 0;
  if (options.offset !== undefined) {
    const nextId = /^itr[A-Za-z0-9]{14}\/(rec[A-Za-z0-9]{14})$/.exec(
      options.offset,
    )?.[1];
    start =
      nextId === undefined
        ? -1
        : records.findIndex((record) => record.id === nextId);
    if (start < 0) {
      throw unprocessable(
        "LIST_RECORDS_ITERATOR_NOT_AVAILABLE",
        "This list records iterator is no longer available",
      );
    }
  }
  const pageSize = options.pageSize ?? 100;
  const page = records.slice(start, start + pageSize);
  const next = records[start + pageSize];
  const byFieldId = options.returnFieldsByFieldId === true;
  return {
    records: page.map((record) =>
      recordToWire(table, record, {
        ...(only === undefined ? {} : { only }),
        byFieldId,
      }),
    ),
    ...(next === undefined
      ? {}
      : { offset: `${makeAirtableId("itr")}/${next.id}` }),
  };
}

function fieldId(table: StoredTable, name: string): string {
  const field = findField(table, name);
  if (field === undefined) throw unknownField(name);
  return field.id;
}

function filterFor(
  table: StoredTable,
  text: string,
): (record: StoredRecord) => boolean {
  try {
    const formula = parseFormula(
      text,
      (name) => findField(table, name) !== undefined,
    );
    return (record) => {
      const cell = (name: string): FormulaValue => {
        const field = findField(table, name);
        const value =
          field === undefined ? undefined : cellValue(table, record, field.id);
        if (value === undefined || value === null)
          return field?.type === "checkbox" ? false : null;
        return typeof value === "string" ||
          typeof value === "number" ||
          typeof value === "boolean"
          ? value
          : JSON.stringify(value);
      };
      return truthy(formula(cell, record.id));
    };
  } catch (error) {
    if (error instanceof UnknownFormulaField) {
      throw unprocessable(
        "INVALID_FILTER_BY_FORMULA",
        `The formula for filtering records is invalid: Unknown field names: ${error.field}`,
      );
    }
    if (error instanceof FormulaSyntaxError) {
      throw unprocessable(
        "INVALID_FILTER_BY_FORMULA",
        "The formula for filtering records is invalid: Invalid formula. Please check your formula text.",
      );
    }
    throw error;
  }
}

function cellValue(
  table: StoredTable,
  record: StoredRecord,
  id: string,
): unknown {
  const field = table.fields.find((candidate) => candidate.id === id);
  return field?.type === "createdTime" ? record.createdTime : record.cells[id];
}

function compareCells(a: unknown, b: unknown): number {
  if (a === b) return 0;
  // Airtable sorts empty cells first when ascending.
  if (a === undefined || a === null) return -1;
  if (b === undefined || b === null) return 1;
  if (typeof a === "number" && typeof b === "number") return a - b;
  const text = (value: unknown) =>
    typeof value === "string" ? value : JSON.stringify(value);
  return text(a).localeCompare(text(b));
}
