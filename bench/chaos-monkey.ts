import type {
  ClusterRole,
  RunningCluster,
} from "../packages/poekhali/src/cluster/start-cluster.js";

/** How the monkey kills. */
export interface MonkeyOptions {
  readonly nodes: number;
  readonly workers: number;
  /** Between two kills: a random wait in this range, in milliseconds. */
  readonly pauseMs: readonly [number, number];
  /** How long a killed process stays down before its restart: a random time in this range, in milliseconds. */
  readonly downMs: readonly [number, number];
  readonly log: (line: string) => void;
}

/** What the monkey has done so far. */
export interface MonkeyTally {
  readonly kills: Record<ClusterRole, number>;
  readonly total: number;
}

const random = ([low, high]: readonly [number, number]) =>
  low + Math.random() * (high - low);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * SIGKILLs a random Restate node, worker or the web tier at random moments and restarts it after a random
 * downtime, one at a time (a 3-node cluster survives one dead node, not two), until `stop()`. Kinds come from a
 * shuffled bag, so every three kills hit each kind once.
 */
export function chaosMonkey(cluster: RunningCluster, options: MonkeyOptions) {
  const kills: Record<ClusterRole, number> = { node: 0, worker: 0, web: 0 };
  let bag: ClusterRole[] = [];
  let stopping = false;
  let wake: () => void = () => undefined;
  const loop = (async () => {
    while (!stopping) {
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, random(options.pauseMs));
      });
      if (stopping) return;
      if (bag.length === 0)
        bag = (["node", "worker", "web"] as ClusterRole[]).sort(
          () => Math.random() - 0.5,
        );
      const role = bag.pop() as ClusterRole;
      const count =
        role === "node"
          ? options.nodes
          : role === "worker"
            ? options.workers
            : 1;
      const id = 1 + Math.floor(Math.random() * count);
      const started = Date.now();
      await cluster.kill(role, id);
      kills[role]++;
      options.log(`[chaos] SIGKILL ${role} ${id}`);
      await sleep(random(options.downMs));
      // A restart can fail (a port taken for a moment): try again rather than leave the cluster a piece short.
      for (let attempt = 1; ; attempt++) {
        try {
          await cluster.restart(role, id);
          break;
        } catch (error) {
          options.log(
            `[chaos] restarting ${role} ${id} failed (attempt ${attempt}): ${error instanceof Error ? error.message : String(error)}`,
          );
          if (attempt >= 5) throw error;
          await sleep(1_000);
        }
      }
      options.log(
        `[chaos] ${role} ${id} back after ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
    }
  })();
  return {
    tally: (): MonkeyTally => ({
      kills: { ...kills },
      total: kills.node + kills.worker + kills.web,
    }),
    /** Ends the loop once the kill in progress, if any, has been restarted. */
    async stop(): Promise<void> {
      stopping = true;
      wake();
      await loop;
    },
    /** Rejects if the loop failed (a process that would not come back). */
    done: loop,
  };
}
