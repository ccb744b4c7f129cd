import { ConfigError } from "../errors.js";

/**
 * How much a restate-server poekhali starts may hold in memory and run at once: Restate's memory pools
 * (docs.restate.dev/server/memory) and its invoker's concurrency, sized for one machine shared with the worker.
 */
export interface RestateServerSettings {
  /**
   * Invocations the server runs at once per partition (`worker.invoker.concurrent-invocations-limit`); the rest wait
   * in its queue. Each one in flight holds an HTTP/2 stream and its journal in the worker until it suspends.
   */
  readonly concurrentInvocations: number;
  /** RocksDB's memory cap (`rocksdb-total-memory-size`): block cache and memtables. */
  readonly rocksdbMemory: string;
  /** The memory of the SQL engine behind `POST /query` (`admin.query-engine.memory-size`). */
  readonly queryMemory: string;
  /** The cache of recent log records (`bifrost.record-cache-memory-size`). */
  readonly recordCacheMemory: string;
}

/** The embedded server's settings unless the operator sets them (POEKHALI_RESTATE_* variables). */
export const EMBEDDED_RESTATE_SETTINGS: RestateServerSettings = {
  concurrentInvocations: 256,
  rocksdbMemory: "512MiB",
  queryMemory: "256MiB",
  recordCacheMemory: "64MiB",
};

/** A node of `poekhali cluster`'s settings: three of them share the machine, so each gets less RocksDB memory. */
export const CLUSTER_NODE_SETTINGS: RestateServerSettings = {
  ...EMBEDDED_RESTATE_SETTINGS,
  rocksdbMemory: "256MiB",
};

/** The environment variable that sets each setting, as the operator writes it. */
export const RESTATE_SETTINGS_ENV = {
  concurrentInvocations: "POEKHALI_RESTATE_CONCURRENT_INVOCATIONS",
  rocksdbMemory: "POEKHALI_RESTATE_ROCKSDB_MEMORY",
  queryMemory: "POEKHALI_RESTATE_QUERY_MEMORY",
  recordCacheMemory: "POEKHALI_RESTATE_RECORD_CACHE_MEMORY",
} as const satisfies Record<keyof RestateServerSettings, string>;

// What restate-server takes as a size: a number of bytes, or one with a unit ("512MiB", "1 GiB", "64 MB").
const SIZE = /^\d+(\.\d+)?\s*(B|[KMGT]i?B)?$/i;

/**
 * The settings an operator set in the environment, checked; what is unset is left out, for the defaults to fill.
 *
 * @example
 * restateSettingsFromEnv({ POEKHALI_RESTATE_CONCURRENT_INVOCATIONS: "64" }); // { concurrentInvocations: 64 }
 */
export function restateSettingsFromEnv(
  env: NodeJS.ProcessEnv,
): Partial<RestateServerSettings> {
  const settings: {
    -readonly [K in keyof RestateServerSettings]?: RestateServerSettings[K];
  } = {};
  const value = (name: string) => env[name]?.trim() || undefined;
  const limit = value(RESTATE_SETTINGS_ENV.concurrentInvocations);
  if (limit !== undefined) {
    const n = Number(limit);
    if (!/^\d+$/.test(limit) || n < 1)
      throw new ConfigError(
        RESTATE_SETTINGS_ENV.concurrentInvocations,
        "must be a whole number of invocations per partition, 1 or more, e.g. 256",
      );
    settings.concurrentInvocations = n;
  }
  for (const key of [
    "rocksdbMemory",
    "queryMemory",
    "recordCacheMemory",
  ] as const) {
    const size = value(RESTATE_SETTINGS_ENV[key]);
    if (size === undefined) continue;
    if (!SIZE.test(size))
      throw new ConfigError(
        RESTATE_SETTINGS_ENV[key],
        "must be a size such as 256MiB, 1GiB or 64MB",
      );
    settings[key] = size;
  }
  return settings;
}

/** The restate-server environment variables that apply these settings. */
export function restateSettingsServerEnv(
  settings: RestateServerSettings,
): Record<string, string> {
  return {
    RESTATE_WORKER__INVOKER__CONCURRENT_INVOCATIONS_LIMIT: String(
      settings.concurrentInvocations,
    ),
    RESTATE_ROCKSDB_TOTAL_MEMORY_SIZE: settings.rocksdbMemory,
    RESTATE_ADMIN__QUERY_ENGINE__MEMORY_SIZE: settings.queryMemory,
    RESTATE_BIFROST__RECORD_CACHE_MEMORY_SIZE: settings.recordCacheMemory,
  };
}
