import { DagDefinitionError } from "../errors.js";
import { isAirflowDag, type Dag } from "./dag.js";
import { NotSupportedYetError } from "./errors.js";
import { registerDag } from "./registry.js";

/** What a {@link Bundle} takes: a `Dag` declared in TypeScript. */
export type Registerable = Dag;

/**
 * The DAGs a DAG file provides; in poekhali, `await bundle.serve()` registers them with the DAGs folder being loaded
 * and returns.
 *
 * @example
 * await new Bundle(dag).serve();
 */
export class Bundle {
  readonly #dags = new Map<string, Dag>();

  constructor(...items: Registerable[]) {
    this.register(...items);
  }

  /** Adds DAGs; a DAG id given twice is refused, and a call that throws adds none of its items. */
  register(...items: Registerable[]): void {
    const staged = new Map(this.#dags);
    for (const item of items) {
      if (!isAirflowDag(item))
        throw new NotSupportedYetError(
          "registering anything but a Dag (a TaskHandler for a task a Python DAG declares)",
        );
      if (staged.has(item.dagId))
        throw new DagDefinitionError(item.dagId, "it is registered twice");
      staged.set(item.dagId, item);
    }
    for (const [id, dag] of staged) this.#dags.set(id, dag);
  }

  /** Registers this bundle's DAGs with the DAGs folder being loaded, and returns. */
  serve(): Promise<void> {
    for (const dag of this.#dags.values()) registerDag(dag);
    return Promise.resolve();
  }

  /** The ids of the registered DAGs, in registration order. */
  get dagIds(): readonly string[] {
    return [...this.#dags.keys()];
  }
}
