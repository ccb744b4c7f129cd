// Parked runs at scale: N runs of `telegram_go_button` (each in a chat of its own) triggered in the sandbox and left
// waiting for their press; then what they cost (RSS of restate-server, the worker and this process, which holds the
// emulators; disk under the Restate home; idle CPU), and a burst in which every button is pressed: presses answered
// per second, the share answered within Telegram's 15 s, time to drain and rows per second, and whether the rows are
// exact. `--burst K` presses only the first K buttons (the issue's burst is 10,000 presses among 100,000 parked); the
// rest stay parked and are counted as such. Usage:
// npm run bench:parked [-- --runs 100000 --burst 10000 --concurrency 256 --idle 10 --profile DIR --poller-process]
// (--profile: CPU profiles of the burst in both Node processes, to read with bench/profile-top.ts; --poller-process:
// the bot's poller runs in a process of its own instead of the worker, to compare its rounds when it does not share
// the worker's event loop)
import { INTERNAL_KEY_ENV } from "@poekhali/core";
import { randomBytes } from "node:crypto";
import { fork, type ChildProcess } from "node:child_process";
import { readFileSync, readdirSync, lstatSync } from "node:fs";
import { loadavg } from "node:os";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { startSandbox } from "@poekhali/emulators";
import { LATE_ANSWER_TEXT } from "@poekhali/telegram";
import { startTemporaryRestate } from "../packages/poekhali/src/restate/temporary-restate.js";
import { workerProcessEnv } from "../packages/poekhali/src/worker/worker-process-env.js";
import {
  EMBEDDED_RESTATE_SETTINGS,
  restateSettingsFromEnv,
} from "../packages/poekhali/src/restate/restate-server-settings.js";
import { pool, until, untilCount } from "./concurrency.js";
import { startCpuProfile } from "./cpu-profile.js";
import {
  peakRssMb,
  restateMemory,
  rssMb,
  totalRssSampler,
} from "./memory-figures.js";
import { percentile } from "./stats.js";

/** What a bench:parked run is asked to do. */
export interface ParkedOptions {
  readonly runs: number;
  /** How many of the parked runs get their button pressed in the burst; all of them by default. */
  readonly burst?: number;
  /** How many triggers, and how many presses, are in flight at once (people press independently). */
  readonly concurrency: number;
  /** How long idle CPU is measured with every run parked, in seconds. */
  readonly idleSeconds: number;
  /** Where CPU profiles of the burst go (the bench's process, which holds the emulators, and the worker's); none unless given. */
  readonly profileDir?: string;
  /** Whether the bot's poller runs in a process of its own (bench/parked-poller.ts) instead of in the worker. */
  readonly pollerProcess?: boolean;
  readonly print: (line: string) => void;
}

/** The figures a bench:parked run printed, for tests that check them. */
export interface ParkedResult {
  readonly parked: number;
  readonly answeredInWindow: number;
  readonly rows: number;
  readonly exact: boolean;
  /** The printed line about rows (it says `exact` or `NOT exact`). */
  readonly rowsLine: string;
}

const WORKER = fileURLToPath(new URL("./parked-worker.ts", import.meta.url));
const POLLER = fileURLToPath(new URL("./parked-poller.ts", import.meta.url));
/** Telegram refuses an answer to a callback query this long after the press (the emulator does the same). */
const ANSWER_WINDOW_MS = 15_000;

