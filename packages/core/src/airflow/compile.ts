import { z } from "zod";
import { dag as coreDag, type Dag as CoreDag } from "../dag.js";
import { DagDefinitionError } from "../errors.js";
import { FunctionOperator } from "../function-operator.js";
import type { Json } from "../json.js";
import { XComArg } from "../xcom.js";
import { dagRecords, type Dag, type DagRecords } from "./dag.js";
import { NotSupportedYetError } from "./errors.js";
import { isTaskRef } from "./nodes.js";
import { compileHitlTask } from "./hitl/compile-hitl.js";
import { isHITLTask } from "./hitl/spec.js";
import { RunTaskClient } from "./task-client.js";
import { runInTaskScope } from "./task-scope.js";

/** A poekhali DAG compiled from an SDK `Dag`, and what it declares that poekhali accepts but does not act on. */
export interface CompiledAirflowDag {
  readonly dag: CoreDag;
  /** One line per ignored feature, naming the DAG and the feature. */
  readonly warnings: readonly string[];
}

// An upstream's output rides in a task's arguments under this prefix, so `getXCom` can read it; never a handler's
// argument name, since it is not an identifier.
const UPSTREAM = "airflow:upstream:";

// What the DAG declares that changes nothing in how poekhali runs it, but that a reader could expect to matter.
const IGNORED_DAG_OPTIONS = [
  "catchup",
  "startDate",
  "endDate",
  "maxActiveTasks",
  "maxActiveRuns",
  "maxConsecutiveFailedDagRuns",
  "dagrunTimeout",
  "failFast",
  "queue",
] as const;
const IGNORED_TASK_OPTIONS = [
  "queue",
  "pool",
  "poolSlots",
  "dependsOnPast",
  "waitForDownstream",
  "priorityWeight",
  "executor",
  "maxActiveTisPerDag",
  "maxActiveTisPerDagrun",
] as const;

// Options a task waiting for a person does not act on, as in Airflow (executionTimeout is not enforced there either).
const HITL_IGNORED_OPTIONS = [
  "retries",
  "retryDelay",
  "retryExponentialBackoff",
  "maxRetryDelay",
  "executionTimeout",
] as const;

/**
 * Compiles an SDK `Dag` to a poekhali DAG: each task a function operator whose upstream ids are its inputs and edges,
 * so the DAG runner runs it as any other DAG. Throws a {@link DagDefinitionError} naming what cannot run.
 *
 * @example
 * const { dag, warnings } = compileAirflowDag(sdkDag);
 */
export function compileAirflowDag(sdk: Dag): CompiledAirflowDag {
  const records = dagRecords(sdk);
  const fail = (message: string): never => {
    throw new DagDefinitionError(sdk.dagId, message);
  };
  const warnings: string[] = [];
  const spec = sdk.spec;
  if (spec.schedule !== undefined)
    warnings.push(
      `DAG "${sdk.dagId}": schedule "${spec.schedule}" is ignored; poekhali runs it when triggered`,
    );
  for (const option of IGNORED_DAG_OPTIONS)
    if (spec[option] !== undefined)
      warnings.push(`DAG "${sdk.dagId}": option "${option}" is ignored`);

  const upstream = upstreamIds(records);
  for (const [taskId, task] of records.tasks) {
    if (!task.inputs)
      fail(
        `task "${taskId}" is never called, so it has no place in the Dag; call the factory dag.task(...) returned`,
      );
    const rule = task.spec.triggerRule ?? "all_success";
    if (rule !== "all_success")
      throw new DagDefinitionError(
        sdk.dagId,
        new NotSupportedYetError(`trigger rule "${rule}" (task "${taskId}")`)
          .message,
      );
    for (const option of IGNORED_TASK_OPTIONS)
      if (task.spec[option] !== undefined)
        warnings.push(
          `DAG "${sdk.dagId}": option "${option}" of task "${taskId}" is ignored`,
        );
  }
  const cycle = findCycle(upstream);
  if (cycle) fail(`it has a cycle: ${cycle.join(" >> ")}`);

  const schema = paramsSchema(sdk);
  const dag = coreDag(
    {
      id: sdk.dagId,
      schedule: null,
      params: schema,
      ...(spec.description !== undefined && { description: spec.description }),
      ...(spec.tags !== undefined && { tags: spec.tags }),
    },
    () => {
      for (const [taskId, task] of records.tasks) {
        const args: Record<string, unknown> = {};
        for (const [name, value] of Object.entries(task.inputs ?? {}))
          args[name] = isTaskRef(value) ? new XComArg(value.taskId) : value;
        for (const id of upstream.get(taskId) ?? [])
          args[`${UPSTREAM}${id}`] = new XComArg(id);
        const s = task.spec;
        const fn = task.fn;
        if (isHITLTask(fn)) {
          for (const option of HITL_IGNORED_OPTIONS)
            if (s[option] !== undefined)
              warnings.push(
                `DAG "${sdk.dagId}": option "${option}" of task "${taskId}" is ignored: a task waiting for a person is not retried, and its wait ends at responseTimeout`,
              );
          compileHitlTask(taskId, fn, args as never, UPSTREAM);
          continue;
        }
        new FunctionOperator(
          {
            taskId,
            ...(s.retries !== undefined && { retries: s.retries }),
            // Airflow's default retry delay, 300 s, in seconds as the SDK gives every duration.
            retryDelay: seconds(
              sdk.dagId,
              taskId,
              "retryDelay",
              s.retryDelay ?? 300,
            ),
            ...(s.retryExponentialBackoff !== undefined && {
              retryExponentialBackoff: s.retryExponentialBackoff > 0,
            }),
            ...(s.maxRetryDelay !== undefined && {
              maxRetryDelay: seconds(
                sdk.dagId,
                taskId,
                "maxRetryDelay",
                s.maxRetryDelay,
              ),
            }),
            ...(s.executionTimeout !== undefined && {
              executionTimeout: seconds(
                sdk.dagId,
                taskId,
                "executionTimeout",
                s.executionTimeout,
              ),
            }),
          },
          (resolved: Record<string, unknown>, context) => {
            const inputs: Record<string, unknown> = {};
            const outputs = new Map<string, Json>();
            for (const [key, value] of Object.entries(resolved)) {
              if (key.startsWith(UPSTREAM))
                outputs.set(key.slice(UPSTREAM.length), value as Json);
              else inputs[key] = value;
            }
            const client = new RunTaskClient({
              dagId: context.dagId,
              runId: context.runId,
              taskId,
              upstreamOutputs: outputs,
              connections: context.connections,
              ...(context.xcomStore && { xcomStore: context.xcomStore }),
              env: process.env,
            });
            const ctx = {
              dagId: context.dagId,
              taskId,
              runId: context.runId,
              tryNumber: context.tryNumber,
              mapIndex: -1,
              signal: context.signal,
              logicalDate: context.logicalDate,
              params: context.params,
            };
            return runInTaskScope({ ctx, client }, async () => {
              const value = await fn(inputs as never);
              // Airflow pushes no XCom for `undefined`; a poekhali task always has an output, so it is null.
              return (value === undefined ? null : value) as Json;
            });
          },
          args,
        );
      }
    },
  );
  return { dag, warnings };
}

