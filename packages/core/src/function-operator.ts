import type { TaskContext } from "./context.js";
import type { Json } from "./json.js";
import { BaseOperator, type BaseOperatorOptions } from "./operator.js";
import type { Args } from "./xcom.js";

/** A function run as a task (Airflow's `@task` / PythonOperator). */
export class FunctionOperator<
  A extends object,
  O extends Json,
> extends BaseOperator<A, O> {
  readonly title: string;
  readonly #fn: (args: A, context: TaskContext) => O | Promise<O>;

  constructor(
    options: BaseOperatorOptions & { readonly title?: string },
    fn: (args: A, context: TaskContext) => O | Promise<O>,
    args: Args<A>,
  ) {
    super(options, args);
    this.title = options.title ?? options.taskId;
    this.#fn = fn;
  }

  override async execute(args: A, context: TaskContext): Promise<O> {
    return await this.#fn(args, context);
  }
}

/**
 * Makes a task from a plain function; its arguments may be other tasks' outputs or params.
 *
 * @example
 * const row = task({ taskId: "build_row" }, ({ press }: { press: Press }) => toRow(press), { press: sensor.output });
 */
export function task<A extends object, O extends Json>(
  options: BaseOperatorOptions & { readonly title?: string },
  fn: (args: A, context: TaskContext) => O | Promise<O>,
  args: Args<A>,
): FunctionOperator<A, O> {
  return new FunctionOperator(options, fn, args);
}