/** Runs the benchmark and prints its figures; the caller decides what to do with them. */
export async function benchParked(
  options: ParkedOptions,
): Promise<ParkedResult> {
  const { runs, concurrency, print } = options;
  const burst = options.burst ?? runs;
  if (!Number.isInteger(burst) || burst < 1 || burst > runs)
    throw new RangeError(
      `--burst must be a whole number from 1 to --runs (${runs}), got ${options.burst}`,
    );
  const sandbox = await startSandbox();
  const { telegram, airtable } = sandbox.info;
  // The forked worker takes only requests signed with this key through the ingress, and inherits it.
  process.env[INTERNAL_KEY_ENV] ??= randomBytes(32).toString("base64url");
  // The embedded server's settings, or what the operator's POEKHALI_RESTATE_* variables make of them (to compare).
  const settings = restateSettingsFromEnv(process.env);
  const stack = await startTemporaryRestate("poekhali-bench-parked-", {
    settings,
  });
  const { server, ingress } = stack;
  let child: ChildProcess | undefined;
  let pollerChild: ChildProcess | undefined;
  // As `poekhali up` starts its worker: small semi-spaces, few malloc arenas (worker-process-env.ts).
  const workerEnv = workerProcessEnv({
    ...process.env,
    RESTATE_LOGGING: "WARN",
    PARKED_WORKER: JSON.stringify({
      info: sandbox.info,
      ingressUrl: server.ingressUrl,
      adminUrl: server.adminUrl,
      pollerApart: options.pollerProcess === true,
    }),
  });
  try {
    const worker = await new Promise<{ pid: number; deployments: string[] }>(
      (resolve, reject) => {
        child = fork(WORKER, [], {
          execArgv: [
            "--expose-gc",
            "--conditions=poekhali-source",
            "--import",
            import.meta.resolve("tsx"),
          ],
          env: workerEnv,
          // Its stdout is the SDK's log of every invocation; what goes wrong comes on stderr.
          stdio: ["ignore", "ignore", "inherit", "ipc"],
        });
        child.once("exit", (code) =>
          reject(new Error(`the worker exited (${code}) before it served`)),
        );
        child.on("message", (m: { type?: string; deployments?: string[] }) => {
          if (m.type === "ready" && child?.pid)
            resolve({ pid: child.pid, deployments: m.deployments ?? [] });
        });
      },
    );
    await server.register(worker.deployments[0]!);
    if (options.pollerProcess)
      pollerChild = fork(POLLER, [], {
        execArgv: [
          "--conditions=poekhali-source",
          "--import",
          import.meta.resolve("tsx"),
        ],
        env: {
          ...process.env,
          PARKED_POLLER: JSON.stringify({
            token: telegram.token,
            apiRoot: telegram.api_root,
            ingressUrl: server.ingressUrl,
          }),
        },
        stdio: ["ignore", "ignore", "inherit", "ipc"],
      });
    const restatePid = server.pid;
    if (restatePid === undefined)
      throw new Error("restate-server did not say its process id");
    const processes: Record<string, number> = {
      "restate-server": restatePid,
      worker: worker.pid,
      "bench (emulators)": process.pid,
      ...(pollerChild?.pid ? { poller: pollerChild.pid } : {}),
    };
    const rss = () =>
      Object.entries(processes)
        .map(([name, pid]) => `${name} ${rssMb(pid)} MB`)
        .join(", ");
    const peaks = () =>
      Object.entries(processes)
        .map(([name, pid]) => `${name} ${peakRssMb(pid)} MB`)
        .join(", ");
    const totalRss = () =>
      Object.values(processes).reduce((sum, pid) => sum + rssMb(pid), 0);
    print(
      `bench:parked — ${runs} runs of telegram_go_button, ${concurrency} at a time; ${new Date().toISOString()}`,
    );
    const effective = { ...EMBEDDED_RESTATE_SETTINGS, ...settings };
    print(
      `  restate-server: ${effective.concurrentInvocations} invocations at once per partition, RocksDB ${effective.rocksdbMemory}, ` +
        `query engine ${effective.queryMemory}, record cache ${effective.recordCacheMemory}; ` +
        `worker: NODE_OPTIONS=${workerEnv.NODE_OPTIONS}, MALLOC_ARENA_MAX=${workerEnv.MALLOC_ARENA_MAX}`,
    );
    print(`  before: RSS ${rss()}; total ${totalRss()} MB`);

    // Park N runs, each in a group of its own (Telegram limits a bot to about 20 messages a minute per group).
    const chats = Array.from(
      { length: runs },
      (_, i) =>
        sandbox.telegram.createChat({ type: "supergroup", title: `park ${i}` })
          .id,
    );
    const parkStart = Date.now();
    const parkingRss = totalRssSampler(processes);
    await pool(chats, concurrency, (chat, i) =>
      ingress.send(
        { service: "telegram_go_button", handler: "run", key: `p${i}` },
        { conf: { chat_id: String(chat), text: `park ${i}`, timeout: "6h" } },
      ),
    );
    const triggeredMs = Date.now() - parkStart;
    const suspended = async () =>
      (
        await server.query<{ n: number }>(
          "SELECT count(*) AS n FROM sys_invocation WHERE target_service_name = 'telegram_go_button' AND status = 'suspended'",
        )
      )[0]?.n ?? 0;
    // How many runs Restate had in flight at once (running in the worker, or backing off after a failed attempt):
    // the worker's memory while parking follows these, not the runs already parked.
    let peakRunning = 0;
    let peakBackingOff = 0;
    // A 100,000-run park takes longer than any fixed deadline would guess: wait while runs keep parking.
    const parked = await untilCount(
      "every run to be parked (suspended in Restate)",
      async () => {
        const byStatus = new Map(
          (
            await server.query<{ status: string; n: number }>(
              "SELECT status, count(*) AS n FROM sys_invocation WHERE target_service_name = 'telegram_go_button' GROUP BY status",
            )
          ).map((r) => [r.status, Number(r.n)]),
        );
        peakRunning = Math.max(peakRunning, byStatus.get("running") ?? 0);
        peakBackingOff = Math.max(
          peakBackingOff,
          byStatus.get("backing-off") ?? 0,
        );
        return byStatus.get("suspended") ?? 0;
      },
      runs,
      { report: (line) => console.log(line) },
    );
    const parkMs = Date.now() - parkStart;
    print(
      `  parked: ${parked} runs suspended in Restate after ${(parkMs / 1000).toFixed(1)} s ` +
        `(${((runs * 1000) / parkMs).toFixed(0)} runs/s; triggers sent in ${(triggeredMs / 1000).toFixed(1)} s)`,
    );
    const parkedRss = totalRss();
    const parkingPeak = parkingRss.stop();
    print(
      `  RSS with ${runs} parked: ${rss()}; total ${parkedRss} MB (${((parkedRss * 1000) / runs).toFixed(1)} MB per 1,000 parked, base included)`,
    );
    print(
      `  while parking: at most ${peakRunning} runs running at once, ${peakBackingOff} backing off; ` +
        `peak total RSS ${parkingPeak} MB; high-water marks ${peaks()}`,
    );
    const restateMem = await restateMemory(server.nodeUrl);
    print(
      `  restate-server's memory (its metrics): jemalloc allocated ${restateMem.allocated} MB, of which RocksDB's ` +
        `block cache ${restateMem.rocksdbCache} MB (memtables ${restateMem.memtables} MB) and the invoker's ${restateMem.invoker} MB`,
    );
    const heap = await workerHeap(child!);
    print(
      `  worker heap after a full GC: ${mb(heap.heapUsed)} MB used, ${mb(heap.external)} MB external (RSS ${mb(heap.rss)} MB); ` +
        `its event loop while parking: p99 delay ${heap.loopDelayP99Ms.toFixed(0)} ms, max ${heap.loopDelayMaxMs.toFixed(0)} ms`,
    );
    print(
      `  disk under the Restate home: ${(diskBytes(stack.home) / 2 ** 20).toFixed(0)} MB`,
    );
    // What runs while every run is parked and nothing is pressed: Restate keeps completed invocations for a day by
    // default, so the ones created during the window are counted by their target. From when nothing is left to run
    // but what waits (parked runs, timers): on a loaded box the runs' one-way sends (button watches, schema checks)
    // may still be queued when the last run suspends, and they are the parking's cost, not the idle one.
    await until(
      "Restate to have nothing left to run but parked runs and timers",
      async () => {
        const [row] = await server.query<{ n: number }>(
          "SELECT count(*) AS n FROM sys_invocation WHERE status NOT IN ('completed', 'suspended', 'scheduled')",
        );
        return Number(row?.n) === 0 ? true : undefined;
      },
      Math.max(600_000, runs * 20),
      1_000,
    );
    const quietBefore = await invocationCounts(server);
    const cpu = await idleCpu(processes, options.idleSeconds * 1000);
    const quietAfter = await invocationCounts(server);
    print(
      `  idle CPU over ${options.idleSeconds} s, every run parked: ${Object.entries(
        cpu,
      )
        .map(([name, pct]) => `${name} ${pct.toFixed(1)} %`)
        .join(", ")}; total ${Object.values(cpu)
        .reduce((a, b) => a + b, 0)
        .toFixed(1)} % of one core`,
    );

    const quiet = [...quietAfter]
      .map(
        ([target, n]) => [target, n - (quietBefore.get(target) ?? 0)] as const,
      )
      .filter(([, n]) => n > 0)
      .sort((a, b) => b[1] - a[1]);
    const perMinute = (n: number) => (n * 60) / options.idleSeconds;
    print(
      `  invocations over the idle window: ${perMinute(quiet.reduce((a, [, n]) => a + n, 0)).toFixed(0)} per minute` +
        `${quiet.length ? ` (${quiet.map(([target, n]) => `${target} ${perMinute(n).toFixed(0)}`).join(", ")})` : ""}`,
    );

    // What Restate holds before the burst, to count the invocations each press costs.
    const invocationsBefore = await invocationCounts(server);
    const journalBefore = await journalCounts(server);
    const botId = Number(telegram.token.split(":")[0]);
    const pollsBefore = sandbox.telegram.calls(botId, "getUpdates").length;
    // The burst: each of the first `burst` buttons pressed once, by a person of its own, `concurrency` presses in
    // flight at a time.
    const pressedChats = chats.slice(0, burst);
    const messages = await pool(pressedChats, concurrency, async (chat) => {
      const res = await retried(() =>
        fetch(`${telegram.api_root}/_emulator/chats/${chat}/messages`),
      );
      const { result } = (await res.json()) as {
        result: { message_id: number; reply_markup?: unknown }[];
      };
      const m = result.find((x) => x.reply_markup);
      if (!m) throw new Error(`chat ${chat} has no button`);
      return m.message_id;
    });
    const profiling = options.profileDir
      ? {
          bench: await startCpuProfile(),
          worker: workerProfile(child!, "start"),
        }
      : undefined;
    if (profiling) await profiling.worker;
    const burstRss = totalRssSampler(processes);
    const burstCpu = cpuMeter(processes);
    const burstTicks = cpuTicks(processes);
    const burstStart = Date.now();
    // The emulator's event loop, which serves the presses and the answers as well as getUpdates: a poll waits for it.
    const emulatorLoop = monitorEventLoopDelay({ resolution: 10 });
    emulatorLoop.enable();
    const pressed = await pool(pressedChats, concurrency, async (chat, i) => {
      const at = Date.now();
      const res = await retried(() =>
        fetch(`${telegram.api_root}/_emulator/press`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            chat_id: chat,
            message_id: messages[i],
            from: { id: 7_000_000 + i, username: `park_${i}`, first_name: "P" },
          }),
        }),
      );
      const { callback_query_id } = (await res.json()) as {
        callback_query_id: string;
      };
      return { at, id: callback_query_id };
    });
    const sentMs = Date.now() - burstStart;
    // Each press is answered once, within Telegram's window or never (a late answer is refused, as Telegram does).
    const answers = () => {
      const times = new Map<string, number>();
      for (const c of sandbox.telegram.calls(botId, "answerCallbackQuery"))
        if (c.ok) times.set(String(c.params.callback_query_id), c.time);
      return times;
    };
    const lastPress = Math.max(...pressed.map((p) => p.at));
    const answered = await until(
      "every press to be answered or past Telegram's window",
      () => {
        const times = answers();
        return pressed.every((p) => times.has(p.id)) ||
          Date.now() > lastPress + ANSWER_WINDOW_MS + 1_000
          ? times
          : undefined;
      },
      Math.max(600_000, runs * 20),
    );
    emulatorLoop.disable();
    const cpuInBurst = burstCpu();
    const ticksInBurst = burstTicks();
    print(
      `  CPU until every press was answered: ${Object.entries(cpuInBurst)
        .map(([name, pct]) => `${name} ${pct.toFixed(0)} %`)
        .join(", ")} of one core; load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(" ")}`,
    );
    if (profiling && options.profileDir) {
      const at = (name: string) =>
        join(options.profileDir!, `parked-${runs}-${name}.cpuprofile`);
      await profiling.bench.stop(at("bench"));
      await workerProfile(child!, "stop", at("worker"));
      print(`  CPU profiles of the burst: ${at("bench")}, ${at("worker")}`);
    }
    const polls = sandbox.telegram
      .calls(botId, "getUpdates")
      .slice(pollsBefore);
    const offsets = polls
      .map((c) => Number(c.params.offset))
      .filter((o) => Number.isFinite(o));
    const batches = offsets
      .slice(1)
      .map((o, i) => o - offsets[i]!)
      .filter((n) => n > 0);
    // From the poll in flight when the burst began: the next one's offset confirms what it returned.
    const rounds = pollerRounds(
      sandbox.telegram
        .calls(botId, "getUpdates")
        .slice(Math.max(0, pollsBefore - 1)),
      burstStart,
    );
    const latencies = pressed
      .filter((p) => answered.has(p.id))
      .map((p) => answered.get(p.id)! - p.at);
    const lastAnswer = Math.max(
      burstStart,
      ...pressed.map((p) => answered.get(p.id) ?? 0),
    );
    const answeredMs = Math.max(1, lastAnswer - burstStart);
    print(
      `  burst: ${burst} presses sent in ${(sentMs / 1000).toFixed(1)} s; ${latencies.length} answered in ${(answeredMs / 1000).toFixed(1)} s ` +
        `(${((latencies.length * 1000) / answeredMs).toFixed(0)} presses/s); within Telegram's 15 s: ` +
        `${((100 * latencies.length) / burst).toFixed(1)} %; press -> answer p50 ${percentile(latencies, 50)} ms, p99 ${percentile(latencies, 99)} ms`,
    );

    // The ingester's late answers (see LateAnswers) against the runs' own, truthful ones.
    const lateAnswered = sandbox.telegram
      .calls(botId, "answerCallbackQuery")
      .filter((c) => c.ok && c.params.text === LATE_ANSWER_TEXT).length;
    print(
      `  of the answers within 15 s: ${latencies.length - lateAnswered} by their runs' routers, ${lateAnswered} the ingester's late «${LATE_ANSWER_TEXT}»`,
    );
    print(
      `  getUpdates during the burst: ${polls.length} calls, ${batches.length} of them confirming updates; ` +
        `updates per batch p50 ${percentile(batches, 50)}, max ${Math.max(0, ...batches)}`,
    );
    print(
      `  poller rounds (getUpdates to the next, which confirms its batch once Restate has it): ${rounds.confirmed} ` +
        `updates confirmed in ${(rounds.ms / 1000).toFixed(1)} s from the burst's start (${rounds.perSecond.toFixed(0)} updates/s); ` +
        `round p50 ${percentile(rounds.gaps, 50)} ms, p99 ${percentile(rounds.gaps, 99)} ms; the emulator's event loop ` +
        `while pressing: delay p50 ${ms(emulatorLoop.percentile(50))} ms, p99 ${ms(emulatorLoop.percentile(99))} ms, ` +
        `max ${ms(emulatorLoop.max)} ms${options.pollerProcess ? " (poller in a process of its own)" : ""}`,
    );

    // Every run writes one row; the writer keeps the base under Airtable's 5 requests/s (10 rows a request).
    const rows = () =>
      sandbox.airtable
        .records(airtable.base_id, airtable.table)
        .filter((r) => String(r.fields.username).startsWith("park_"));
    const done = async () =>
      Number(
        (
          await server.query<{ n: number }>(
            "SELECT count(*) AS n FROM sys_invocation WHERE target_service_name = 'telegram_go_button' AND status = 'completed'",
          )
        )[0]?.n ?? 0,
      );
    await until(
      "every pressed run to end",
      async () => ((await done()) >= burst ? true : undefined),
      Math.max(600_000, burst * 100),
      1_000,
    );
    const drainMs = Date.now() - burstStart;
    const stillParked = burst < runs ? Number(await suspended()) : 0;
    const written = rows();
    const created = written.map((r) => Date.parse(r.createdTime));
    const firstRow = Math.min(...created);
    const lastRow = Math.max(...created);
    const users = new Set(written.map((r) => String(r.fields.username)));
    const chatIds = new Set(written.map((r) => String(r.fields.chat_id)));
    const exact =
      written.length === burst &&
      users.size === burst &&
      chatIds.size === burst &&
      stillParked === runs - burst;
    const rowsPerSecond =
      (written.length * 1000) / Math.max(1, lastRow - firstRow);
    const drained = await workerHeap(child!);
    const invocationsAfter = await invocationCounts(server);
    print(
      `  Restate invocations per press (kept ones: with an idempotency key, or a workflow's): ${[
        ...invocationsAfter,
      ]
        .map(
          ([target, n]) =>
            `${target} ${((n - (invocationsBefore.get(target) ?? 0)) / burst).toFixed(2)}`,
        )
        .filter((line) => !line.endsWith(" 0.00"))
        .join(", ")}`,
    );
    const journalAfter = await journalCounts(server);
    print(
      `  journal entries per press (of kept invocations, by their target): ${[
        ...journalAfter,
      ]
        .map(
          ([target, n]) =>
            `${target} ${((n - (journalBefore.get(target) ?? 0)) / burst).toFixed(2)}`,
        )
        .filter((line) => !line.endsWith(" 0.00"))
        .join(", ")}`,
    );
    const ticksToDrain = burstTicks();
    const msPerPress = (ticks: Record<string, number>) =>
      Object.entries(ticks)
        .map(([name, t]) => `${name} ${((t * 10) / burst).toFixed(1)}`)
        .join(", ");
    const sum = (ticks: Record<string, number>) =>
      Object.values(ticks).reduce((a, b) => a + b, 0);
    print(
      `  CPU ms per press until every press was answered: ${msPerPress(ticksInBurst)}; total ${((sum(ticksInBurst) * 10) / burst).toFixed(1)}; ` +
        `until every run ended: ${msPerPress(ticksToDrain)}; total ${((sum(ticksToDrain) * 10) / burst).toFixed(1)}`,
    );
    print(
      `  drained: every run ended ${(drainMs / 1000).toFixed(1)} s after the burst began; RSS ${rss()}; ` +
        `the worker's event loop meanwhile: p99 delay ${drained.loopDelayP99Ms.toFixed(0)} ms, max ${drained.loopDelayMaxMs.toFixed(0)} ms`,
    );
    print(
      `  peak total RSS from the burst until drained: ${burstRss.stop()} MB; high-water marks since start ${peaks()}`,
    );
    const rowsLine =
      `  rows: ${written.length} for ${burst} pressed runs (${burst - users.size} lost, ${written.length - users.size} doubled` +
      `${burst < runs ? `; ${stillParked} of the ${runs - burst} unpressed runs still parked` : ""}): ` +
      `${exact ? "exact" : "NOT exact"}; ${rowsPerSecond.toFixed(1)} rows/s (${rowsPerSecond >= 47.5 ? "≥" : "<"} 95 % of 50 rows/s)`;
    print(rowsLine);
    return {
      parked,
      answeredInWindow: latencies.length,
      rows: written.length,
      exact,
      rowsLine,
    };
  } finally {
    await stopChild(pollerChild);
    await stopChild(child);
    await stack.stop();
    await sandbox.close();
  }
}

