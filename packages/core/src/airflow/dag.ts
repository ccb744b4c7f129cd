import { DagDefinitionError } from "../errors.js";
import type { Json } from "../json.js";
import { NotSupportedYetError } from "./errors.js";
import {
  brandNode,
  isTaskRef,
  nodeKind,
  type Node,
  type TaskFactory,
  type TaskGroupRef,
  type TaskInputs,
  type TaskRef,
} from "./nodes.js";
import { registerDag } from "./registry.js";
import {
  DAG_SPEC_KEYS,
  TASK_SPEC_KEYS,
  type DagSpec,
  type TaskOptions,
  type TaskSpec,
} from "./task-spec.js";
import type { JsonValue } from "./task-client.js";
import { isHITLTask, type HITLResult, type HITLTask } from "./hitl/spec.js";
import {
  isOperatorTask,
  type OperatorTask,
  type OperatorTaskFactory,
} from "./operator-task.js";

/** A task handler: takes one object of named arguments; `getContext()` and `getClient()` reach the runtime. */
export type TaskFunction<TArgs = void, TReturn = unknown> = (
  args: TArgs,
) => TReturn | Promise<TReturn>;

/** Options of `dag.taskGroup(id, options)`. */
export interface TaskGroupOptions {
  /** `false`: the ids declared in the group are not prefixed with its id (they must then be unique in the DAG). */
  readonly prefixGroupId?: boolean;
}

/** One task as declared: its handler, its options, and (once called) its inputs. */
export interface TaskRecord {
  readonly ref: TaskRef;
  /** The handler, the request of a task made by `hitl(...)`/`approval(...)`, or a provider's operator task. */
  readonly fn:
    TaskFunction<never> | HITLTask<never> | OperatorTask<object, unknown>;
  readonly spec: TaskSpec;
  inputs?: Readonly<Record<string, TaskRef | Json>>;
  /** Set for `dag.triggerDagRun(...)`: the task starts a run of another DAG instead of calling a handler. */
  readonly trigger?: TriggerDagRunSpec;
}

/** The options of `dag.triggerDagRun(...)`, as Airflow's TriggerDagRunOperator names them (durations in seconds). */
export interface TriggerDagRunSpec {
  readonly taskId: string;
  readonly dagId: string;
  readonly runId?: string;
  readonly conf?: Readonly<Record<string, JsonValue>>;
  readonly logicalDate?: string;
  readonly resetDagRun?: boolean;
  readonly waitForCompletion?: boolean;
  readonly pokeInterval?: number;
  readonly allowedStates?: readonly string[];
  readonly failedStates?: readonly string[];
  readonly skipWhenAlreadyExists?: boolean;
  readonly failWhenDagIsPaused?: boolean;
  readonly note?: string;
  readonly deferrable?: boolean;
}

const TRIGGER_SPEC_KEYS = new Set([
  "taskId",
  "dagId",
  "runId",
  "conf",
  "logicalDate",
  "resetDagRun",
  "waitForCompletion",
  "pokeInterval",
  "allowedStates",
  "failedStates",
  "skipWhenAlreadyExists",
  "failWhenDagIsPaused",
  "note",
  "deferrable",
]);

/** An order-only edge between two node ids (a task id or a group id). */
export interface OrderEdge {
  readonly upstream: string;
  readonly downstream: string;
}

/** Everything a DAG recorded as its module declared it, read when it is compiled to a poekhali DAG. */
export interface DagRecords {
  readonly tasks: Map<string, TaskRecord>;
  readonly orderEdges: Map<string, OrderEdge>;
  /** Group id → the task ids and child group ids declared directly in it. */
  readonly groups: Map<
    string,
    {
      readonly taskIds: string[];
      readonly children: string[];
      /** What the ids declared directly in the group start with (none: `prefixGroupId: false` at the top). */
      readonly prefix: string | undefined;
    }
  >;
  readonly groupRefs: Map<string, TaskGroupRef>;
  /** Deciding task id → the branches it chooses between (`dag.if` / `dag.switch`). */
  readonly branches: Map<string, BranchRecord>;
}

/** What a deciding task chooses between: node ids (tasks or groups) right after it. */
export type BranchRecord =
  | {
      readonly kind: "if";
      then: string | undefined;
      else: string | undefined;
    }
  | { readonly kind: "switch"; readonly cases: string[] };

/** What `dag.if(...)` returns: name the node that runs when the decider returns true, then the one for false. */
export interface Condition {
  then(node: Node): ConditionElse;
}

/** What `dag.if(...).then(...)` returns: optionally, the node that runs when the decider returns false. */
export interface ConditionElse {
  else(node: Node): void;
}

