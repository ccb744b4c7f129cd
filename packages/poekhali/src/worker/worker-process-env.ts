/**
 * The V8 flag a worker process starts with: semi-spaces of 2 MiB (16 MiB by default) keep the young generation,
 * which a burst of invocations in flight fills with short-lived garbage, from holding ~30 MB of resident memory
 * that a worker whose live heap is ~30 MB does not need (see docs/benchmarks.md, bench:parked).
 */
export const WORKER_NODE_OPTIONS = "--max-semi-space-size=2";

/** glibc's malloc arenas for a worker process: 2 instead of 8 per core, so freed native memory is reused, not kept per thread. */
export const WORKER_MALLOC_ARENA_MAX = "2";

/**
 * A worker process's environment: {@link WORKER_NODE_OPTIONS} before the operator's own NODE_OPTIONS (a flag given
 * there again wins, as the later one does) and MALLOC_ARENA_MAX unless the operator set it.
 *
 * @example
 * fork(main, [], { env: workerProcessEnv(process.env) });
 */
export function workerProcessEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return {
    ...env,
    NODE_OPTIONS: [WORKER_NODE_OPTIONS, env.NODE_OPTIONS?.trim()]
      .filter(Boolean)
      .join(" "),
    MALLOC_ARENA_MAX: env.MALLOC_ARENA_MAX?.trim() || WORKER_MALLOC_ARENA_MAX,
  };
}

/** The poll lease nonce `poekhali up` gives each worker process it starts (see `UpdatePollerOptions.leaseNonce`). */
export const LEASE_NONCE_ENV = "POEKHALI_WORKER_LEASE_NONCE";
