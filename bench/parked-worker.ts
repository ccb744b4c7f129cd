// The sandbox worker of bench:parked in a process of its own, so that its memory and CPU are measured apart from
// restate-server's and the bench's (which holds the emulators). Its parent passes what to talk to in
// PARKED_WORKER (JSON) and gets `{ type: "ready", url, deployments }` over IPC once it serves.
import "@poekhali/core";
import { monitorEventLoopDelay } from "node:perf_hooks";
import type { SandboxInfo } from "@poekhali/emulators";
import { telegramGoButton } from "../dags/telegram_go_button.js";
import { startCpuProfile } from "./cpu-profile.js";
import { sandboxWorker } from "./sandbox-worker.js";

const { info, ingressUrl, adminUrl, pollerApart } = JSON.parse(
  process.env.PARKED_WORKER ?? "{}",
) as {
  info: SandboxInfo;
  ingressUrl: string;
  adminUrl: string;
  pollerApart?: boolean;
};
const worker = await sandboxWorker(
  info,
  { ingressUrl, adminUrl },
  [telegramGoButton],
  undefined,
  // What goes wrong is worth seeing in a benchmark's output; the rest is noise.
  (line) => {
    // An answer past Telegram's window is counted by the bench itself; one line per late press would bury the rest.
    if (/query is too old/.test(line)) return;
    if (/could not|gave up|failed|stopped polling|lease/i.test(line))
      process.stderr.write(`[worker] ${line}\n`);
  },
  // With --poller-process the bench's own poller process polls (bench/parked-poller.ts).
  pollerApart ? "webhook" : "poll",
);
process.send?.({
  type: "ready",
  url: worker.url,
  deployments: worker.deployments,
});
// Asked by the bench: what the worker's heap holds once garbage is collected (a parked run should leave nothing).
// With it, how long callbacks waited for the event loop since the last ask: a busy loop answers Restate late.
const delay = monitorEventLoopDelay({ resolution: 20 });
delay.enable();
process.on("message", (m: { type?: string }) => {
  if (m.type !== "memory") return;
  (globalThis as { gc?: () => void }).gc?.();
  const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage();
  process.send?.({
    type: "memory",
    rss,
    heapUsed,
    external,
    arrayBuffers,
    loopDelayP99Ms: delay.percentile(99) / 1e6,
    loopDelayMaxMs: delay.max / 1e6,
  });
  delay.reset();
});
// Asked by the bench with --profile: a CPU profile of the burst.
let profile: Awaited<ReturnType<typeof startCpuProfile>> | undefined;
process.on(
  "message",
  (m: { type?: string; action?: string; file?: string }) => {
    if (m.type !== "profile") return;
    void (async () => {
      if (m.action === "start") profile = await startCpuProfile();
      else if (m.file) await profile?.stop(m.file);
      process.send?.({ type: `profile-${m.action}` });
    })();
  },
);
process.on("SIGTERM", () => {
  void worker.stop().finally(() => process.exit(0));
});
process.on("disconnect", () => process.exit(1));
