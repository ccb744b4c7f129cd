import type { z } from "zod";
import { ConfError } from "./errors.js";
import type { JsonObject } from "./json.js";

const PARAM = Symbol("poekhali.param");

/** A reference to one of the DAG's params, resolved to its value when a task runs (Airflow's `{{ params.x }}`). */
export interface ParamRef<T> {
  readonly [PARAM]: true;
  readonly name: string;
  /** Phantom field carrying the value's type; never set at run time. */
  readonly __type?: T;
}

/** Typed references to every param of a DAG, as handed to its build function. */
export type ParamRefs<P> = { readonly [K in keyof P]-?: ParamRef<P[K]> };

/** The schema type a DAG's params are declared with: a zod object. */
export type ParamsSchema = z.ZodObject;

/** Tells a param reference apart from a plain value. */
export function isParamRef(value: unknown): value is ParamRef<unknown> {
  return typeof value === "object" && value !== null && PARAM in value;
}

/** Builds one reference per key of the params schema. */
export function paramRefs<S extends ParamsSchema>(
  schema: S,
): ParamRefs<z.output<S>> {
  const refs: Record<string, ParamRef<unknown>> = {};
  for (const name of Object.keys(schema.shape))
    refs[name] = { [PARAM]: true, name };
  return refs as ParamRefs<z.output<S>>;
}

/** Validates trigger-time `conf` against the params schema, naming the first bad field. */
export function parseConf<S extends ParamsSchema>(
  dagId: string,
  schema: S,
  conf: unknown,
): z.output<S> & JsonObject {
  const result = schema.safeParse(conf ?? {});
  if (result.success) return result.data as z.output<S> & JsonObject;
  const issue = result.error.issues[0];
  const field = issue?.path.map(String).join(".") ?? "";
  throw new ConfError(
    dagId,
    field,
    issue?.message ?? "does not match the DAG's params",
  );
}
