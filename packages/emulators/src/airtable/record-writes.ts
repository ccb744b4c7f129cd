import { z } from "zod";
import { makeAirtableId } from "./airtable-ids.js";
import {
  invalidRequest,
  notFound,
  unknownField,
  unprocessable,
} from "./airtable-errors.js";
import { findField, recordToWire } from "./base-store.js";
import type { StoredRecord, StoredTable } from "./base-store.js";
import { cellToStore } from "./field-values.js";
import type { AirtableRecord } from "./table-schema.js";

const MAX_RECORDS = 10;
const fieldsObject = z.record(z.string(), z.unknown());
const writeBody = z.strictObject({
  records: z
    .array(z.strictObject({ id: z.string().optional(), fields: fieldsObject }))
    .optional(),
  fields: fieldsObject.optional(),
  typecast: z.boolean().optional(),
  returnFieldsByFieldId: z.boolean().optional(),
  performUpsert: z
    .strictObject({ fieldsToMergeOn: z.array(z.string()) })
    .optional(),
});
type WriteBody = z.infer<typeof writeBody>;
type Cells = Record<string, unknown>;

/** Validates a create/update body, raising Airtable's 422 for anything it would refuse. */
export function parseWriteBody(body: unknown): WriteBody {
  const parsed = writeBody.safeParse(body);
  if (!parsed.success) throw invalidRequest();
  return parsed.data;
}

function recordsOf(body: WriteBody): { id?: string; fields: Cells }[] {
  if (body.records === undefined) {
    throw unprocessable(
      "INVALID_REQUEST_MISSING_FIELDS",
      'Could not find field "records" in the request body',
    );
  }
  if (body.records.length === 0 || body.records.length > MAX_RECORDS) {
    throw unprocessable(
      "INVALID_RECORDS",
      `You must provide an array of 1 to ${MAX_RECORDS} record objects`,
    );
  }
  return body.records;
}

function cellsFor(table: StoredTable, fields: Cells, typecast: boolean): Cells {
  const cells: Cells = {};
  for (const [key, value] of Object.entries(fields)) {
    const field = findField(table, key);
    if (field === undefined) throw unknownField(key);
    cells[field.id] = cellToStore(field, value, typecast);
  }
  return cells;
}

function insert(table: StoredTable, cells: Cells, now: number): StoredRecord {
  const record: StoredRecord = {
    id: makeAirtableId("rec"),
    createdTime: new Date(now).toISOString(),
    cells: {},
  };
  for (const field of table.fields) {
    if (field.type === "autoNumber")
      record.cells[field.id] = table.nextAutoNumber;
  }
  table.nextAutoNumber += 1;
  apply(record, cells);
  table.records.push(record);
  return record;
}

function apply(record: StoredRecord, cells: Cells): void {
  for (const [id, value] of Object.entries(cells)) {
    if (value === undefined) delete record.cells[id];
    else record.cells[id] = value;
  }
}

function replace(table: StoredTable, record: StoredRecord, cells: Cells): void {
  for (const field of table.fields) {
    if (field.type !== "autoNumber") delete record.cells[field.id];
  }
  apply(record, cells);
}

function byId(table: StoredTable, id: string): StoredRecord {
  const record = table.records.find((candidate) => candidate.id === id);
  if (record === undefined) throw notFound();
  return record;
}

const wire = (table: StoredTable, body: WriteBody) => (record: StoredRecord) =>
  recordToWire(table, record, {
    byFieldId: body.returnFieldsByFieldId === true,
  });

/** Creates 1 to 10 records, or one record from the single-record form `{"fields": {...}}` (answered bare, as Airtable does). */
export function createRecords(
  table: StoredTable,
  body: WriteBody,
  now: number,
): { records: AirtableRecord[] } | AirtableRecord {
  const typecast = body.typecast === true;
  if (body.records === undefined && body.fields !== undefined) {
    return wire(
      table,
      body,
    )(insert(table, cellsFor(table, body.fields, typecast), now));
  }
  const inputs = recordsOf(body);
  if (inputs.some((input) => input.id !== undefined)) throw invalidRequest();
  const prepared = inputs.map((input) =>
    cellsFor(table, input.fields, typecast),
  );
  return {
    records: prepared
      .map((cells) => insert(table, cells, now))
      .map(wire(table, body)),
  };
}

/** Updates one record by id: PATCH merges the given cells, PUT clears the others. */
export function updateRecord(
  table: StoredTable,
  id: string,
  body: WriteBody,
  destructive: boolean,
): AirtableRecord {
  const record = byId(table, id);
  const cells = cellsFor(table, body.fields ?? {}, body.typecast === true);
  if (destructive) replace(table, record, cells);
  else apply(record, cells);
  return wire(table, body)(record);
}

/** Updates 1 to 10 records by id, or upserts them with `performUpsert.fieldsToMergeOn`. */
export function updateRecords(
  table: StoredTable,
  body: WriteBody,
  destructive: boolean,
  now: number,
): {
  records: AirtableRecord[];
  createdRecords?: string[];
  updatedRecords?: string[];
} {
  const typecast = body.typecast === true;
  const inputs = recordsOf(body);
  const mergeOn = body.performUpsert?.fieldsToMergeOn.map(
    (name) => findField(table, name) ?? unknownFieldThrow(name),
  );
  if (mergeOn !== undefined && (mergeOn.length < 1 || mergeOn.length > 3))
    throw invalidRequest();
  const plans = inputs.map((input) => {
    const cells = cellsFor(table, input.fields, typecast);
    if (input.id !== undefined) return { cells, target: byId(table, input.id) };
    if (mergeOn === undefined) throw invalidRequest();
    const key = (source: Cells) =>
      JSON.stringify(mergeOn.map((field) => source[field.id] ?? null));
    const matches = table.records.filter(
      (record) => key(record.cells) === key(cells),
    );
    if (matches.length > 1) {
      throw unprocessable(
        "INVALID_VALUE_FOR_COLUMN",
        `Cannot upsert: ${matches.length} records match the values of ${mergeOn.map((field) => field.name).join(", ")}`,
      );
    }
    return { cells, target: matches[0] };
  });
  const created: string[] = [];
  const updated: string[] = [];
  const records = plans.map(({ cells, target }) => {
    if (target === undefined) {
      const record = insert(table, cells, now);
      created.push(record.id);
      return record;
    }
    if (destructive) replace(table, target, cells);
    else apply(target, cells);
    updated.push(target.id);
    return target;
  });
  const answer = { records: records.map(wire(table, body)) };
  return mergeOn === undefined
    ? answer
    : { ...answer, createdRecords: created, updatedRecords: updated };
}

/** Deletes 1 to 10 records by id. */
export function deleteRecords(
  table: StoredTable,
  ids: string[],
): { records: { id: string; deleted: true }[] } {
  if (ids.length === 0 || ids.length > MAX_RECORDS) {
    throw unprocessable(
      "INVALID_RECORDS",
      `You must provide an array of 1 to ${MAX_RECORDS} record ids`,
    );
  }
  ids.forEach((id) => byId(table, id));
  table.records = table.records.filter((record) => !ids.includes(record.id));
  return { records: ids.map((id) => ({ id, deleted: true as const })) };
}

function unknownFieldThrow(name: string): never {
  throw unknownField(name);
}
