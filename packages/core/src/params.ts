import { closest } from "./closest.js";
import { z } from "zod";
import { MAX_DURATION_MS, toMillis } from "./duration.js";
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

/**
 * How deep a conf may nest (the conf object itself is level 1). Deeper JSON is not a DAG's params but an attack on
 * the serializers between the trigger and Restate.
 */
export const MAX_CONF_DEPTH = 32;

/** Tells a param reference apart from a plain value. */
export function isParamRef(value: unknown): value is ParamRef<unknown> {
  return typeof value === "object" && value !== null && PARAM in value;
}

/** A reference to the param `name`, resolved when a task runs; its type is the caller's word. */
export function paramRef<T>(name: string): ParamRef<T> {
  return { [PARAM]: true, name };
}

/** Builds one reference per key of the params schema. */
export function paramRefs<S extends ParamsSchema>(
  schema: S,
): ParamRefs<z.output<S>> {
  const refs: Record<string, ParamRef<unknown>> = {};
  for (const name of Object.keys(schema.shape)) refs[name] = paramRef(name);
  return refs as ParamRefs<z.output<S>>;
}

/**
 * Validates trigger-time `conf` against the params schema, naming the first bad field. A key the params do not
 * declare is refused (with the closest declared key as a suggestion) unless the schema takes unknown keys
 * (`z.looseObject`): a misspelt `tiemout` silently dropped would leave a run waiting on the default.
 */
export function parseConf<S extends ParamsSchema>(
  dagId: string,
  schema: S,
  conf: unknown,
): z.output<S> & JsonObject {
  const value = conf ?? {};
  if (nestedDeeperThan(value, MAX_CONF_DEPTH))
    throw new ConfError(
      dagId,
      "",
      `is nested deeper than ${MAX_CONF_DEPTH} levels, the most a conf may nest`,
    );
  if (
    typeof value === "object" &&
    !Array.isArray(value) &&
    schema._zod.def.catchall === undefined
  ) {
    const declared = Object.keys(schema.shape);
    const unknown = Object.keys(value).find((k) => !declared.includes(k));
    if (unknown !== undefined) {
      const near = closest(unknown, declared);
      throw new ConfError(
        dagId,
        unknown,
        `is not a param of this DAG${near ? ` (did you mean "${near}"?)` : ""}; ` +
          (declared.length
            ? `its params are ${declared.join(", ")}`
            : "it takes no params"),
      );
    }
  }
  const result = schema.safeParse(value);
  if (result.success) return result.data as z.output<S> & JsonObject;
  const issue = result.error.issues[0];
  const field = issue?.path.map(String).join(".") ?? "";
  throw new ConfError(
    dagId,
    field,
    issue?.message ?? "does not match the DAG's params",
  );
}

/** Bounds of a {@link durationParam}, as durations. */
export interface DurationParamOptions {
  /** The shortest accepted duration; 1 s by default. */
  readonly min?: string;
  /** The longest accepted duration; 366 d (the most poekhali takes) by default. */
  readonly max?: string;
}

/**
 * A DAG param holding a duration (`"90s"`, `"15m"`, `"6h"`): whole milliseconds between `min` (1 s) and `max`
 * (366 d), so a bad timeout is refused when the run is triggered, before any task runs.
 *
 * @example
 * params: z.object({ timeout: durationParam().default("6h") })
 */
export function durationParam(options: DurationParamOptions = {}): z.ZodString {
  const min = options.min ?? "1s";
  const max = options.max ?? "366d";
  const [minMs, maxMs] = [
    toMillis(min),
    Math.min(toMillis(max), MAX_DURATION_MS),
  ];
  const param = z.string().superRefine((v, ctx) => {
    let ms: number;
    try {
      ms = toMillis(v);
    } catch (error) {
      ctx.addIssue({
        code: "custom",
        message: `must be a duration such as "90s", "15m" or "6h": ${error instanceof Error ? error.message : String(error)}`,
      });
      return;
    }
    if (ms < minMs || ms > maxMs)
      ctx.addIssue({
        code: "custom",
        message: `must be a duration from ${min} to ${max}, got "${v}"`,
      });
  });
  // The annotation lets a form show the field as a duration with its bounds (the admin UI's trigger form).
  return param.meta({ "x-duration": { min, max } });
}

/** Whether `value` nests deeper than `limit` levels; walks iteratively, so a hostile depth cannot overflow the stack. */
function nestedDeeperThan(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  for (let item = stack.pop(); item; item = stack.pop()) {
    const [node, depth] = item;
    if (typeof node !== "object" || node === null) continue;
    if (depth > limit) return true;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return false;
}