/** What `dag.switch(...)` returns: each `case` adds a node the decider may return, to run while the others skip. */
export interface Branch {
  case(node: Node): Branch;
}

// On the instance under a global symbol, not in a WeakMap: the loader may compile a Dag made by another copy of
// this module (a DAG file importing the SDK's name).
const RECORDS = Symbol.for("poekhali.airflow.dag-records");

/** The records of a DAG made by any copy of this module. */
export function dagRecords(dag: object): DagRecords {
  const records = (dag as Record<symbol, DagRecords | undefined>)[RECORDS];
  if (!records) throw new TypeError("not a Dag of Airflow's TypeScript SDK");
  return records;
}

/** Tells an SDK `Dag` (from any copy of this module) apart from other values. */
export function isAirflowDag(value: unknown): value is Dag {
  return (
    typeof value === "object" &&
    value !== null &&
    RECORDS in value &&
    typeof (value as { dagId?: unknown }).dagId === "string"
  );
}

const ID = /^[A-Za-z0-9_.-]{1,250}$/;
const SEPARATOR = ".";

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * A DAG declared with Airflow's TypeScript SDK API; poekhali compiles it to its own DAG when the DAGs folder loads.
 *
 * @example
 * const dag = new Dag("regions", { description: "Sums two regions" });
 * const north = dag.task("north", async () => 3);
 * const total = dag.task("total", async ({ n }: { n: number }) => n * 2);
 * total({ n: north() });
 */
export class Dag {
  /** The DAG's id. */
  readonly dagId: string;
  /** The options it was constructed with, frozen. */
  readonly spec: DagSpec;

  constructor(dagId: string, spec: DagSpec = {}) {
    if (typeof dagId !== "string" || !ID.test(dagId))
      throw new DagDefinitionError(
        String(dagId),
        "the id must be 1-250 letters, digits, '_', '-' or '.'",
      );
    if (!isPlainRecord(spec))
      throw new DagDefinitionError(dagId, "its spec must be an object");
    for (const key of Object.keys(spec))
      if (!DAG_SPEC_KEYS.has(key))
        throw new DagDefinitionError(
          dagId,
          `unknown option "${key}" in the spec for Dag "${dagId}"`,
        );
    this.dagId = dagId;
    this.spec = Object.freeze({ ...spec });
    const records: DagRecords = {
      tasks: new Map(),
      orderEdges: new Map(),
      groups: new Map(),
      groupRefs: new Map(),
      branches: new Map(),
    };
    Object.defineProperty(this, RECORDS, { value: records });
    registerDag(this);
  }

  /** The ids of the tasks declared so far, in declaration order. */
  get taskIds(): readonly string[] {
    return [...dagRecords(this).tasks.keys()];
  }

  /** Declares a task that waits for a person (`hitl(...)`, `approval(...)`); it needs an id. */
  task<TArgs extends object | void = void>(
    taskId: string,
    operator: HITLTask<TArgs>,
    options?: TaskOptions,
  ): TaskFactory<TArgs, HITLResult>;
  /** Declares a task run by a provider's operator or sensor (`sendButton(...)`); it needs an id. */
  task<TArgs extends object, TReturn>(
    taskId: string,
    operator: OperatorTask<TArgs, TReturn>,
    options?: TaskOptions,
  ): OperatorTaskFactory<TArgs, TReturn>;
  /** Declares a task and returns the factory that places it: call it once with the task's inputs. */
  task<TArgs extends object | void = void, TReturn = unknown>(
    taskId: string,
    handler: TaskFunction<TArgs, TReturn>,
    options?: TaskOptions,
  ): TaskFactory<TArgs, TReturn>;
  /** Declares a task whose id is the handler's function name. */
  task<TArgs extends object | void = void, TReturn = unknown>(
    handler: TaskFunction<TArgs, TReturn>,
    options?: TaskOptions,
  ): TaskFactory<TArgs, TReturn>;
  task<TArgs extends object | void, TReturn>(
    idOrHandler: string | TaskFunction<TArgs, TReturn>,
    handlerOrOptions?:
      | TaskFunction<TArgs, TReturn>
      | HITLTask<TArgs>
      | OperatorTask<object, unknown>
      | TaskOptions,
    options?: TaskOptions,
  ): TaskFactory<TArgs, TReturn> {
    return this.#addTask(undefined, idOrHandler, handlerOrOptions, options);
  }

  /** Declares a task group: the ids declared in it are prefixed with `<groupId>.` unless `prefixGroupId` is false. */
  taskGroup(groupId: string, options?: TaskGroupOptions): TaskGroupRef {
    return this.#addGroup(undefined, groupId, options);
  }

