// An experiment that decides the design of the press path (issue 14): today's router (one Restate invocation per
// press, one virtual-object key per button) against a batched press desk (one invocation per shard per poll batch),
// side by side, each on a fresh stack of the same kind: one restate-server, one Restate endpoint in a process of its
// own (which also polls), the Telegram emulator over HTTP in this process. Per side: N identical waiting runs
// (`bench_press_wait`: an awakeable registered with the side's press handler), then a burst pressing every button
// through the emulator's control API, delivered by getUpdates. Prints presses answered per second, the share
// answered within Telegram's 15 s, p50/p99 press -> answer, CPU ms per press of each process (from /proc), the time
// until every run finished, the checks (each press answered once, a second press told «Уже нажали», a batch step
// retried after an injected 502), and the ratio desk/router. Usage:
// npm run bench:press-desk [-- --runs 2000 --shards 16 --batch 100 --repeat 1 --sides router,desk --profile DIR]
// (--profile: a CPU profile of the endpoint during each burst, to read with bench/profile-top.ts)
import "@poekhali/core";
import { randomBytes } from "node:crypto";
import { fork, type ChildProcess } from "node:child_process";
import { loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { TelegramEmulator } from "@poekhali/emulators";
import { buttonRef, callbackData } from "@poekhali/telegram";
import { startTemporaryRestate } from "../packages/poekhali/src/restate/temporary-restate.js";
import { pool, until } from "./concurrency.js";
import {
  invocationCounts,
  journalCounts,
  retried,
  stopChild,
  ticksOf,
} from "./parked.js";
import {
  DESK_NAME,
  DESK_TEXTS,
  deskCallbackData,
} from "./press-desk-object.js";
import {
  TAKEN_TEXT,
  WAIT_NAME,
  type Side,
  type WaitInput,
} from "./press-desk-wait.js";
import { percentile } from "./stats.js";

/** What one side of a run is asked to do. */
export interface DeskBenchOptions {
  readonly runs: number;
  readonly shards: number;
  readonly batch: number;
  /** Triggers, and presses, in flight at once. */
  readonly concurrency: number;
  /** Buttons pressed a second time in the burst, right after their first press (each must be told «Уже нажали»). */
  readonly again: number;
  /** A directory for a CPU profile of the endpoint during each side's burst; none unless given. */
  readonly profileDir?: string;
  readonly print: (line: string) => void;
}

/** The figures of one side. */
export interface SideResult {
  readonly side: Side;
  readonly load: string;
  readonly parkRate: number;
  readonly sendRate: number;
  readonly answeredPerSecond: number;
  /** Presses answered or refused as too late, per second: what the path gets through, in the window or not. */
  readonly decidedPerSecond: number;
  readonly withinWindow: number;
  readonly p50: number;
  readonly p99: number;
  /** CPU ms per press until every press was answered (or refused as too late), by process. */
  readonly cpuAnswered: Record<string, number>;
  /** CPU ms per press until every run ended and every keyboard was removed. */
  readonly cpuToEnd: Record<string, number>;
  readonly finishedMs: number;
  readonly exact: boolean;
}

const WORKER = fileURLToPath(
  new URL("./press-desk-worker.ts", import.meta.url),
);
/** How long each process's CPU is measured with every run parked, before the burst. */
const IDLE_MS = 5_000;
/** Chats the buttons are spread over (Telegram's per-chat limits do not apply in the emulator). */
const CHATS = 100;

/** Runs one side on a fresh stack and prints its figures. */
export async function benchSide(
  side: Side,
  options: DeskBenchOptions,
): Promise<SideResult> {
  const { runs, concurrency, print } = options;
  const started = new Date().toISOString();
  const load = loadavg()
    .map((l) => l.toFixed(1))
    .join(" ");
  const telegram = await TelegramEmulator.start();
  const bot = telegram.createBot({ username: "press_desk_bot" });
  const chats = Array.from(
    { length: Math.min(CHATS, runs) },
    (_, i) =>
      telegram.createChat({ type: "supergroup", title: `desk ${i}` }).id,
  );
  const stack = await startTemporaryRestate("poekhali-bench-press-desk-");
  const { server, ingress } = stack;
  let child: ChildProcess | undefined;
  const profileFile = options.profileDir
    ? join(
        options.profileDir,
        `press-desk-${side}-${runs}-${Date.now()}.cpuprofile`,
      )
    : undefined;
  try {
    const url = await new Promise<string>((resolve, reject) => {
      child = fork(WORKER, [], {
        execArgv: [
          "--conditions=poekhali-source",
          "--import",
          import.meta.resolve("tsx"),
        ],
        env: {
          ...process.env,
          RESTATE_LOGGING: "WARN",
          PRESS_DESK_WORKER: JSON.stringify({
            token: bot.token,
            apiRoot: telegram.apiRoot,
            ingressUrl: server.ingressUrl,
            side,
            shards: options.shards,
            batch: options.batch,
            ...(options.profileDir ? { profile: profileFile } : {}),
          }),
        },
        stdio: ["ignore", "ignore", "inherit", "ipc"],
      });
      child.once("exit", (code) =>
        reject(new Error(`the worker exited (${code}) before it served`)),
      );
      child.on("message", (m: { type?: string; url?: string }) => {
        if (m.type === "ready" && m.url) resolve(m.url);
      });
    });
    await server.register(url);
    const restatePid = server.pid;
    if (restatePid === undefined || child?.pid === undefined)
      throw new Error("a process did not say its id");
    const processes = {
      "restate-server": restatePid,
      endpoint: child.pid,
      "bench+emulator": process.pid,
    };

    // The buttons: one message each, sent through the Bot API as a run's send step would.
    const buttons = await pool(
      Array.from({ length: runs }, (_, i) => i),
      64,
      async (i) => {
        const nonce = randomBytes(12).toString("base64url");
        const chat = chats[i % chats.length]!;
        const res = await retried(() =>
          fetch(`${telegram.apiRoot}/bot${bot.token}/sendMessage`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({
              chat_id: chat,
              text: `run ${i}`,
              reply_markup: {
                inline_keyboard: [
                  [
                    {
                      text: "Поехали",
                      callback_data:
                        side === "router"
                          ? callbackData(nonce)
                          : deskCallbackData(nonce),
                    },
                  ],
                ],
              },
            }),
          }),
        );
        const { result } = (await res.json()) as {
          result: { message_id: number };
        };
        return { chat, message_id: result.message_id, ref: buttonRef(nonce) };
      },
    );

    // Park N runs and wait until each is suspended and its button registered with its side's handler.
    const parkStart = Date.now();
    await pool(buttons, concurrency, (b, i) =>
      ingress.send({ service: WAIT_NAME, handler: "run", key: `w${i}` }, {
        side,
        bot_id: bot.id,
        chat_id: String(b.chat),
        message_id: b.message_id,
        button: b.ref,
        shards: options.shards,
      } satisfies WaitInput),
    );
    const count = async (sql: string) =>
      Number((await server.query<{ n: number }>(sql))[0]?.n ?? 0);
    const registered =
      side === "router"
        ? "SELECT count(*) AS n FROM state WHERE service_name = 'telegram_router' AND key = 'watch'"
        : `SELECT count(*) AS n FROM state WHERE service_name = '${DESK_NAME}' AND key LIKE 'b:%'`;
    await until(
      "every run to be parked and registered",
      async () =>
        (await count(
          `SELECT count(*) AS n FROM sys_invocation WHERE target_service_name = '${WAIT_NAME}' AND status = 'suspended'`,
        )) >= runs && (await count(registered)) >= runs
          ? true
          : undefined,
      Math.max(600_000, runs * 100),
      500,
    );
    const parkMs = Date.now() - parkStart;
    const parkRate = (runs * 1000) / parkMs;

    await new Promise<void>((resolve) => {
      const listen = (m: { type?: string }) => {
        if (m.type !== "polling") return;
        child?.off("message", listen);
        resolve();
      };
      child?.on("message", listen);
      child?.send({ type: "poll" });
    });
    await telegram.whenPolling(bot.id);
    // One Bot API answer of the burst fails as Telegram's 502: its step is retried (the router's press; the desk's
    // whole batch, whose other answers Telegram then refuses as already given). Each press must still be answered once.
    telegram.injectFault(bot.id, {
      method: "answerCallbackQuery",
      error_code: 502,
      times: 1,
    });
    const pollsBefore = telegram.calls(bot.id, "getUpdates").length;
    const invocationsBefore = await invocationCounts(server);
    const journalBefore = await journalCounts(server);

    // What each process spends with every run parked and nothing pressed (restate-server's background work grows
    // with what it holds): taken off the burst's CPU, so that a slower side is not charged for its longer wait.
    const ticksNow = () =>
      Object.fromEntries(
        Object.entries(processes).map(([name, pid]) => [name, ticksOf(pid)]),
      );
    const idleFrom = ticksNow();
    const idleStart = Date.now();
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
    const idleTicks = ticksNow();
    const idlePerMs = Object.fromEntries(
      Object.keys(processes).map((name) => [
        name,
        (idleTicks[name]! - idleFrom[name]!) / (Date.now() - idleStart),
      ]),
    );
    const ticksBefore = ticksNow();
    const since = Date.now();
    /** CPU ms per press of each process since the burst began, less its idle rate over that time. */
    const ticksSince = () => {
      const now = ticksNow();
      const elapsed = Date.now() - since;
      return Object.fromEntries(
        Object.keys(processes).map((name) => [
          name,
          ((now[name]! - ticksBefore[name]! - idlePerMs[name]! * elapsed) *
            10) /
            runs,
        ]),
      );
    };
    const idleText = Object.entries(idlePerMs)
      .map(([name, perMs]) => `${name} ${(perMs * 1_000).toFixed(1)} %`)
      .join(", ");
    const burstStart = Date.now();
    const press = async (
      b: (typeof buttons)[number],
      from: { id: number; username: string; first_name: string },
    ) => {
      const at = Date.now();
      const res = await patiently(() =>
        fetch(`${telegram.apiRoot}/_emulator/press`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            chat_id: b.chat,
            message_id: b.message_id,
            from,
          }),
        }),
      );
      const { callback_query_id } = (await res.json()) as {
        callback_query_id: string;
      };
      return { at, id: callback_query_id };
    };
    // The first `again` buttons are pressed a second time, by someone else, right after their first press (before
    // their keyboard can go): that press must be told «Уже нажали», and never taken.
    const seconds: { at: number; id: string }[] = [];
    const pressed = await pool(buttons, concurrency, async (b, i) => {
      const first = await press(b, {
        id: 7_000_000 + i,
        username: `desk_${i}`,
        first_name: "P",
      });
      if (i < options.again)
        seconds.push(
          await press(b, {
            id: 8_000_000 + i,
            username: `again_${i}`,
            first_name: "A",
          }),
        );
      return first;
    });
    const sentMs = Date.now() - burstStart;

    // A press is decided once the Bot API saw its answer: given (ok), or refused (too late, or already given).
    const answerCalls = () => {
      const firstAnswer = new Map<string, { time: number; ok: boolean }>();
      const okCount = new Map<string, number>();
      const texts = new Map<string, string>();
      for (const c of telegram.calls(bot.id, "answerCallbackQuery")) {
        if (c.ok === undefined || c.error_code === 502) continue;
        const id = String(c.params.callback_query_id);
        if (!firstAnswer.has(id))
          firstAnswer.set(id, { time: c.time, ok: c.ok });
        if (c.ok) {
          okCount.set(id, (okCount.get(id) ?? 0) + 1);
          texts.set(id, typeof c.params.text === "string" ? c.params.text : "");
        }
      }
      return { firstAnswer, okCount, texts };
    };
    const decided = await until(
      "every press to be answered or refused",
      () => {
        const calls = answerCalls();
        return [...pressed, ...seconds].every((p) =>
          calls.firstAnswer.has(p.id),
        )
          ? calls
          : undefined;
      },
      Math.max(600_000, runs * 200),
      200,
    );
    const cpuAnswered = ticksSince();
    const answeredIds = pressed.filter(
      (p) => decided.firstAnswer.get(p.id)?.ok === true,
    );
    const latencies = pressed.map(
      (p) => decided.firstAnswer.get(p.id)!.time - p.at,
    );
    const lastOk = Math.max(
      burstStart + 1,
      ...answeredIds.map((p) => decided.firstAnswer.get(p.id)!.time),
    );
    const lastDecided = Math.max(
      ...pressed.map((p) => decided.firstAnswer.get(p.id)!.time),
    );
    const decidedPerSecond =
      (runs * 1000) / Math.max(1, lastDecided - burstStart);
    const answeredPerSecond =
      (answeredIds.length * 1000) / (lastOk - burstStart);
    const withinWindow = answeredIds.length / runs;
    const takenTexts = answeredIds.filter(
      (p) => decided.texts.get(p.id) === TAKEN_TEXT,
    ).length;
    const twice = [...pressed, ...seconds].filter(
      (p) => (decided.okCount.get(p.id) ?? 0) > 1,
    );

    const keyboardsRemoved = () =>
      telegram
        .calls(bot.id, "editMessageReplyMarkup")
        .filter((c) => c.ok === true).length;
    await until(
      "every run to end and every keyboard to go",
      async () =>
        (await count(
          `SELECT count(*) AS n FROM sys_invocation WHERE target_service_name = '${WAIT_NAME}' AND status = 'completed'`,
        )) >= runs && keyboardsRemoved() >= runs
          ? true
          : undefined,
      Math.max(600_000, runs * 200),
      500,
    );
    const finishedMs = Date.now() - burstStart;
    // Updates per batch, from the offsets of successive polls (an offset confirms every update before it).
    const offsets = telegram
      .calls(bot.id, "getUpdates")
      .slice(pollsBefore)
      .map((c) => Number(c.params.offset))
      .filter((o) => Number.isFinite(o));
    const batches = offsets
      .slice(1)
      .map((o, i) => o - offsets[i]!)
      .filter((n) => n > 0);
    const cpuToEnd = ticksSince();
    if (profileFile)
      await new Promise<void>((resolve) => {
        const listen = (m: { type?: string }) => {
          if (m.type !== "profile-stopped") return;
          child?.off("message", listen);
          resolve();
        };
        child?.on("message", listen);
        child?.send({ type: "profile-stop" });
      });
    const invocationsAfter = await invocationCounts(server);
    const journalAfter = await journalCounts(server);

    const secondsAnswered = seconds.filter(
      (p) => decided.firstAnswer.get(p.id)?.ok === true,
    );
    const toldAlready = secondsAnswered.filter(
      (p) => decided.texts.get(p.id) === DESK_TEXTS.already,
    ).length;
    const stillRunning = await count(
      `SELECT count(*) AS n FROM sys_invocation WHERE target_service_name = '${WAIT_NAME}' AND status != 'completed'`,
    );

    const perPress = (
      before: Map<string, number>,
      after: Map<string, number>,
    ) =>
      [...after]
        .map(
          ([target, n]) =>
            [target, (n - (before.get(target) ?? 0)) / runs] as const,
        )
        .filter(([, n]) => n >= 0.005)
        .map(([target, n]) => `${target} ${n.toFixed(2)}`)
        .join(", ");
    const ms = (cpu: Record<string, number>) =>
      `${Object.entries(cpu)
        .map(([name, v]) => `${name} ${v.toFixed(1)}`)
        .join(", ")}; total ${Object.values(cpu)
        .reduce((a, b) => a + b, 0)
        .toFixed(1)}`;
    const exact =
      twice.length === 0 &&
      takenTexts === answeredIds.length &&
      stillRunning === 0 &&
      toldAlready === secondsAnswered.length;
    print(
      `${side === "router" ? "A router" : "B desk"} — ${runs} runs${side === "desk" ? `, ${options.shards} shards` : ""}, getUpdates limit ${options.batch}; ` +
        `started ${started}, load average then ${load}`,
    );
    print(
      `  parked: ${runs} runs suspended and registered in ${(parkMs / 1000).toFixed(1)} s (${parkRate.toFixed(0)} runs/s)`,
    );
    print(
      `  burst: ${runs} presses sent in ${(sentMs / 1000).toFixed(1)} s (${((runs * 1000) / sentMs).toFixed(0)}/s); ` +
        `${answeredIds.length} answered in ${((lastOk - burstStart) / 1000).toFixed(1)} s (${answeredPerSecond.toFixed(0)} presses/s); ` +
        `within Telegram's 15 s: ${(100 * withinWindow).toFixed(1)} %; all ${runs} decided (answered or refused as too late) in ${((lastDecided - burstStart) / 1000).toFixed(1)} s (${decidedPerSecond.toFixed(0)}/s);  press -> answer p50 ${percentile(latencies, 50)} ms, p99 ${percentile(latencies, 99)} ms; ` +
        `load average ${loadavg()
          .map((l) => l.toFixed(1))
          .join(" ")}`,
    );
    print(
      `  idle CPU with every run parked (taken off the figures below): ${idleText} of one core; ` +
        `CPU ms per press until every press was answered: ${ms(cpuAnswered)}`,
    );
    print(
      `  every run ended and every keyboard removed ${(finishedMs / 1000).toFixed(1)} s after the burst began; CPU ms per press until then: ${ms(cpuToEnd)}`,
    );
    if (profileFile)
      print(`  the endpoint's CPU profile of the burst: ${profileFile}`);
    print(
      `  getUpdates in the burst: ${offsets.length} polls; updates per batch p50 ${percentile(batches, 50)}, max ${Math.max(0, ...batches)}`,
    );
    print(
      `  Restate invocations per press (kept ones): ${perPress(invocationsBefore, invocationsAfter)}`,
    );
    print(
      `  journal entries per press (of kept invocations): ${perPress(journalBefore, journalAfter)}`,
    );
    print(
      `  checks: ${twice.length} presses answered twice; ${takenTexts} of ${answeredIds.length} answered presses told «${TAKEN_TEXT}»; ` +
        `${stillRunning} runs not ended; ${toldAlready} of ${secondsAnswered.length} second presses answered (of ${seconds.length}) told «${DESK_TEXTS.already}»; ` +
        `one answer failed as a 502 and was retried: ${exact ? "exact" : "NOT exact"}`,
    );
    return {
      side,
      load,
      parkRate,
      sendRate: (runs * 1000) / sentMs,
      answeredPerSecond,
      decidedPerSecond,
      withinWindow,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      cpuAnswered,
      cpuToEnd,
      finishedMs,
      exact,
    };
  } finally {
    await stopChild(child);
    await stack.stop();
    await telegram.close();
  }
}

