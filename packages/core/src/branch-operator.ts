import type { TaskContext } from "./context.js";
import { FunctionOperator } from "./function-operator.js";
import type { BaseOperatorOptions } from "./operator.js";
import type { Args } from "./xcom.js";

/** What a branch chooses: the id of the task to go on with, several ids, or null for none of them. */
export type BranchChoice = string | readonly string[] | null;

/**
 * A function that chooses which of the tasks right after it run (Airflow's `@task.branch`): the others end
 * skipped, and tasks further down see the skip through their trigger rules. Its output is its choice.
 */
export class BranchOperator<A extends object> extends FunctionOperator<
  A,
  string | string[] | null
> {
  override follow(output: string | string[] | null): readonly string[] {
    if (output === null) return [];
    return typeof output === "string" ? [output] : output;
  }
}

/**
 * Makes a branching task from a plain function that returns the id(s) of the downstream task(s) to run.
 *
 * @example
 * const pick = branch({ taskId: "pick" }, ({ n }: { n: number }) => (n > 10 ? "big" : "small"), { n: count.output });
 * pick.before(big); pick.before(small);
 */
export function branch<A extends object>(
  options: BaseOperatorOptions & { readonly title?: string },
  fn: (args: A, context: TaskContext) => BranchChoice | Promise<BranchChoice>,
  args: Args<A>,
): BranchOperator<A> {
  return new BranchOperator<A>(
    options,
    async (a, context) => {
      const chosen = await fn(a, context);
      return chosen === null || typeof chosen === "string"
        ? chosen
        : [...chosen];
    },
    args,
  );
}
