import { execFileSync } from "node:child_process";
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SupervisorError } from "./errors.js";
import { waitFor } from "./wait-for.js";

/** The processes of one `poekhali up`, as `<home>/pids.json` records them. */
export interface AppPids {
  app: number;
  watchdog?: number | undefined;
  restate?: number | undefined;
  worker?: number | undefined;
}

/** Records the processes of this start in `<home>/pids.json`, atomically, so that a killed start leaves a readable file. */
export function writePids(home: string, pids: AppPids): void {
  const file = join(home, "pids.json");
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(pids)}\n`);
  renameSync(temporary, file);
}

/**
 * Stops what an earlier `poekhali up` of the same home left running (its restate-server, watchdog, worker), as
 * after a SIGKILL; refuses to start beside a `poekhali up` of this home that still runs. Returns one line saying
 * what it stopped, or undefined when there was nothing.
 */
export async function stopLeftovers(home: string): Promise<string | undefined> {
  let pids: Partial<AppPids>;
  try {
    pids = JSON.parse(
      readFileSync(join(home, "pids.json"), "utf8"),
    ) as Partial<AppPids>;
  } catch {
    return undefined;
  }
  // A pid may have been reused since: only a process whose command line names this home is ours.
  const ours = (pid: number | undefined, ...marks: string[]) =>
    typeof pid === "number" &&
    pid !== process.pid &&
    alive(pid) &&
    marks.every((mark) => commandLine(pid).includes(mark));
  if (ours(pids.app, "poekhali", " up"))
    throw new SupervisorError(
      `poekhali is already running on ${home} (pid ${pids.app}); stop it first, or use another POEKHALI_HOME`,
    );
  const restateDir = join(home, "restate");
  const found: [string, number][] = [];
  if (ours(pids.worker, "main.ts", `--home=${home}`))
    found.push(["worker", pids.worker as number]);
  if (ours(pids.watchdog, "watchdog.js", restateDir))
    found.push(["restate-server's watchdog", pids.watchdog as number]);
  if (ours(pids.restate, "restate-server", restateDir))
    found.push(["restate-server", pids.restate as number]);
  if (found.length === 0) return undefined;
  // The worker first, as a clean stop does; the watchdog then stops restate-server, which gets its grace period.
  for (const [, pid] of found) signal(pid, "SIGTERM");
  await waitFor("the processes of an earlier start to stop", 15_000, () =>
    found.every(([, pid]) => !alive(pid)),
  ).catch(() => {
    for (const [, pid] of found) signal(pid, "SIGKILL");
    return waitFor("the processes of an earlier start to die", 5_000, () =>
      found.every(([, pid]) => !alive(pid)),
    );
  });
  return `stopped what an earlier start on ${home} left running: ${found.map(([name, pid]) => `${name} (pid ${pid})`).join(", ")}`;
}

/** Whether a process with this id runs (and is ours to signal). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    // Gone, or (EPERM) another user's, hence not ours either way.
    return false;
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Gone meanwhile.
  }
}

/** A process's command line: /proc on Linux, ps elsewhere; "" when it cannot be read. */
export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
  } catch {
    try {
      return execFileSync("ps", ["-o", "command=", "-p", String(pid)], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
      });
    } catch {
      return "";
    }
  }
}
