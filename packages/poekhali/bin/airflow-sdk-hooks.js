// Module resolve hooks the DAG loader registers (run by Node's loader thread): a DAG file written for Apache Airflow's
// TypeScript SDK imports `@apache-airflow/ts-sdk` (or `apache-airflow-ts-sdk`, as Airflow's own examples do), and
// `…/hitl`; when that package is not installed, those specifiers resolve to poekhali's implementation of its API.
// Plain JavaScript: hooks load in the loader thread, before any TypeScript loader is sure to apply there.

/** Specifier → the URL of poekhali's module, as the DAG loader resolved it (so both load one module instance). */
let targets = {};

export function initialize(data) {
  targets = data?.targets ?? {};
}

export async function resolve(specifier, context, nextResolve) {
  const target = targets[specifier];
  if (target === undefined) return nextResolve(specifier, context);
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    if (error?.code !== "ERR_MODULE_NOT_FOUND") throw error;
    // Through the rest of the chain, so that the TypeScript loader learns it is to compile this file.
    return nextResolve(target, context);
  }
}
