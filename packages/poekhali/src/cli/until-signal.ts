/** How long a role may take to stop before the process exits anyway, with code 1. */
const STOP_DEADLINE_MS = 15_000;

/** Stops a role: exit code 0 when it stopped cleanly, 1 (logged) when stopping threw, so supervisors see it. */
export async function stopped(
  stop: () => Promise<void>,
  log: (line: string) => void,
): Promise<number> {
  try {
    await stop();
    return 0;
  } catch (error) {
    log(`while stopping: ${String(error)}`);
    return 1;
  }
}

/**
 * Keeps a role in the foreground until SIGTERM or SIGINT (or a closed terminal), then stops it and resolves with
 * its exit code (see {@link stopped}); a second signal while stopping is ignored. The process then exits even if a client library keeps an
 * idle keep-alive socket open: a role that has stopped has nothing left to do.
 */
export function untilSignal(
  stop: () => Promise<void>,
  log: (line: string) => void,
): Promise<number> {
  // A closed terminal turns writes to it into EIO/EPIPE errors; stopping must not crash on its own messages.
  for (const stream of [process.stdout, process.stderr])
    stream.on("error", () => undefined);
  return new Promise<number>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      log(`${signal}: stopping`);
      setTimeout(() => {
        log(`still stopping after ${STOP_DEADLINE_MS} ms: exiting`);
        process.exit(1);
      }, STOP_DEADLINE_MS).unref();
      void stopped(stop, log).then((code) => {
        resolve(code);
        setTimeout(() => process.exit(code), 500).unref();
      });
    };
    for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const)
      process.on(signal, onSignal);
  });
}
