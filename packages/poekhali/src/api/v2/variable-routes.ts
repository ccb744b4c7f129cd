import { Hono } from "hono";
import { z } from "zod";
import { MAX_VARIABLE_KEY_LENGTH, type StoredVariable } from "@poekhali/core";
import type { VariableChange } from "@poekhali/core/airflow";
import type { Variables } from "../variables.js";
import { ordering, pageParams, patternMatcher, sortBy } from "./list-query.js";
import { maskVariableValue } from "./variable-mask.js";
import { V2Error, parseOrThrow } from "./v2-error.js";
import { JsonValue } from "./airflow-v2-contract.js";
import type { V2Env } from "./v2-options.js";

/** Airflow's `VariableBody`: a key of 1 to 250 characters, any JSON value, and no team (single-team mode). */
export const variableBody = z.strictObject({
  key: z
    .string()
    .min(1, "String should have at least 1 character")
    .max(
      MAX_VARIABLE_KEY_LENGTH,
      `String should have at most ${MAX_VARIABLE_KEY_LENGTH} characters`,
    ),
  value: JsonValue,
  description: z.string().nullish(),
  team_name: z
    .string()
    .max(50, "String should have at most 50 characters")
    .nullish()
    .refine((team) => team == null, {
      message:
        "Value error, team_name cannot be set when multi_team mode is disabled. Please contact your administrator.",
    }),
});

/** The attributes a list may be ordered by (Airflow's; `id`, its insertion order, is the key order here). */
const VARIABLE_ORDER = [
  "key",
  "id",
  "_val",
  "description",
  "is_encrypted",
  "team_name",
];

/** What `update_mask` may name: VariableBody's fields and the alias of `value`. */
const MASKABLE = ["description", "key", "team_name", "val", "value"];

/** A JSON value as Airflow stores it: a string as it is, anything else JSON-encoded. */
const stored = (value: z.infer<typeof variableBody>["value"]) =>
  typeof value === "string" ? value : JSON.stringify(value);

/** Airflow's `VariableResponse`, with the value masked when its key or a field of it looks secret. */
function variableResponse(key: string, variable: StoredVariable) {
  return {
    key,
    value: maskVariableValue(key, variable.value),
    description: variable.description,
    is_encrypted: false,
    team_name: null,
  };
}

const notFound = (key: string) =>
  new V2Error(404, `The Variable with key: \`${key}\` was not found`);

/**
 * `/api/v2/variables`: list (limit, offset, order_by, variable_key_pattern), create (201, 409 when the key exists),
 * one Variable, PATCH (update_mask) and DELETE (204). Values live in Restate; values of sensitive keys are masked.
 */
export function variableRoutes(variables: Variables): Hono<V2Env> {
  const app = new Hono<V2Env>();
  const base = "/api/v2/variables";
  // Airflow's `{variable_key:path}`: a key may hold slashes.
  const one = `${base}/:variable_key{.+}`;

  app.get(base, async (c) => {
    const { limit, offset } = pageParams(c);
    const order = ordering(c.req.queries("order_by") ?? ["id"], VARIABLE_ORDER);
    const keyMatches = patternMatcher(c.req.query("variable_key_pattern"));
    const matching = (await variables.list()).filter((v) => keyMatches(v.key));
    const sorted = sortBy(
      matching,
      order,
      (v, key) =>
        key === "key" || key === "id"
          ? v.key
          : key === "_val"
            ? v.value
            : key === "description"
              ? v.description
              : null,
      (v) => v.key,
    );
    return c.json({
      variables: sorted
        .slice(offset, offset + limit)
        .map((v) => variableResponse(v.key, v)),
      total_entries: matching.length,
    });
  });

  app.post(base, async (c) => {
    const body = parseOrThrow("body", variableBody, c.get("body"));
    const variable = {
      value: stored(body.value),
      description: body.description ?? null,
    };
    if (!(await variables.create(body.key, variable)))
      throw new V2Error(
        409,
        `The Variable with key: \`${body.key}\` already exists`,
      );
    return c.json(variableResponse(body.key, variable), 201);
  });

  app.get(one, async (c) => {
    const key = c.req.param("variable_key");
    const found = await variables.get(key);
    if (!found) throw notFound(key);
    return c.json(variableResponse(key, found));
  });

  app.patch(one, async (c) => {
    const key = c.req.param("variable_key");
    const raw = c.get("body");
    const body = parseOrThrow("body", variableBody, raw);
    if (body.key !== key)
      throw new V2Error(
        400,
        "Invalid body, key from request body doesn't match uri parameter",
      );
    const mask = c.req.queries("update_mask")?.map((f) => f.trim());
    const unknown = mask?.filter((f) => !MASKABLE.includes(f)) ?? [];
    if (unknown.length > 0 || mask?.includes("key")) {
      // As Airflow: an unknown key is a 404 before a bad mask is a 400.
      if (!(await variables.get(key))) throw notFound(key);
      if (unknown.length > 0)
        throw new V2Error(
          400,
          `Unknown field(s) in update_mask: ${[...new Set(unknown)]
            .sort()
            .map((f) => `'${f}'`)
            .join(", ")}. Valid fields are: ${MASKABLE.join(", ")}.`,
        );
      throw new V2Error(
        400,
        "Update not allowed: the following fields are immutable and cannot be modified: {'key'}",
      );
    }
    // As Airflow: the fields the body gives, narrowed to the mask when there is one.
    const given = (field: string) =>
      typeof raw === "object" &&
      raw !== null &&
      field in raw &&
      (mask === undefined || mask.length === 0 || mask.includes(field));
    const change: VariableChange = {
      ...(given("value") && { value: stored(body.value) }),
      ...(given("description") && { description: body.description ?? null }),
    };
    const updated = await variables.update(key, change);
    if (!updated) throw notFound(key);
    return c.json(variableResponse(key, updated));
  });

  app.delete(one, async (c) => {
    const key = c.req.param("variable_key");
    if (!(await variables.delete(key))) throw notFound(key);
    return c.body(null, 204);
  });

  return app;
}
