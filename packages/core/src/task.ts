import { closest } from "./closest.js";
import type { Json } from "./json.js";
import { TRIGGER_RULES, type TriggerRule } from "./trigger-rule.js";
import { registerTask } from "./dag-builder.js";
import { XComArg, upstreamOf, type Args } from "./xcom.js";

/** Options every task takes, whatever its kind. */
export interface BaseTaskOptions {
  /** Unique within the DAG; letters, digits, `_`, `-` and `.`. */
  readonly taskId: string;
  /** When the task runs, given how its upstream tasks ended (Airflow's trigger rules); `all_success` by default. */
  readonly triggerRule?: TriggerRule;
}

/** Common ground of operators and sensors: an id, typed arguments and a typed output. */
export abstract class BaseTask<A extends object, O extends Json> {
  readonly taskId: string;
  /** The arguments as written in the DAG, before values from upstream and params are filled in. */
  readonly args: Args<A>;
  /** This task's output, to pass into downstream tasks' arguments. */
  readonly output: XComArg<O>;
  /** What this task does, for people: used in step names in the Restate journal. */
  abstract readonly title: string;
  readonly triggerRule: TriggerRule;

  protected constructor(options: BaseTaskOptions, args: Args<A>) {
    if (!/^[A-Za-z0-9_.-]{1,250}$/.test(options.taskId)) {
      throw new RangeError(
        `taskId "${options.taskId}" must be 1-250 letters, digits, "_", "-" or "."`,
      );
    }
    const rule = options.triggerRule ?? "all_success";
    if (!TRIGGER_RULES.includes(rule)) {
      const near = closest(rule, TRIGGER_RULES);
      throw new RangeError(
        `task "${options.taskId}": "${String(rule)}" is not a trigger rule${near ? ` (did you mean "${near}"?)` : ""}; ` +
          `one of ${TRIGGER_RULES.join(", ")}`,
      );
    }
    this.triggerRule = rule;
    this.taskId = options.taskId;
    this.args = args;
    this.output = new XComArg<O>(options.taskId);
    registerTask(this);
  }

  readonly #after = new Set<string>();

  /** The ids of the tasks this one waits for: those it takes data from, and those set with `after`/`before`. */
  get upstreamTaskIds(): string[] {
    return [...new Set([...upstreamOf(this.args), ...this.#after])];
  }

  /** Runs this task only after the given ones succeeded, without taking their output (Airflow's `a >> b`). */
  after(...tasks: BaseTask<object, Json>[]): this {
    for (const t of tasks) this.#after.add(t.taskId);
    return this;
  }

  /**
   * Which of the tasks right downstream of this one go on, once it has succeeded with this output (Airflow's
   * branching): null for all of them; the others end skipped, and the skip travels on by their downstream tasks'
   * trigger rules. Pure: it is asked again on every replay.
   */
  follow(output: O): readonly string[] | null {
    void output;
    return null;
  }

  /** Runs the given task after this one; returns it, so that `a.before(b).before(c)` reads as a chain. */
  before<T extends BaseTask<object, Json>>(task: T): T {
    task.after(this);
    return task;
  }
}
