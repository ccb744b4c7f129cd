// Runs one command and ends it when the process that forked this watchdog goes away, however it went: SIGKILL,
// the OOM killer, a closed terminal. Node has no PDEATHSIG, but the IPC channel to the parent closes whenever the
// parent dies. Forked detached (its own process group, out of reach of the terminal's Ctrl-C and of a kill of the
// parent's group), it stops the command with SIGTERM, then SIGKILL after the grace period, and exits with the
// command's code. Plain JavaScript so that it starts in a few milliseconds, without the TypeScript loader.
//
// Usage: fork("watchdog.js", [graceMs, command, ...args], { detached: true, stdio: [..., "ipc"] })
// Sends { type: "started", pid } once the command runs; SIGTERM, SIGINT or SIGHUP to the watchdog stop it too.
import { spawn } from "node:child_process";
import { constants } from "node:os";

const [graceArg = "10000", command, ...args] = process.argv.slice(2);
if (!command) {
  process.stderr.write("usage: watchdog.js <grace ms> <command> [args...]\n");
  process.exit(2);
}
const graceMs = Number(graceArg);
const child = spawn(command, args, { stdio: ["ignore", "inherit", "inherit"] });

// The parent may be gone already: a message it can no longer read is not an error here.
const tell = (message) => {
  try {
    process.send?.(message, undefined, undefined, () => undefined);
  } catch {
    /* the channel is closed */
  }
};

let ending = false;
const end = () => {
  if (ending) return;
  ending = true;
  if (child.exitCode === null && child.signalCode === null) {
    child.kill("SIGTERM");
    setTimeout(() => child.kill("SIGKILL"), graceMs).unref();
  }
};
child.once("spawn", () => tell({ type: "started", pid: child.pid }));
child.once("error", (error) => {
  tell({ type: "error", message: String(error) });
  process.exit(127);
});
child.once("exit", (code, signal) => {
  process.exit(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0));
});
process.on("SIGTERM", end);
process.on("SIGINT", end);
process.on("SIGHUP", end);
process.on("disconnect", end);