  /**
   * Airflow's `dag.if(decider).then(a).else(b)`: the decider task returns a boolean; the node for the other value
   * is skipped (and what follows it, by trigger rules). The decider is a placed task, or a handler declared here.
   */
  if(decider: TaskRef<boolean>): Condition;
  if<TArgs extends object | void = void>(
    handler: TaskFunction<TArgs, boolean>,
    inputs?: TArgs extends object ? TaskInputs<TArgs> : undefined,
    options?: TaskOptions,
  ): Condition;
  if(
    decider: TaskRef<boolean> | TaskFunction<never, boolean>,
    inputs?: unknown,
    options?: TaskOptions,
  ): Condition {
    const id = this.#decider(decider, inputs, options, "if");
    const record: BranchRecord = {
      kind: "if",
      then: undefined,
      else: undefined,
    };
    dagRecords(this).branches.set(id, record);
    const ref = dagRecords(this).tasks.get(id)?.ref as TaskRef;
    return {
      then: (node: Node) => {
        this.#edge(ref, node, "before");
        record.then = nodeId(node);
        return {
          else: (other: Node) => {
            this.#edge(ref, other, "before");
            record.else = nodeId(other);
          },
        };
      },
    };
  }

  /**
   * Airflow's `dag.switch(decider).case(a).case(b)`: the decider returns the reference of one case, which runs; the
   * other cases are skipped. The decider is a placed task, or a handler declared here.
   */
  switch(decider: TaskRef): Branch;
  switch<TArgs extends object | void = void>(
    handler: TaskFunction<TArgs, Node>,
    inputs?: TArgs extends object ? TaskInputs<TArgs> : undefined,
    options?: TaskOptions,
  ): Branch;
  switch(
    decider: TaskRef | TaskFunction<never, Node>,
    inputs?: unknown,
    options?: TaskOptions,
  ): Branch {
    const id = this.#decider(decider, inputs, options, "switch");
    const record: BranchRecord = { kind: "switch", cases: [] };
    dagRecords(this).branches.set(id, record);
    const ref = dagRecords(this).tasks.get(id)?.ref as TaskRef;
    const branch: Branch = {
      case: (node: Node) => {
        this.#edge(ref, node, "before");
        record.cases.push(nodeId(node));
        return branch;
      },
    };
    return branch;
  }

