import { spawn } from "node:child_process";
import { join } from "node:path";
import { eventually } from "./harness.js";

const ROOT = new URL("..", import.meta.url).pathname;

/** A `poekhali worker|web|…` child process that printed its ready line. */
export interface RoleProcess<Ready> {
  /** The JSON line it printed on stdout when ready. */
  readonly ready: Ready;
  readonly pid: number;
  /** Everything it wrote so far, stdout and stderr. */
  readonly output: () => string;
  /** Sends a signal and waits for the process to exit; returns its exit code (null after a kill by signal). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Spawns the `poekhali` CLI with `args` and only PATH, HOME and `env`; resolves once it prints its JSON ready line. */
export async function startRole<Ready>(
  args: string[],
  env: Record<string, string>,
): Promise<RoleProcess<Ready>> {
  const role = spawnRole<Ready>(args, env);
  return { ...role, ready: await role.ready };
}

/** A role process spawned, whose ready line is still to come: what it does before it is ready can be watched. */
export interface SpawnedRole<Ready> extends Omit<RoleProcess<Ready>, "ready"> {
  /** Resolves with its ready line; rejects (and kills it) when it exits first or prints none within 90 s. */
  readonly ready: Promise<Ready>;
}

/** Spawns the `poekhali` CLI as {@link startRole} does, without waiting for its ready line. */
export function spawnRole<Ready>(
  args: string[],
  env: Record<string, string>,
): SpawnedRole<Ready> {
  const child = spawn(
    process.execPath,
    [join(ROOT, "packages/poekhali/bin/poekhali.js"), ...args],
    {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? "",
        HOME: process.env.HOME ?? "/tmp",
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => resolve(code)),
  );
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code));
  const ready = eventually(
    `poekhali ${args.join(" ")} to print its ready line`,
    () => {
      if (exitCode !== undefined)
        throw new Error(`it exited (${exitCode}):\n${out}${err}`);
      const line = out.split("\n").find((l) => l.startsWith("{"));
      return line ? (JSON.parse(line) as Ready) : undefined;
    },
    90_000,
  ).catch((error: unknown) => {
    child.kill("SIGKILL");
    throw new Error(`${String(error)}\n--- output ---\n${out}${err}`);
  });
  return {
    ready,
    pid: child.pid ?? 0,
    output: () => out + err,
    async stop(signal: NodeJS.Signals = "SIGTERM") {
      if (exitCode === undefined) child.kill(signal);
      return exited;
    },
  };
}
