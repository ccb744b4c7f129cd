import type { Dag } from "./dag.js";

interface Registry {
  /** The DAGs constructed or served while the current DAG file loads; undefined between loads. */
  collecting: Dag[] | undefined;
}

// Keyed on a global symbol: the DAG loader and a DAG file may reach this module under different URLs.
const REGISTRY = Symbol.for("poekhali.airflow.registry");

function registry(): Registry {
  const holder = globalThis as unknown as Record<symbol, Registry | undefined>;
  return (holder[REGISTRY] ??= { collecting: undefined });
}

/** Records a DAG as one the file being loaded declares (a no-op outside a load). */
export function registerDag(dag: Dag): void {
  const collecting = registry().collecting;
  if (collecting && !collecting.includes(dag)) collecting.push(dag);
}

/**
 * Runs `load` (importing one DAG file) and returns every SDK `Dag` constructed or served while it ran.
 *
 * @example
 * const { dags } = await collectAirflowDags(() => import(url));
 */
export async function collectAirflowDags<T>(
  load: () => Promise<T>,
): Promise<{ readonly value: T; readonly dags: readonly Dag[] }> {
  const state = registry();
  const outer = state.collecting;
  const dags: Dag[] = [];
  state.collecting = dags;
  try {
    const value = await load();
    return { value, dags };
  } finally {
    state.collecting = outer;
  }
}
