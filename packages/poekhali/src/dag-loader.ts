import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { Dag } from "@poekhali/core";

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
  readonly errors: readonly DagImportError[];
}

const DAG_FILE = /^(?!.*\.(test|spec|d)\.[cm]?[jt]s$).*\.[cm]?[jt]s$/;

/** Imports every module in the folder and collects the DAGs they export; a broken file is reported, the rest load. */
export async function loadDags(folder: string): Promise<LoadedDags> {
  const dags = new Map<string, Dag>();
  const files = new Map<string, string>();
  const isDag = (value: unknown): value is Dag => value instanceof Dag;
  const errors: DagImportError[] = [];
  const names = (await readdir(folder).catch(() => []))
    .filter((n) => DAG_FILE.test(n))
    .sort();
  for (const name of names) {
    const path = join(folder, name);
    try {
      const module = (await import(pathToFileURL(path).href)) as Record<
        string,
        unknown
      >;
      for (const value of Object.values(module)) {
        if (!isDag(value)) continue;
        const seen = dags.get(value.id);
        if (seen && seen !== value)
          throw new Error(`DAG id "${value.id}" is defined twice`);
        dags.set(value.id, value);
        files.set(value.id, name);
      }
    } catch (error) {
      errors.push({
        path,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
  return { dags, files, errors };
}