/**
 * The poller's rounds during a burst, from the emulator's log of getUpdates calls: how many updates were confirmed
 * (each call's offset confirms what the one before returned) and how fast, and how long each round took (from one
 * call's arrival to the next one's, which comes only after the batch was handed to Restate). A batch returned to a
 * poll without an offset (the poller's first since it started) is not counted: nothing says where it began.
 */
export function pollerRounds(
  polls: readonly {
    readonly time: number;
    readonly params: Record<string, unknown>;
  }[],
  since: number,
): { confirmed: number; ms: number; perSecond: number; gaps: number[] } {
  const confirming: { time: number; n: number }[] = [];
  for (let i = 1; i < polls.length; i++) {
    const n =
      Number(polls[i]!.params.offset) - Number(polls[i - 1]!.params.offset);
    if (n > 0) confirming.push({ time: polls[i]!.time, n });
  }
  const confirmed = confirming.reduce((sum, c) => sum + c.n, 0);
  const ms = Math.max(1, (confirming.at(-1)?.time ?? since) - since);
  // A round that began before the burst waited in a long poll for its first press: not a round of the burst.
  const gaps = polls.slice(1).flatMap((p, i) => {
    const before = polls[i]!;
    return before.time >= since &&
      Number(p.params.offset) > Number(before.params.offset)
      ? [p.time - before.time]
      : [];
  });
  return { confirmed, ms, perSecond: (confirmed * 1000) / ms, gaps };
}