/** Every task's upstream task ids: its inputs' tasks, and the order-only edges with a group standing for its tasks. */
function upstreamIds(records: DagRecords): Map<string, Set<string>> {
  const upstream = new Map<string, Set<string>>();
  for (const id of records.tasks.keys()) upstream.set(id, new Set());
  for (const [taskId, task] of records.tasks)
    for (const value of Object.values(task.inputs ?? {}))
      if (isTaskRef(value)) upstream.get(taskId)?.add(value.taskId);
  for (const { upstream: from, downstream: to } of records.orderEdges.values())
    for (const a of tasksOf(records, from))
      for (const b of tasksOf(records, to)) upstream.get(b)?.add(a);
  return upstream;
}

function tasksOf(records: DagRecords, nodeId: string): string[] {
  const group = records.groups.get(nodeId);
  if (!group) return [nodeId];
  return [
    ...group.taskIds,
    ...group.children.flatMap((child) => tasksOf(records, child)),
  ];
}

/** A cycle among the tasks as the path that closes it (`a >> b >> a`), or undefined. */
function findCycle(upstream: Map<string, Set<string>>): string[] | undefined {
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const visit = (id: string): string[] | undefined => {
    if (state.get(id) === "done") return undefined;
    if (state.get(id) === "open") return [...path.slice(path.indexOf(id)), id];
    state.set(id, "open");
    path.push(id);
    for (const up of upstream.get(id) ?? []) {
      const found = visit(up);
      if (found) return found;
    }
    path.pop();
    state.set(id, "done");
    return undefined;
  };
  for (const id of upstream.keys()) {
    const found = visit(id);
    // Found walking upstream: reverse it so it reads in the direction the tasks run.
    if (found) return found.reverse();
  }
  return undefined;
}

function seconds(
  dagId: string,
  taskId: string,
  option: string,
  value: number,
): string {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0)
    throw new DagDefinitionError(
      dagId,
      `option "${option}" of task "${taskId}" must be a number of seconds ≥ 0, got ${String(value)}`,
    );
  return `${value}s`;
}

/** The params schema of an SDK DAG: each param typed by its default's JSON type, defaulting to it. */
function paramsSchema(sdk: Dag): z.ZodObject {
  const shape: Record<string, z.ZodType> = {};
  for (const [name, value] of Object.entries(sdk.spec.params ?? {})) {
    const json = value;
    shape[name] =
      typeof json === "string"
        ? z.string().default(json)
        : typeof json === "number"
          ? z.number().default(json)
          : typeof json === "boolean"
            ? z.boolean().default(json)
            : z.json().default(json);
  }
  return z.object(shape);
}
