import { readdir } from "node:fs/promises";
import { register } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Dag } from "@poekhali/core";
import { collectAirflowDags, compileAirflowDag } from "@poekhali/core/airflow";
import { OWN_SERVICE_NAMES } from "./own-services.js";
import {
  isRestateDefinition,
  type RestateDefinition,
} from "./restate-definition.js";

/** A DAG file that could not be loaded, and why. */
export interface DagImportError {
  readonly path: string;
  readonly error: string;
}

/** What loading a DAGs folder found. */
export interface LoadedDags {
  readonly dags: ReadonlyMap<string, Dag>;
  /** The file name (in the folder) each DAG was loaded from, by DAG id. */
  readonly files: ReadonlyMap<string, string>;
  /** The Restate services, objects and workflows the files export (a deferrable sensor's event source), by name. */
  readonly services: ReadonlyMap<string, RestateDefinition>;
  readonly errors: readonly DagImportError[];
  /** What a DAG declares that poekhali accepts but does not act on, one line per feature, naming the DAG. */
  readonly warnings: readonly string[];
}

const DAG_FILE = /^(?!.*\.(test|spec|d)\.[cm]?[jt]s$).*\.[cm]?[jt]s$/;

// The names DAG files written for Apache Airflow's TypeScript SDK import it by: its npm name, and the name its
// examples in Airflow's repository use.
const AIRFLOW_SDK_NAMES = ["@apache-airflow/ts-sdk", "apache-airflow-ts-sdk"];

let hooksRegistered = false;

/** Maps the SDK's specifiers to `@poekhali/core/airflow` for every module loaded from now on, when not installed. */
function registerAirflowSdkHooks(): void {
  if (hooksRegistered) return;
  hooksRegistered = true;
  const root = import.meta.resolve("@poekhali/core/airflow");
  const hitl = import.meta.resolve("@poekhali/core/airflow/hitl");
  const targets: Record<string, string> = {};
  for (const name of AIRFLOW_SDK_NAMES) {
    targets[name] = root;
    targets[`${name}/hitl`] = hitl;
  }
  register("../bin/airflow-sdk-hooks.js", import.meta.url, {
    data: { targets },
  });
}

/**
 * Imports every module in the folder and collects its DAGs: those it exports made with `dag()`, and every `Dag` of
 * Airflow's TypeScript SDK constructed or served while it loads; and the Restate services it exports, for the worker
 * to serve beside them. A broken file is reported, the rest load.
 */
export async function loadDags(folder: string): Promise<LoadedDags> {
  registerAirflowSdkHooks();
  const dags = new Map<string, Dag>();
  const files = new Map<string, string>();
  const services = new Map<string, RestateDefinition>();
  // The file each service came from, to name both files when another one exports the same name.
  const serviceFiles = new Map<string, string>();
  const isDag = (value: unknown): value is Dag => value instanceof Dag;
  const errors: DagImportError[] = [];
  const warnings: string[] = [];
  // One poekhali DAG per SDK Dag, though a second file may serve a Dag the first one made.
  const compiled = new Map<object, Dag>();
  const names = (await readdir(folder).catch(() => []))
    .filter((n) => DAG_FILE.test(n))
    .sort();
  for (const name of names) {
    const path = join(folder, name);
    try {
      const loaded = await collectAirflowDags(
        async () =>
          (await import(pathToFileURL(path).href)) as Record<string, unknown>,
      );
      const found = Object.values(loaded.value).filter(isDag);
      const fileWarnings: string[] = [];
      const fromSdk = loaded.dags.map((sdkDag) => {
        const known = compiled.get(sdkDag);
        if (known) return [sdkDag, known] as const;
        const result = compileAirflowDag(sdkDag);
        fileWarnings.push(...result.warnings);
        return [sdkDag, result.dag] as const;
      });
      found.push(...fromSdk.map(([, dag]) => dag));
      // A file is loaded whole or not at all: a DAG id defined twice leaves none of its DAGs.
      const staged = new Map<string, Dag>();
      for (const value of found) {
        const seen = dags.get(value.id) ?? staged.get(value.id);
        if (seen && seen !== value)
          throw new Error(`DAG id "${value.id}" is defined twice`);
        staged.set(value.id, value);
      }
      const stagedServices = stageServices(
        name,
        Object.values(loaded.value).filter(isRestateDefinition),
        { dags, files, staged, services, serviceFiles },
      );
      for (const [id, value] of staged) {
        dags.set(id, value);
        if (!files.has(id)) files.set(id, name);
      }
      for (const [serviceName, definition] of stagedServices) {
        services.set(serviceName, definition);
        if (!serviceFiles.has(serviceName)) serviceFiles.set(serviceName, name);
      }
      for (const [sdkDag, dag] of fromSdk) compiled.set(sdkDag, dag);
      warnings.push(...fileWarnings);
    } catch (error) {
      errors.push({
        path,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
  return { dags, files, services, errors, warnings };
}

/**
 * The Restate definitions a file exports, by name; throws naming both files when a name is taken by another file's
 * service or DAG (a DAG is a Restate workflow of its id), or by one of poekhali's own services.
 */
function stageServices(
  file: string,
  exported: readonly RestateDefinition[],
  known: {
    readonly dags: ReadonlyMap<string, Dag>;
    readonly files: ReadonlyMap<string, string>;
    readonly staged: ReadonlyMap<string, Dag>;
    readonly services: ReadonlyMap<string, RestateDefinition>;
    readonly serviceFiles: ReadonlyMap<string, string>;
  },
): Map<string, RestateDefinition> {
  const staged = new Map<string, RestateDefinition>();
  for (const definition of exported) {
    const { name } = definition;
    if (OWN_SERVICE_NAMES.has(name))
      throw new Error(
        `Restate service "${name}" exported by ${file} has the name of one of poekhali's own services; rename it`,
      );
    if (known.staged.has(name))
      throw new Error(
        `Restate service "${name}" exported by ${file} has the id of a DAG of ${file}; rename one of them`,
      );
    const dagFile = known.dags.has(name) ? known.files.get(name) : undefined;
    if (dagFile !== undefined)
      throw new Error(
        `Restate service "${name}" exported by ${file} has the id of a DAG of ${dagFile}; rename one of them`,
      );
    // One definition exported by two files (one imports it from the other) is one service.
    const other = known.services.get(name);
    if (other !== undefined && other !== definition)
      throw new Error(
        `Restate service "${name}" is exported by ${known.serviceFiles.get(name) ?? "another file"} and by ${file}; rename one of them`,
      );
    const twin = staged.get(name);
    if (twin !== undefined && twin !== definition)
      throw new Error(
        `Restate service "${name}" is exported twice by ${file}; rename one of them`,
      );
    staged.set(name, definition);
  }
  // A DAG of this file whose id is a service another file exports.
  for (const id of known.staged.keys()) {
    const serviceFile = known.serviceFiles.get(id);
    if (serviceFile !== undefined)
      throw new Error(
        `DAG "${id}" of ${file} has the name of a Restate service exported by ${serviceFile}; rename one of them`,
      );
  }
  return staged;
}
