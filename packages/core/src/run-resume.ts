import type { Dag } from "./dag.js";
import type { Json } from "./json.js";
import type {
  DagRun,
  TaskInstance,
  TaskState,
  TryRecord,
} from "./task-instance.js";

/** The state key of a task's output. */
export const xcomKey = (taskId: string) => `xcom:${taskId}`;

/** The state key of one task try's kept log. */
export const logKey = (taskId: string, tryNumber: number) =>
  `log:${taskId}:${tryNumber}`;

/** The state keys of a run's own record and of its task instances. */
export const RUN_KEY = "dag_run";
export const TASK_INSTANCES_KEY = "task_instances";

/**
 * A finished run to be run again from where it stopped (Airflow's clear, or a state set by hand): its workflow's
 * whole kept state as the change left it. Restate runs a workflow key once, so the app forgets the finished
 * invocation and starts the key again with this as input; tasks left `scheduled` run, every other keeps its state.
 */
export interface RunResume {
  /** Every key of the run's workflow state: `dag_run`, `task_instances`, `xcom:<task>`, `log:<task>:<try>`. */
  readonly state: Readonly<Record<string, Json>>;
  /** The run ends failed whatever its tasks do (Airflow's "mark failed" of a run that had ended well). */
  readonly endAs?: "failed";
}

/** The task instances a run's kept state holds. */
export function instancesOf(
  state: Readonly<Record<string, Json>>,
): TaskInstance[] {
  return (state[TASK_INSTANCES_KEY] ?? []) as unknown as TaskInstance[];
}

/** The run record a run's kept state holds, if it started. */
export function runOf(state: Readonly<Record<string, Json>>): DagRun | null {
  return (state[RUN_KEY] ?? null) as unknown as DagRun | null;
}

/**
 * These tasks with, as asked, everything upstream and/or downstream of them (Airflow's include_upstream and
 * include_downstream: the whole ancestry or descendancy, not only direct neighbours).
 */
export function relatives(
  dag: Dag,
  taskIds: Iterable<string>,
  include: { upstream?: boolean; downstream?: boolean },
): Set<string> {
  const picked = new Set(taskIds);
  const walk = (next: (id: string) => readonly string[]) => {
    const todo = [...picked];
    const seen = new Set<string>();
    while (todo.length > 0) {
      const id = todo.pop() as string;
      for (const other of next(id)) {
        if (seen.has(other)) continue;
        seen.add(other);
        todo.push(other);
      }
    }
    return seen;
  };
  const up = (id: string) => dag.task(id)?.upstreamTaskIds ?? [];
  const down = (id: string) =>
    dag.tasks
      .filter((t) => t.upstreamTaskIds.includes(id))
      .map((t) => t.taskId);
  const found = new Set(picked);
  if (include.upstream) for (const id of walk(up)) found.add(id);
  if (include.downstream) for (const id of walk(down)) found.add(id);
  return found;
}

/**
 * Airflow's clear: the tasks lose their state and output (their tries' logs stay) and run again, each from its next
 * try number, with its retries counted afresh.
 */
export function clearTasks(
  state: Readonly<Record<string, Json>>,
  taskIds: ReadonlySet<string>,
): Record<string, Json> {
  const next: Record<string, Json> = {};
  for (const [key, value] of Object.entries(state))
    if (!(key.startsWith("xcom:") && taskIds.has(key.slice("xcom:".length))))
      next[key] = value;
  next[TASK_INSTANCES_KEY] = instancesOf(state).map((ti) =>
    taskIds.has(ti.task_id)
      ? {
          task_id: ti.task_id,
          state: "scheduled",
          start_date: null,
          end_date: null,
          try_number: ti.try_number,
          ...(ti.try_number > 0 || ti.tries
            ? { tries: [...(ti.tries ?? []), ...ended(ti)] }
            : {}),
        }
      : ti,
  ) as unknown as Json;
  const run = runOf(state);
  if (run)
    next[RUN_KEY] = {
      ...run,
      clear_number: (run.clear_number ?? 0) + 1,
    } as unknown as Json;
  return next;
}

/** The try a task instance is on, as it ended, for its history; none before its first try. */
export function ended(ti: TaskInstance): TryRecord[] {
  if (ti.try_number === 0) return [];
  return [
    {
      try_number: ti.try_number,
      state: ti.state,
      start_date: ti.start_date,
      end_date: ti.end_date,
      ...(ti.note ? { note: ti.note } : {}),
    },
  ];
}

/** Airflow's "mark success / failed / skipped" of task instances: the state is set, the task does not run. */
export function markTasks(
  state: Readonly<Record<string, Json>>,
  taskIds: ReadonlySet<string>,
  to: Extract<TaskState, "success" | "failed" | "skipped">,
  at: string,
): Record<string, Json> {
  return {
    ...state,
    [TASK_INSTANCES_KEY]: instancesOf(state).map((ti) => {
      if (!taskIds.has(ti.task_id) || ti.state === to) return ti;
      const marked: TaskInstance = {
        task_id: ti.task_id,
        state: to,
        start_date: ti.start_date ?? at,
        end_date: at,
        try_number: ti.try_number,
        note: `marked ${to} by hand`,
        ...(ti.tries ? { tries: ti.tries } : {}),
      };
      return marked;
    }) as unknown as Json,
  };
}