/**
 * A request to the emulator, tried again (up to 10 times, a second apart) when it could not connect or its connection
 * was reset: under a burst on a loaded box this process's event loop, which also serves the emulator, may not accept
 * a connection within undici's 10 s.
 */
async function patiently(request: () => Promise<Response>): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await request();
    } catch (error) {
      if (attempt >= 10) throw error;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  }
}

/** Runs the sides alternately, `repeat` times each (the first side alternating), and prints the desk/router ratios. */
export async function benchPressDesk(
  options: DeskBenchOptions & {
    readonly repeat: number;
    readonly sides: readonly Side[];
  },
): Promise<SideResult[]> {
  const results: SideResult[] = [];
  for (let r = 0; r < options.repeat; r++) {
    const order = r % 2 === 0 ? options.sides : [...options.sides].reverse();
    for (const side of order) results.push(await benchSide(side, options));
  }
  const total = (cpu: Record<string, number>) =>
    Object.values(cpu).reduce((a, b) => a + b, 0);
  const of = (side: Side) => results.filter((r) => r.side === side);
  const spread = (values: number[], digits = 0) =>
    values.length === 0
      ? "—"
      : `${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)}`;
  options.print(
    `summary (${options.runs} runs per side, min–max over ${options.repeat} repeats):`,
  );
  for (const side of options.sides) {
    const rs = of(side);
    options.print(
      `  ${side.padEnd(6)} answered/s ${spread(rs.map((r) => r.answeredPerSecond))}; decided/s ${spread(rs.map((r) => r.decidedPerSecond))}; within 15 s ${spread(
        rs.map((r) => 100 * r.withinWindow),
        1,
      )} %; p50 ${spread(rs.map((r) => r.p50))} ms; p99 ${spread(rs.map((r) => r.p99))} ms; ` +
        `CPU ms/press until answered ${spread(
          rs.map((r) => total(r.cpuAnswered)),
          1,
        )}, to the end ${spread(
          rs.map((r) => total(r.cpuToEnd)),
          1,
        )}; all ended after ${spread(
          rs.map((r) => r.finishedMs / 1000),
          1,
        )} s; ${rs.every((r) => r.exact) ? "exact" : "NOT exact"}`,
    );
  }
  const mean = (values: number[]) =>
    values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
  const a = of("router");
  const b = of("desk");
  const ratio = (f: (r: SideResult) => number) => {
    const base = mean(a.map(f));
    return base > 0 ? `${(mean(b.map(f)) / base).toFixed(2)}×` : "—";
  };
  if (a.length > 0 && b.length > 0)
    options.print(
      `  desk/router (means): answered/s ${ratio((r) => r.answeredPerSecond)}; decided/s ${ratio((r) => r.decidedPerSecond)}; ` +
        `CPU per press until answered ${ratio((r) => total(r.cpuAnswered))}, to the end ${ratio((r) => total(r.cpuToEnd))}; ` +
        `p50 ${ratio((r) => r.p50)}`,
    );
  return results;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({
    options: {
      runs: { type: "string", default: "2000" },
      shards: { type: "string", default: "16" },
      batch: { type: "string", default: "100" },
      repeat: { type: "string", default: "1" },
      concurrency: { type: "string", default: "256" },
      again: { type: "string", default: "50" },
      sides: { type: "string", default: "router,desk" },
      profile: { type: "string" },
    },
  });
  const whole = (name: string, value: string, min: number, max: number) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new RangeError(
        `--${name} must be a whole number from ${min} to ${max}, got ${value}`,
      );
    return n;
  };
  const sides = values.sides.split(",").map((s) => s.trim());
  for (const s of sides)
    if (s !== "router" && s !== "desk")
      throw new RangeError(`--sides takes router and/or desk, got ${s}`);
  const results = await benchPressDesk({
    runs: whole("runs", values.runs, 1, 1_000_000),
    shards: whole("shards", values.shards, 1, 1024),
    batch: whole("batch", values.batch, 1, 100),
    repeat: whole("repeat", values.repeat, 1, 100),
    concurrency: whole("concurrency", values.concurrency, 1, 4096),
    again: whole("again", values.again, 0, 1_000_000),
    sides: sides as Side[],
    ...(values.profile ? { profileDir: values.profile } : {}),
    print: (line) => console.log(line),
  });
  process.exitCode = results.every((r) => r.exact) ? 0 : 1;
}
