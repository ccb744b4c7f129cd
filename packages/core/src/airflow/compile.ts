import { z } from "zod";
import { dag as coreDag, type Dag as CoreDag } from "../dag.js";
import { DagDefinitionError } from "../errors.js";
import { FunctionOperator } from "../function-operator.js";
import { XComArg } from "../xcom.js";
import { closest } from "../closest.js";
import { isParamRef } from "../params.js";
import type { TriggerRule } from "../trigger-rule.js";
import type { BaseTask } from "../task.js";
import type { DagRunState } from "../task-instance.js";
import { TriggerDagRunOperator } from "../trigger-dag-run-operator.js";
import type { Json } from "../json.js";
import {
  dagRecords,
  type BranchRecord,
  type Dag,
  type TriggerDagRunSpec,
  type DagRecords,
} from "./dag.js";
import { isTaskGroupRef, isTaskRef } from "./nodes.js";
import { compileHitlTask } from "./hitl/compile-hitl.js";
import {
  compileOperatorTask,
  coreOperatorOptions,
  seconds,
} from "./compile-operator-task.js";
import { isOperatorTask } from "./operator-task.js";
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
    for (const [name, value] of Object.entries(task.inputs ?? {}))
      if (isParamRef(value) && !Object.hasOwn(spec.params ?? {}, value.name)) {
        const near = closest(value.name, Object.keys(spec.params ?? {}));
        fail(
          `input "${name}" of task "${taskId}" reads param "${value.name}", which the Dag's params do not declare` +
            (near ? ` (did you mean "${near}"?)` : ""),
        );
      }
    for (const option of IGNORED_TASK_OPTIONS)
      if (task.spec[option] !== undefined)
        warnings.push(
          `DAG "${sdk.dagId}": option "${option}" of task "${taskId}" is ignored`,
        );
  }
  const cycle = findCycle(upstream);
  if (cycle) fail(`it has a cycle: ${cycle.join(" >> ")}`);
  for (const [decider, branch] of records.branches)
    if (isOperatorTask(records.tasks.get(decider)?.fn))
      fail(
        `task "${decider}" runs a provider's operator and cannot decide dag.${branch.kind}(...); decide in a handler task after it`,
      );
    else if (branch.kind === "switch" && branch.cases.length === 0)
      fail(`dag.switch(...) of task "${decider}" has no case`);
    else if (branch.kind === "if" && branch.then === undefined)
      fail(`dag.if(...) of task "${decider}" has no then(...)`);
  const downstream = new Map<string, string[]>();
  for (const [id, ups] of upstream)
    for (const up of ups)
      downstream.set(up, [...(downstream.get(up) ?? []), id]);

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
      const made = new Map<string, BaseTask<object, Json>>();
      for (const [taskId, task] of records.tasks) {
        if (task.trigger) {
          made.set(taskId, triggerTask(sdk.dagId, task.trigger, warnings));
          continue;
        }
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
          made.set(
            taskId,
            compileHitlTask(
              taskId,
              fn,
              args as never,
              UPSTREAM,
              s.triggerRule as TriggerRule | undefined,
            ),
          );
          continue;
        }
        if (isOperatorTask(fn)) {
          // A provider's operator takes the named inputs as its arguments; its order-only edges are drawn below.
          const own = Object.fromEntries(
            Object.entries(args).filter(([key]) => !key.startsWith(UPSTREAM)),
          );
          made.set(
            taskId,
            compileOperatorTask(sdk.dagId, taskId, fn, s, own, warnings),
          );
          continue;
        }
        const decides = records.branches.get(taskId);
        const Operator = decides
          ? deciderOperator(records, taskId, decides, downstream)
          : FunctionOperator;
        const operator = new Operator(
          coreOperatorOptions(sdk.dagId, taskId, s),
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
              ...(context.variableStore && {
                variableStore: context.variableStore,
              }),
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
              const value: unknown = await fn(inputs as never);
              if (decides) return decision(taskId, decides, value);
              // Airflow pushes no XCom for `undefined`; a poekhali task always has an output, so it is null.
              return (value === undefined ? null : value) as Json;
            });
          },
          args,
        );
        made.set(taskId, operator);
      }
      // A triggering task takes no arguments, so its upstream edges are order-only ones; so are a provider's task's
      // edges from tasks whose output it does not take.
      for (const [taskId, task] of records.tasks)
        if (task.trigger || isOperatorTask(task.fn))
          made
            .get(taskId)
            ?.after(
              ...[...(upstream.get(taskId) ?? [])].flatMap(
                (id) => made.get(id) ?? [],
              ),
            );
    },
  );
  return { dag, warnings };
}

