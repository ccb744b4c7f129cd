import { z } from "zod";
import { invalidRequest } from "./airtable-errors.js";

const int = z.preprocess(
  (v) => (typeof v === "string" && /^\d+$/.test(v) ? Number(v) : v),
  z.number().int(),
);
const bool = z.preprocess(
  (v) => (v === "true" ? true : v === "false" ? false : v),
  z.boolean(),
);

const listSchema = z.object({
  pageSize: int.pipe(z.number().min(1).max(100)).optional(),
  maxRecords: int.pipe(z.number().min(1)).optional(),
  offset: z.string().optional(),
  fields: z.array(z.string()).optional(),
  sort: z
    .array(
      z.object({
        field: z.string(),
        direction: z.enum(["asc", "desc"]).optional(),
      }),
    )
    .optional(),
  filterByFormula: z.string().optional(),
  view: z.string().optional(),
  cellFormat: z.enum(["json", "string"]).optional(),
  timeZone: z.string().optional(),
  userLocale: z.string().optional(),
  returnFieldsByFieldId: bool.optional(),
  recordMetadata: z.array(z.string()).optional(),
});

/** Options of a list request, from the query string or a listRecords body. */
export type ListOptions = z.infer<typeof listSchema>;

/** Reads list options from a query string in the bracket notation the airtable client writes (`sort[0][field]=x`, `fields[]=a`). */
export function listOptionsFromQuery(params: URLSearchParams): ListOptions {
  const root: Record<string, unknown> = {};
  for (const [key, value] of params) {
    const path = key.replace(/\]/g, "").split("[");
    let node = root;
    path.forEach((part, index) => {
      const last = index === path.length - 1;
      if (last && part === "") return;
      const nextIsArray = path[index + 1] === "";
      if (last || (nextIsArray && index === path.length - 2)) {
        if (nextIsArray) ((node[part] ??= []) as unknown[]).push(value);
        else node[part] = value;
        return;
      }
      node = (node[part] ??= {}) as Record<string, unknown>;
    });
  }
  return listOptionsFromBody(arraysFromIndexedObjects(root));
}

/** Validates list options given as a JSON body. */
export function listOptionsFromBody(body: unknown): ListOptions {
  const parsed = listSchema.safeParse(body ?? {});
  if (!parsed.success) throw invalidRequest();
  return parsed.data;
}

function arraysFromIndexedObjects(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(arraysFromIndexedObjects);
  if (value === null || typeof value !== "object") return value;
  const entries = Object.entries(value);
  const converted = entries.map(
    ([key, inner]) => [key, arraysFromIndexedObjects(inner)] as const,
  );
  if (entries.length > 0 && entries.every(([key]) => /^\d+$/.test(key))) {
    return converted
      .sort((a, b) => Number(a[0]) - Number(b[0]))
      .map(([, inner]) => inner);
  }
  return Object.fromEntries(converted);
}
