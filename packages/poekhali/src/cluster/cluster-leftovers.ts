import { readFileSync, readlinkSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { alive, commandLine } from "../leftovers.js";
import { waitFor } from "../wait-for.js";
import type { ClusterInfo } from "./start-cluster.js";

/** The directory the cluster's roles run in (their cwd), which marks a worker or web tier as this home's. */
export function clusterStateDir(home: string): string {
  return join(home, "cluster");
}

/**
 * Stops what the `poekhali cluster` last recorded in `<home>/cluster.json` left running, as after a SIGKILL of its
 * supervisor (nodes, workers and the web tier still in their shutdown grace, or stuck): SIGTERM, then SIGKILL after
 * 15 s. Only processes whose command line (and, for roles, working directory) is this home's are touched, since a
 * pid may have been reused. Returns one line saying what it stopped, or undefined when there was nothing.
 */
export async function stopClusterLeftovers(
  home: string,
): Promise<string | undefined> {
  let info: Partial<ClusterInfo>;
  try {
    info = JSON.parse(
      readFileSync(join(home, "cluster.json"), "utf8"),
    ) as Partial<ClusterInfo>;
  } catch {
    return undefined;
  }
  const nodesDir = join(home, "restate-cluster");
  const stateDir = clusterStateDir(home);
  const found: [string, number][] = [];
  const consider = (name: string, pid: unknown, ...marks: string[]) => {
    if (
      typeof pid === "number" &&
      pid !== process.pid &&
      alive(pid) &&
      marks.every((mark) => commandLine(pid).includes(mark))
    )
      found.push([name, pid]);
  };
  for (const p of info.processes ?? []) {
    const name = `${p.role} ${p.id}`;
    if (p.role === "restate-node") {
      consider(name, p.pid, "restate-server", nodesDir);
      consider(`${name}'s watchdog`, p.watchdog_pid, "watchdog.js", nodesDir);
    } else if (p.role === "worker" || p.role === "web") {
      const verb = `poekhali.js ${p.role}`;
      for (const [what, pid] of [
        [name, p.pid],
        [`${name}'s watchdog`, p.watchdog_pid],
      ] as const)
        if (typeof pid === "number" && runsIn(pid, stateDir))
          consider(what, pid, verb);
    }
  }
  if (found.length === 0) return undefined;
  for (const [, pid] of found) signal(pid, "SIGTERM");
  await waitFor("the processes of an earlier cluster to stop", 15_000, () =>
    found.every(([, pid]) => !alive(pid)),
  ).catch(() => {
    for (const [, pid] of found) signal(pid, "SIGKILL");
    return waitFor("the processes of an earlier cluster to die", 5_000, () =>
      found.every(([, pid]) => !alive(pid)),
    );
  });
  return `stopped what an earlier cluster on ${home} left running: ${found.map(([name, pid]) => `${name} (pid ${pid})`).join(", ")}`;
}

/** Whether a process's working directory is `dir`; true where that cannot be read (no /proc), the command line then decides. */
function runsIn(pid: number, dir: string): boolean {
  try {
    return readlinkSync(`/proc/${pid}/cwd`) === realpathSync(dir);
  } catch {
    return !alive(pid) || process.platform !== "linux";
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Gone meanwhile.
  }
}