/** A core TriggerDagRunOperator from `dag.triggerDagRun(...)`'s options (durations in seconds, as in the SDK). */
function triggerTask(
  dagId: string,
  spec: TriggerDagRunSpec,
  warnings: string[],
): TriggerDagRunOperator {
  for (const option of ["failWhenDagIsPaused", "note"] as const)
    if (spec[option] !== undefined)
      warnings.push(
        `DAG "${dagId}": option "${option}" of dag.triggerDagRun(...) (task "${spec.taskId}") is ignored`,
      );
  const states = (
    option: "allowedStates" | "failedStates",
  ): DagRunState[] | undefined => {
    const given = spec[option];
    if (given === undefined) return undefined;
    for (const state of given)
      if (!["queued", "running", "success", "failed"].includes(state))
        throw new DagDefinitionError(
          dagId,
          `${option} of task "${spec.taskId}" holds "${state}", not a run state (queued, running, success, failed)`,
        );
    return given as DagRunState[];
  };
  const allowed = states("allowedStates");
  const failed = states("failedStates");
  return new TriggerDagRunOperator({
    taskId: spec.taskId,
    triggerDagId: spec.dagId,
    ...(spec.runId !== undefined && { triggerRunId: spec.runId }),
    ...(spec.conf !== undefined && { conf: spec.conf }),
    ...(spec.logicalDate !== undefined && { logicalDate: spec.logicalDate }),
    ...(spec.waitForCompletion !== undefined && {
      waitForCompletion: spec.waitForCompletion,
    }),
    // Airflow's default: a look at the run every 60 s.
    pokeInterval: seconds(
      dagId,
      spec.taskId,
      "pokeInterval",
      spec.pokeInterval ?? 60,
    ),
    ...(allowed && { allowedStates: allowed }),
    ...(failed && { failedStates: failed }),
    ...(spec.skipWhenAlreadyExists !== undefined && {
      skipWhenAlreadyExists: spec.skipWhenAlreadyExists,
    }),
    // No timeout of its own, as Airflow's operator has none.
    timeout: null,
  });
}

/**
 * The output of a deciding task: `dag.if`'s boolean as it is, `dag.switch`'s chosen reference as its id (Airflow's
 * XCom of a switch). Anything else fails the task, naming what it got.
 */
function decision(taskId: string, branch: BranchRecord, value: unknown): Json {
  if (branch.kind === "if") {
    if (typeof value !== "boolean")
      throw new Error(
        `task "${taskId}" decides dag.if(...) and must return true or false, not ${describeValue(value)}`,
      );
    return value;
  }
  const chosen = isTaskRef(value)
    ? value.taskId
    : isTaskGroupRef(value)
      ? value.groupId
      : undefined;
  if (chosen === undefined || !branch.cases.includes(chosen))
    throw new Error(
      `task "${taskId}" decides dag.switch(...) and must return one of its cases (${branch.cases.join(", ")}), ` +
        `not ${chosen === undefined ? describeValue(value) : `"${chosen}"`}`,
    );
  return chosen;
}

function describeValue(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.slice(0, 80);
}

/**
 * A function operator that decides a branch: once it succeeded, the tasks right after it go on except those of the
 * branches not chosen, which the runner skips.
 */
function deciderOperator(
  records: DagRecords,
  taskId: string,
  branch: BranchRecord,
  downstream: ReadonlyMap<string, readonly string[]>,
) {
  const next = downstream.get(taskId) ?? [];
  const sides =
    branch.kind === "if"
      ? [branch.then, branch.else].filter((n): n is string => n !== undefined)
      : branch.cases;
  return class extends FunctionOperator<Record<string, unknown>, Json> {
    override follow(output: Json): readonly string[] {
      const chosen =
        branch.kind === "if"
          ? output === true
            ? branch.then
            : branch.else
          : (output as string);
      const skipped = new Set(
        sides
          .filter((side) => side !== chosen)
          .flatMap((side) => tasksOf(records, side)),
      );
      return next.filter((id) => !skipped.has(id));
    }
  };
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

/**
 * The params schema of an SDK DAG: each param typed by its default's JSON type, defaulting to it, or by the zod
 * schema it is given.
 */
function paramsSchema(sdk: Dag): z.ZodObject {
  const shape: Record<string, z.ZodType> = {};
  for (const [name, value] of Object.entries(sdk.spec.params ?? {})) {
    const json = value;
    // poekhali's typed param: a zod schema, as `dag()` takes, validating the conf when the run is triggered.
    if (json instanceof z.ZodType) {
      shape[name] = json;
      continue;
    }
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
