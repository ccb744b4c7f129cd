import type { TaskGroupOptions } from "./dag.js";
import type { TaskOptions } from "./task-spec.js";
import type { HITLResult, HITLTask } from "./hitl/spec.js";
import type { OperatorTask, OperatorTaskFactory } from "./operator-task.js";

// Keyed on a global symbol, so a node made by one copy of this module is still known to another (see task-scope.ts).
const NODE = Symbol.for("poekhali.airflow.node");

// Carries a reference's return type without a value, so `TaskRef<boolean>` and `TaskRef<number>` differ.
declare const RETURN_TYPE: unique symbol;

/** What an order-only edge connects: a task or a whole task group (the SDK's `Node`). */
export interface Node {
  readonly dagId: string;
  /** Runs this node before each of `downstream`, carrying no value (Python's `>>`). */
  before(...downstream: readonly Node[]): Node;
  /** Runs this node after each of `upstream`, carrying no value (Python's `<<`). */
  after(...upstream: readonly Node[]): Node;
}

/** A task placed in a DAG, as calling its factory returns it; passing it as an input makes the edge and the value. */
export interface TaskRef<TReturn = unknown> extends Node {
  readonly dagId: string;
  /** The task's id, with its groups' prefix. */
  readonly taskId: string;
  /** Never set; carries the handler's return type. */
  readonly [RETURN_TYPE]?: TReturn;
  before(...downstream: readonly Node[]): TaskRef<TReturn>;
  after(...upstream: readonly Node[]): TaskRef<TReturn>;
}

/** A scope that prefixes the ids declared in it and stands for all its tasks at either end of an edge. */
export interface TaskGroupRef extends Node {
  readonly dagId: string;
  /** The group's id, with its enclosing groups' prefix. */
  readonly groupId: string;
  /** Declares a task waiting for a person in this group; its id becomes `<groupId>.<taskId>`. */
  task<TArgs extends object | void = void>(
    taskId: string,
    operator: HITLTask<TArgs>,
    options?: TaskOptions,
  ): TaskFactory<TArgs, HITLResult>;
  /** Declares a task run by a provider's operator or sensor in this group; its id becomes `<groupId>.<taskId>`. */
  task<TArgs extends object, TReturn>(
    taskId: string,
    operator: OperatorTask<TArgs, TReturn>,
    options?: TaskOptions,
  ): OperatorTaskFactory<TArgs, TReturn>;
  /** Declares a task in this group; its id becomes `<groupId>.<taskId>`. */
  task<TArgs extends object | void = void, TReturn = unknown>(
    taskId: string,
    handler: (args: TArgs) => TReturn | Promise<TReturn>,
    options?: TaskOptions,
  ): TaskFactory<TArgs, TReturn>;
  /** Declares a task whose id is the handler's function name, prefixed. */
  task<TArgs extends object | void = void, TReturn = unknown>(
    handler: (args: TArgs) => TReturn | Promise<TReturn>,
    options?: TaskOptions,
  ): TaskFactory<TArgs, TReturn>;
  /** Nests a group in this one. */
  taskGroup(groupId: string, options?: TaskGroupOptions): TaskGroupRef;
  before(...downstream: readonly Node[]): TaskGroupRef;
  after(...upstream: readonly Node[]): TaskGroupRef;
}

/** The part of `T` a JSON literal can give: what a task input takes when it is not a reference. */
export type JsonCompatible<T> = T extends string | number | boolean | null
  ? T
  : T extends (...args: never[]) => unknown
    ? never
    : T extends readonly (infer E)[]
      ? readonly JsonCompatible<E>[]
      : T extends object
        ? { [K in keyof T]: JsonCompatible<T[K]> }
        : never;

/**
 * A task's inputs by argument name: each an upstream task's reference or a JSON literal of the argument's type. As
 * in the SDK, a reference is not checked against the argument's type (it stands for a value only known at run time).
 */
export type TaskInputs<TArgs> = {
  [K in keyof TArgs]: TaskRef | JsonCompatible<TArgs[K]>;
};

/** What `dag.task(...)` returns: call it, once, with the task's inputs to place the task in the DAG. */
export type TaskFactory<
  TArgs extends object | void = void,
  TReturn = unknown,
> = [TArgs] extends [void]
  ? () => TaskRef<TReturn>
  : (inputs: TaskInputs<TArgs>) => TaskRef<TReturn>;

/** Which kind of node a value is, if it is one this module handed out. */
export function nodeKind(value: unknown): "task" | "group" | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const kind = (value as Record<symbol, unknown>)[NODE];
  return kind === "task" || kind === "group" ? kind : undefined;
}

/** Marks a node object with its kind. */
export function brandNode<T extends object>(
  node: T,
  kind: "task" | "group",
): T {
  Object.defineProperty(node, NODE, { value: kind });
  return node;
}

/** Tells a task reference apart from a literal input. */
export function isTaskRef(value: unknown): value is TaskRef {
  return nodeKind(value) === "task";
}

/** Tells a task group apart from other values. */
export function isTaskGroupRef(value: unknown): value is TaskGroupRef {
  return nodeKind(value) === "group";
}