/** Nanoseconds (as perf_hooks histograms give them) in whole milliseconds. */
const ms = (ns: number) => (Number.isFinite(ns) ? Math.round(ns / 1e6) : 0);

/** Invocations Restate keeps, by `service/handler`. */
export async function invocationCounts(server: {
  query<T>(sql: string): Promise<T[]>;
}): Promise<Map<string, number>> {
  const rows = await server.query<{ target: string; n: number }>(
    "SELECT target_service_name || '/' || target_handler_name AS target, count(*) AS n FROM sys_invocation GROUP BY target_service_name, target_handler_name",
  );
  return new Map(rows.map((r) => [r.target, Number(r.n)]));
}

/** Journal entries Restate keeps, by the `service/handler` of their invocation. */
export async function journalCounts(server: {
  query<T>(sql: string): Promise<T[]>;
}): Promise<Map<string, number>> {
  const rows = await server.query<{ target: string; n: number }>(
    "SELECT i.target_service_name || '/' || i.target_handler_name AS target, count(*) AS n FROM sys_journal j JOIN sys_invocation i ON j.id = i.id GROUP BY i.target_service_name, i.target_handler_name",
  );
  return new Map(rows.map((r) => [r.target, Number(r.n)]));
}

/** Starts or stops (writing to `file`) a CPU profile in the worker, asked over IPC. */
function workerProfile(
  child: ChildProcess,
  action: "start" | "stop",
  file?: string,
): Promise<void> {
  return new Promise((resolve) => {
    const listen = (m: { type?: string }) => {
      if (m.type !== `profile-${action}`) return;
      child.off("message", listen);
      resolve();
    };
    child.on("message", listen);
    child.send({ type: "profile", action, file });
  });
}

