import type { Json, JsonObject } from "./json.js";
import { isParamRef, type ParamRef } from "./params.js";

const XCOM = Symbol("poekhali.xcom");

/** The future output of a task; passing it to another task's arguments makes the edge (Airflow's XComArg). */
export class XComArg<T> {
  readonly [XCOM] = true;
  /** Phantom field carrying the output's type; never set at run time. */
  declare readonly __type?: T;

  constructor(readonly taskId: string) {}
}

const TEMPLATE = Symbol("poekhali.template");

/**
 * A value rendered from other tasks' outputs and params when the task that takes it runs: Airflow's templated
 * fields, typed. `render` must be pure: it runs again on every replay.
 */
export class Template<T> {
  readonly [TEMPLATE] = true;
  /** Phantom field carrying the rendered type; never set at run time. */
  declare readonly __type?: T;

  constructor(
    readonly inputs: object,
    readonly render: (values: never) => T,
  ) {}
}

/**
 * Makes a {@link Template}: `inputs` may hold task outputs and params, and make the edges as arguments do.
 *
 * @example
 * fields: template(({ press, type }: { press: ButtonPress; type: string }) => ({ username: press.username, event_type: type }),
 *   { press: sensor.output, type: params.event_type })
 */
export function template<A extends object, T>(
  render: (values: A) => T,
  inputs: Args<A>,
): Template<T> {
  return new Template<T>(inputs, render);
}

/** Tells a template apart from a plain value. */
export function isTemplate(value: unknown): value is Template<unknown> {
  return typeof value === "object" && value !== null && TEMPLATE in value;
}

/** An argument of a task: a value, another task's output, one of the DAG's params, or a template of those. */
export type Arg<T> = T | XComArg<T> | ParamRef<T> | Template<T>;

/** A task's arguments as written in a DAG: every field may come from upstream output or params. */
export type Args<A> = { [K in keyof A]: Arg<A[K]> };

/** Tells a task-output reference apart from a plain value. */
export function isXComArg(value: unknown): value is XComArg<unknown> {
  return typeof value === "object" && value !== null && XCOM in value;
}

/** What a run knows when it resolves arguments: upstream outputs and its params. */
export interface ArgScope {
  readonly outputs: ReadonlyMap<string, Json>;
  readonly params: Readonly<JsonObject>;
}

/** Resolves one argument to its value in a run. */
export function resolveArg<T>(arg: Arg<T>, scope: ArgScope): T {
  if (isXComArg(arg)) {
    if (!scope.outputs.has(arg.taskId))
      throw new Error(`no output of task "${arg.taskId}" in this run`);
    return scope.outputs.get(arg.taskId) as T;
  }
  if (isParamRef(arg)) return scope.params[arg.name] as T;
  if (isTemplate(arg))
    return (arg.render as (values: object) => T)(
      resolveArgs(arg.inputs, scope),
    );
  return arg;
}

/** Resolves every field of a task's arguments. */
export function resolveArgs<A extends object>(
  args: Args<A>,
  scope: ArgScope,
): A {
  const resolved: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(args))
    resolved[key] = resolveArg(value, scope);
  return resolved as unknown as A;
}

/** The ids of the tasks whose outputs these arguments use, templates' inputs included. */
export function upstreamOf(args: object): string[] {
  return Object.values(args).flatMap((arg: unknown) => {
    if (isXComArg(arg)) return [arg.taskId];
    if (isTemplate(arg)) return upstreamOf(arg.inputs);
    return [];
  });
}
