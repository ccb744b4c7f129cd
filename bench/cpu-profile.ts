import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";

/**
 * A CPU profile of this process, taken through the inspector between `start` and `stop` (like `--cpu-prof`, but
 * around one phase of a benchmark only); `stop` writes it where Chrome DevTools and `bench/profile-top.ts` read it.
 */
export async function startCpuProfile(): Promise<{
  stop(file: string): Promise<void>;
}> {
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.start");
  return {
    async stop(file: string) {
      const { profile } = await session.post("Profiler.stop");
      writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
    },
  };
}