/** What the worker says of its memory and event loop (see parked-worker.ts). */
interface WorkerMemory {
  readonly rss: number;
  readonly heapUsed: number;
  readonly external: number;
  readonly loopDelayP99Ms: number;
  readonly loopDelayMaxMs: number;
}

/** The worker's memory right after a full garbage collection, asked over IPC. */
function workerHeap(child: ChildProcess): Promise<WorkerMemory> {
  return new Promise((resolve) => {
    const listen = (m: WorkerMemory & { type?: string }) => {
      if (m.type !== "memory") return;
      child.off("message", listen);
      resolve(m);
    };
    child.on("message", listen);
    child.send({ type: "memory" });
  });
}

const mb = (bytes: number) => Math.round(bytes / 2 ** 20);

/**
 * A request to the emulator, tried again when its connection was reset: on a loaded machine a kept-alive
 * connection may close under a request, which then never reached the emulator.
 */
export async function retried(
  request: () => Promise<Response>,
): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await request();
    } catch (error) {
      if (attempt >= 3) throw error;
    }
  }
}

/** Bytes a directory's files take on disk (allocated blocks, as `du` counts them). */
function diskBytes(dir: string): number {
  let total = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const stat = lstatSync(path);
    total += stat.blocks * 512;
    if (stat.isDirectory()) total += diskBytes(path);
  }
  return total;
}

