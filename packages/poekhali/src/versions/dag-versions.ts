import { createHash } from "node:crypto";
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
} from "node:fs";
import { dirname, join, relative } from "node:path";

/** One version of the DAG files: its hash and the folder a worker loads it from. */
export interface DagVersion {
  readonly hash: string;
  readonly folder: string;
}

/** The path under a worker's address where a version is served, e.g. `/v/3f9a…`. */
export const versionPath = (hash: string) => `/v/${hash}`;

/** The version a deployment URI serves, if it is one of ours. */
export function versionOf(uri: string): string | undefined {
  return /\/v\/([0-9a-f]{12})\/?$/.exec(uri)?.[1];
}

function files(folder: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      if (name === "node_modules" || name.startsWith(".")) continue;
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else out.push(path);
    }
  };
  if (existsSync(folder)) walk(folder);
  return out;
}

/** Hashes every file of the DAGs folder (names and contents): a change to any is a new version. */
export function hashDags(folder: string): string {
  const hash = createHash("sha256");
  for (const path of files(folder))
    hash
      .update(relative(folder, path))
      .update("\0")
      .update(readFileSync(path))
      .update("\0");
  return hash.digest("hex").slice(0, 12);
}

/**
 * Where snapshots live: `.poekhali/dag-versions` in the DAGs' project (the nearest folder with a package.json),
 * so their imports resolve from the project's node_modules as the originals' do. Not inside node_modules:
 * files there get their own copy of @poekhali/core from the TypeScript loader, and instanceof checks fail.
 */
export function snapshotsRoot(dagsFolder: string): string {
  let dir = dirname(dagsFolder);
  while (!existsSync(join(dir, "package.json")) && dirname(dir) !== dir)
    dir = dirname(dir);
  return join(dir, ".poekhali", "dag-versions");
}

/**
 * Keeps a copy of the DAGs folder as it is now, keyed by its hash, so that runs started on this code can finish
 * on it after the files change (Restate pins each run to the deployment it started on).
 */
export function snapshotDags(dagsFolder: string): DagVersion {
  const hash = hashDags(dagsFolder);
  const folder = join(snapshotsRoot(dagsFolder), hash);
  if (!existsSync(folder)) {
    mkdirSync(dirname(folder), { recursive: true });
    const staging = `${folder}.tmp-${process.pid}`;
    cpSync(dagsFolder, staging, {
      recursive: true,
      filter: (src) => !src.includes("node_modules"),
    });
    // A rename is atomic: a half-written snapshot never has the final name (and a concurrent writer's wins).
    try {
      renameSync(staging, folder);
    } catch {
      rmSync(staging, { recursive: true, force: true });
    }
  }
  return { hash, folder };
}

/** The snapshot of an earlier version, if it is still kept. */
export function keptVersion(
  dagsFolder: string,
  hash: string,
): DagVersion | undefined {
  const folder = join(snapshotsRoot(dagsFolder), hash);
  return existsSync(folder) ? { hash, folder } : undefined;
}