  /** The deciding task of a branch: a reference this Dag handed out, or a handler placed here and now. */
  #decider(
    decider: unknown,
    inputs: unknown,
    options: TaskOptions | undefined,
    verb: "if" | "switch",
  ): string {
    let ref: unknown = decider;
    if (typeof decider === "function") {
      const factory = this.#addTask<object, unknown>(
        undefined,
        decider as TaskFunction<object>,
        options,
      );
      ref = factory(inputs ?? {});
    }
    this.#checkOwn(ref, `dag.${verb}(...)`);
    if (!isTaskRef(ref))
      this.#fail(`dag.${verb}(...) takes the task that decides, not a group`);
    const id = ref.taskId;
    if (dagRecords(this).branches.has(id))
      this.#fail(
        `task "${id}" already decides a branch; one task decides one branch`,
      );
    return id;
  }

  /**
   * Airflow's `dag.triggerDagRun({ taskId, dagId, conf, waitForCompletion, … })`: a task that starts a run of another
   * DAG, placed at once; draw its edges with `before()` / `after()`.
   */
  triggerDagRun(spec: TriggerDagRunSpec): TaskRef<void> {
    if (!isPlainRecord(spec))
      this.#fail("dag.triggerDagRun(...) takes an object of options");
    for (const key of Object.keys(spec))
      if (!TRIGGER_SPEC_KEYS.has(key))
        this.#fail(
          `unknown option "${key}" in dag.triggerDagRun(...) of task "${String(spec.taskId)}"`,
        );
    if (typeof spec.taskId !== "string" || typeof spec.dagId !== "string")
      this.#fail("dag.triggerDagRun(...) needs a taskId and a dagId");
    if (spec.resetDagRun)
      throw new NotSupportedYetError(
        `Dag "${this.dagId}": resetDagRun of dag.triggerDagRun(...) (task "${spec.taskId}"); clear the run instead`,
      );
    if (!ID.test(spec.taskId) || spec.taskId.includes(SEPARATOR))
      this.#fail(
        `task id "${spec.taskId}" must be letters, digits, '_' or '-'`,
      );
    this.#reserve(spec.taskId, "task");
    const ref = this.#taskRef(spec.taskId);
    dagRecords(this).tasks.set(spec.taskId, {
      ref,
      fn: () => undefined,
      spec: {},
      inputs: {},
      trigger: Object.freeze({ ...spec }),
    });
    return ref as TaskRef<void>;
  }

  #fail(message: string): never {
    throw new DagDefinitionError(this.dagId, message);
  }

  #addTask<TArgs extends object | void, TReturn>(
    groupId: string | undefined,
    idOrHandler: string | TaskFunction<TArgs, TReturn>,
    handlerOrOptions?:
      | TaskFunction<TArgs, TReturn>
      | HITLTask<TArgs>
      | OperatorTask<object, unknown>
      | TaskOptions,
    maybeOptions?: TaskOptions,
  ): TaskFactory<TArgs, TReturn> {
    const idGiven = typeof idOrHandler === "string";
    const given = idGiven ? handlerOrOptions : idOrHandler;
    const options = (idGiven ? maybeOptions : handlerOrOptions) ?? {};
    const hitlTask = isHITLTask(given) ? given : undefined;
    if (hitlTask && !idGiven)
      this.#fail(
        'a task waiting for a person needs an id: dag.task("sign_off", approval({ subject: "..." }))',
      );
    const operatorTask = isOperatorTask(given) ? given : undefined;
    if (operatorTask && !idGiven)
      this.#fail(
        `a task run by ${operatorTask.operatorName} needs an id: dag.task("my_task", ...)`,
      );
    // A HITL task or a provider's task has no handler of its own: it runs as a core operator (see compile.ts).
    const handler = (hitlTask || operatorTask ? () => undefined : given) as
      TaskFunction<TArgs, TReturn> | TaskOptions | undefined;
    if (typeof handler !== "function")
      this.#fail(
        `the handler of task "${idGiven ? idOrHandler : "?"}" must be a function`,
      );
    if (!isPlainRecord(options))
      this.#fail(`the options of a task must be an object`);
    const specId =
      typeof options.taskId === "string" ? options.taskId : undefined;
    if (idGiven && specId !== undefined)
      this.#fail(
        `task "${idOrHandler}" also carries taskId "${specId}" in its options; give the id once`,
      );
    const declared = idGiven
      ? idOrHandler
      : (specId ?? (handler.name || undefined));
    if (declared === undefined)
      this.#fail(
        `a task has no id: its handler has no name; pass one: dag.task("my_task", handler)`,
      );
    if (!ID.test(declared) || declared.includes(SEPARATOR))
      this.#fail(
        `task id "${declared}" must be letters, digits, '_' or '-' (a group adds the "." prefix)`,
      );
    if (!hitlTask && handler.length > 1)
      this.#fail(
        `the handler of task "${declared}" declares ${handler.length} parameters; a handler takes one object of named arguments`,
      );
    for (const key of Object.keys(options))
      if (!TASK_SPEC_KEYS.has(key))
        this.#fail(
          `unknown option "${key}" in the spec for task "${declared}"`,
        );
    const prefix =
      groupId === undefined
        ? undefined
        : dagRecords(this).groups.get(groupId)?.prefix;
    const taskId = prefix === undefined ? declared : `${prefix}.${declared}`;
    this.#reserve(taskId, "task");
    const records = dagRecords(this);
    const ref = this.#taskRef(taskId);
    records.tasks.set(taskId, {
      ref,
      fn: hitlTask ?? operatorTask ?? handler,
      spec: Object.freeze({ ...options }),
    });
    if (groupId !== undefined)
      records.groups.get(groupId)?.taskIds.push(taskId);
    return ((inputs?: unknown) => {
      this.#wire(taskId, inputs);
      return ref;
    }) as TaskFactory<TArgs, TReturn>;
  }

  #wire(taskId: string, inputs: unknown): void {
    const record = dagRecords(this).tasks.get(taskId);
    if (!record) return;
    if (record.inputs)
      this.#fail(
        `task "${taskId}" was already called; a task holds one place in a Dag, so call it once and reuse the reference`,
      );
    const given = inputs ?? {};
    if (!isPlainRecord(given) || isTaskRef(given))
      this.#fail(
        `task "${taskId}" takes one object naming its inputs: ${taskId}({ rows, region })`,
      );
    for (const [name, value] of Object.entries(given)) {
      if (isTaskRef(value)) {
        this.#checkOwn(value, `input "${name}" of task "${taskId}"`);
        continue;
      }
      if (containsNode(value))
        this.#fail(
          `input "${name}" of task "${taskId}" holds a task reference inside a literal, which draws no edge; pass the reference as the input itself`,
        );
    }
    record.inputs = Object.freeze({ ...given }) as Record<
      string,
      TaskRef | Json
    >;
  }

  #reserve(id: string, kind: "task" | "group"): void {
    const records = dagRecords(this);
    if (records.tasks.has(id) || records.groups.has(id))
      this.#fail(`${kind} "${id}" is declared twice`);
  }

  #addGroup(
    parent: string | undefined,
    groupId: string,
    options: TaskGroupOptions = {},
  ): TaskGroupRef {
    if (
      typeof groupId !== "string" ||
      !ID.test(groupId) ||
      groupId.includes(SEPARATOR)
    )
      this.#fail(
        `task group id "${String(groupId)}" must be letters, digits, '_' or '-'; nest groups with taskGroup(...)`,
      );
    if (!isPlainRecord(options))
      this.#fail(`the options of task group "${groupId}" must be an object`);
    for (const key of Object.keys(options))
      if (key !== "prefixGroupId")
        this.#fail(`unknown option "${key}" for task group "${groupId}"`);
    const records = dagRecords(this);
    const parentPrefix =
      parent === undefined ? undefined : records.groups.get(parent)?.prefix;
    const fullId =
      parentPrefix === undefined ? groupId : `${parentPrefix}.${groupId}`;
    this.#reserve(fullId, "group");
    records.groups.set(fullId, {
      taskIds: [],
      children: [],
      // Python's prefix_group_id=False: what the group holds keeps the ids it is given.
      prefix: options.prefixGroupId === false ? parentPrefix : fullId,
    });
    if (parent !== undefined) records.groups.get(parent)?.children.push(fullId);
    const group = {
      dagId: this.dagId,
      groupId: fullId,
      task: (
        idOrHandler: string | TaskFunction<never>,
        handlerOrOptions?:
          | TaskFunction<never>
          | HITLTask<never>
          | OperatorTask<object, unknown>
          | TaskOptions,
        options?: TaskOptions,
      ) => this.#addTask(fullId, idOrHandler, handlerOrOptions, options),
      taskGroup: (child: string, childOptions?: TaskGroupOptions) =>
        this.#addGroup(fullId, child, childOptions),
      before: (...downstream: readonly Node[]) => {
        for (const other of downstream) this.#edge(group, other, "before");
        return group;
      },
      after: (...upstream: readonly Node[]) => {
        for (const other of upstream) this.#edge(other, group, "after");
        return group;
      },
    } as TaskGroupRef;
    brandNode(group, "group");
    records.groupRefs.set(fullId, group);
    return Object.freeze(group);
  }

  #taskRef(taskId: string): TaskRef {
    const ref: TaskRef = {
      dagId: this.dagId,
      taskId,
      before: (...downstream: readonly Node[]) => {
        for (const other of downstream) this.#edge(ref, other, "before");
        return ref;
      },
      after: (...upstream: readonly Node[]) => {
        for (const other of upstream) this.#edge(other, ref, "after");
        return ref;
      },
    };
    brandNode(ref, "task");
    return Object.freeze(ref);
  }

  #edge(upstream: Node, downstream: Node, verb: "before" | "after"): void {
    this.#checkOwn(verb === "before" ? downstream : upstream, `${verb}()`);
    const from = nodeId(upstream);
    const to = nodeId(downstream);
    if (from === to)
      this.#fail(`${verb}() cannot draw an edge from "${from}" to itself`);
    dagRecords(this).orderEdges.set(`${from}\u0000${to}`, {
      upstream: from,
      downstream: to,
    });
  }

  #checkOwn(node: unknown, label: string): void {
    const kind = nodeKind(node);
    if (!kind)
      this.#fail(
        `${label} takes tasks and task groups this Dag handed out, not other values`,
      );
    const { dagId } = node as Node;
    const records = dagRecords(this);
    const id = nodeId(node as Node);
    const own =
      kind === "task"
        ? records.tasks.get(id)?.ref === node
        : records.groupRefs.get(id) === node;
    if (dagId !== this.dagId || !own)
      this.#fail(
        `${label} refers to "${id}" of Dag "${dagId}"; an edge joins two nodes of one Dag`,
      );
  }
}

function nodeId(node: Node): string {
  return nodeKind(node) === "task"
    ? (node as TaskRef).taskId
    : (node as TaskGroupRef).groupId;
}

function containsNode(value: unknown, seen = new Set<object>()): boolean {
  if (typeof value !== "object" || value === null) return false;
  if (nodeKind(value)) return true;
  if (seen.has(value)) return false;
  seen.add(value);
  return Object.values(value).some((v) => containsNode(v, seen));
}
