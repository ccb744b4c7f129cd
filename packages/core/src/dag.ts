import { z } from "zod";
import { collectTasks, type DefaultArgs } from "./dag-builder.js";
import { DagDefinitionError } from "./errors.js";
import type { Json, JsonObject } from "./json.js";
import {
  paramRefs,
  parseConf,
  type ParamRefs,
  type ParamsSchema,
} from "./params.js";
import type { BaseTask } from "./task.js";

/** How a DAG is declared (Airflow's `DAG(...)` arguments). */
export interface DagOptions<S extends ParamsSchema> {
  /** Unique among DAGs; also the Restate workflow's name. */
  readonly id: string;
  readonly description?: string;
  /** Only manual runs for now, as the course's DAG: `null`. */
  readonly schedule: null;
  /** The params schema; trigger-time `conf` is validated against it. */
  readonly params?: S;
  readonly tags?: readonly string[];
  /** Options for every operator that does not set its own (Airflow's `default_args`). */
  readonly defaultArgs?: DefaultArgs;
}

/** A DAG: its tasks in an order that respects every edge, and its params schema. */
export class Dag<S extends ParamsSchema = ParamsSchema> {
  readonly id: string;
  readonly description: string;
  readonly schedule = null;
  readonly tags: readonly string[];
  readonly paramsSchema: S;
  /** Tasks in topological order; among tasks free to run, the order they were declared in. */
  readonly tasks: readonly BaseTask<object, Json>[];

  constructor(
    options: DagOptions<S>,
    paramsSchema: S,
    tasks: BaseTask<object, Json>[],
  ) {
    this.id = options.id;
    this.description = options.description ?? "";
    this.tags = options.tags ?? [];
    this.paramsSchema = paramsSchema;
    this.tasks = topologicalOrder(options.id, tasks);
  }

  /** Validates trigger-time `conf` and returns the run's params (defaults filled in). */
  parseConf(conf: unknown): z.output<S> & JsonObject {
    return parseConf(this.id, this.paramsSchema, conf);
  }

  /** The task with this id, if the DAG has it. */
  task(taskId: string): BaseTask<object, Json> | undefined {
    return this.tasks.find((t) => t.taskId === taskId);
  }
}

/**
 * Declares a DAG: tasks constructed inside `build` belong to it, and `params` gives typed references to its params.
 *
 * @example
 * export const hello = dag({ id: "hello", schedule: null, params: z.object({ name: z.string().default("world") }) },
 *   ({ params }) => { new Greet({ taskId: "greet", name: params.name }); });
 */
export function dag<S extends ParamsSchema = z.ZodObject<Record<never, never>>>(
  options: DagOptions<S>,
  build: (scope: { readonly params: ParamRefs<z.output<S>> }) => void,
): Dag<S> {
  if (!/^[A-Za-z0-9_.-]{1,250}$/.test(options.id)) {
    throw new DagDefinitionError(
      options.id,
      "the id must be 1-250 letters, digits, '_', '-' or '.'",
    );
  }
  const schema = (options.params ?? z.object({})) as S;
  const tasks = collectTasks(
    () => build({ params: paramRefs(schema) }),
    options.defaultArgs,
  );
  return new Dag(options, schema, tasks);
}

function topologicalOrder(
  dagId: string,
  tasks: BaseTask<object, Json>[],
): BaseTask<object, Json>[] {
  const byId = new Map<string, BaseTask<object, Json>>();
  for (const t of tasks) {
    if (byId.has(t.taskId))
      throw new DagDefinitionError(
        dagId,
        `two tasks have the id "${t.taskId}"`,
      );
    byId.set(t.taskId, t);
  }
  for (const t of tasks) {
    for (const up of t.upstreamTaskIds) {
      if (!byId.has(up))
        throw new DagDefinitionError(
          dagId,
          `task "${t.taskId}" uses "${up}", which is not in this DAG`,
        );
    }
  }
  const done = new Set<string>();
  const ordered: BaseTask<object, Json>[] = [];
  while (ordered.length < tasks.length) {
    const next = tasks.find(
      (t) => !done.has(t.taskId) && t.upstreamTaskIds.every((u) => done.has(u)),
    );
    if (!next) throw new DagDefinitionError(dagId, "its tasks form a cycle");
    done.add(next.taskId);
    ordered.push(next);
  }
  return ordered;
}