/** CPU time of each process over `ms`, as a percentage of one core (utime + stime from /proc). */
async function idleCpu(
  processes: Record<string, number>,
  ms: number,
): Promise<Record<string, number>> {
  const meter = cpuMeter(processes);
  await new Promise((resolve) => setTimeout(resolve, ms));
  return meter();
}

/** Starts counting each process's CPU time; the function returned gives the clock ticks (1/100 s) spent since. */
function cpuTicks(
  processes: Record<string, number>,
): () => Record<string, number> {
  const before = Object.fromEntries(
    Object.entries(processes).map(([name, pid]) => [name, ticksOf(pid)]),
  );
  return () =>
    Object.fromEntries(
      Object.entries(processes).map(([name, pid]) => [
        name,
        ticksOf(pid) - before[name]!,
      ]),
    );
}

/** A process's CPU time so far (utime + stime), in clock ticks of 1/100 s (USER_HZ). */
export function ticksOf(pid: number): number {
  // Fields after the command (which may hold spaces) start at the state, field 3; utime and stime are 14 and 15.
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]);
}

/** Starts counting each process's CPU time; the function returned gives it since, as a percentage of one core. */
function cpuMeter(
  processes: Record<string, number>,
): () => Record<string, number> {
  const ticks = ticksOf;
  const before = Object.fromEntries(
    Object.entries(processes).map(([name, pid]) => [name, ticks(pid)]),
  );
  const started = Date.now();
  return () => {
    const elapsed = (Date.now() - started) / 1000;
    // Linux counts CPU time in clock ticks of 1/100 s (USER_HZ).
    return Object.fromEntries(
      Object.entries(processes).map(([name, pid]) => [
        name,
        (ticks(pid) - before[name]!) / elapsed,
      ]),
    );
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({
    options: {
      runs: { type: "string", default: "100000" },
      concurrency: { type: "string", default: "256" },
      idle: { type: "string", default: "10" },
      burst: { type: "string" },
      profile: { type: "string" },
      "poller-process": { type: "boolean", default: false },
    },
  });
  const result = await benchParked({
    runs: Number(values.runs),
    burst: values.burst === undefined ? undefined : Number(values.burst),
    concurrency: Number(values.concurrency),
    idleSeconds: Number(values.idle),
    ...(values.profile ? { profileDir: values.profile } : {}),
    pollerProcess: values["poller-process"],
    print: (line) => console.log(line),
  });
  process.exitCode = result.exact ? 0 : 1;
}

/** Stops a benchmark's worker process, if it still runs, and waits for it to exit. */
export async function stopChild(
  child: ChildProcess | undefined,
): Promise<void> {
  if (child?.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
}
