// Telegram updates accepted durably per second: the app's webhook route (TELEGRAM_UPDATES=webhook, behind the app's
// front door, answering 200 only once Restate has the update) against a bare Restate ingress doing the same
// hand-over (node:http, parse, one send with the same idempotency key to the same router inbox, answer once Restate
// accepted it). Each side serves from a process of its own (bench/ingest-server.ts), so its CPU per update is its
// own; same restate-server, same client, sides alternating per concurrency. The consumers are registered, then
// their endpoint is closed: Restate keeps what it accepts in their inboxes, and nothing downstream competes with the
// hand-over for the two cores.
// Usage: npm run bench:ingest [-- --updates 3000 --concurrency 1,8,32,128]
import "@poekhali/core";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { parseArgs } from "node:util";
import { startSandbox } from "@poekhali/emulators";
import {
  SECRET_HEADER,
  TelegramHook,
  telegramHitl,
  telegramMessages,
  telegramRouter,
} from "@poekhali/telegram";
import { WEBHOOK_PATH } from "../packages/poekhali/src/api/telegram-webhook.js";
import { startTemporaryRestate } from "../packages/poekhali/src/restate/temporary-restate.js";
import { percentile } from "./stats.js";

const { values } = parseArgs({
  options: {
    updates: { type: "string", default: "3000" },
    concurrency: { type: "string", default: "1,8,32,128" },
  },
});
const UPDATES = Number(values.updates);
const CONCURRENCY = values.concurrency.split(",").map(Number);
const SECRET = "bench-ingest-webhook-secret-0123456789abcdef";

const sandbox = await startSandbox();
const { telegram } = sandbox.info;
const hook = new TelegramHook({
  token: telegram.token,
  apiRoot: telegram.api_root,
});
const restate = await startTemporaryRestate("poekhali-bench-ingest-");
const consumers = await restate.deploy([
  telegramRouter({ hookFor: () => hook }),
  telegramMessages({ hookFor: () => hook }),
  telegramHitl({ hookFor: () => hook }),
]);
await consumers.stop();

/** Starts one side's server and waits for the URL it prints. */
async function side(name: "ours" | "bare") {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      // BENCH_INGEST_NODE_ARGS: e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile each side.
      ...(process.env.BENCH_INGEST_NODE_ARGS?.split(" ").filter(Boolean) ?? []),
      "--import",
      "tsx",
      "--conditions=poekhali-source",
      new URL("./ingest-server.ts", import.meta.url).pathname,
      `--side=${name}`,
      `--ingress=${restate.ingress.url}`,
      `--token=${telegram.token}`,
      `--api-root=${telegram.api_root}`,
      `--secret=${SECRET}`,
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  let out = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  while (!out.includes("\n")) await once(child.stdout!, "data");
  const { url } = JSON.parse(out.split("\n")[0] ?? "") as { url: string };
  const cpu = async () =>
    ((await (await fetch(`${url}/cpu`)).json()) as { us: number }).us;
  return {
    post: name === "ours" ? `${url}${WEBHOOK_PATH}` : `${url}/`,
    cpu,
    async stop() {
      child.kill("SIGTERM");
      if (child.exitCode === null) await once(child, "exit");
    },
  };
}
const sides = { ours: await side("ours"), bare: await side("bare") };

let nextUpdateId = 1;
/** A press as Telegram posts it: a callback query on one message of the sandbox chat. */
const press = () => {
  const id = nextUpdateId++;
  return JSON.stringify({
    update_id: id,
    callback_query: {
      id: `cq-${id}`,
      from: { id: 1000 + (id % 50), is_bot: false, first_name: "Анна" },
      chat_instance: "1",
      data: "poekhali:bench",
      message: {
        message_id: 1,
        date: 1_700_000_000,
        chat: { id: Number(telegram.chat_id), type: "supergroup" },
        text: "Поехали?",
      },
    },
  });
};

/** Posts `count` updates, `concurrency` at a time; every answer must be 200. Updates/s, latencies, CPU per update. */
async function phase(
  s: (typeof sides)["ours"],
  count: number,
  concurrency: number,
) {
  const latencies: number[] = [];
  let sent = 0;
  const cpuBefore = await s.cpu();
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (sent < count) {
        sent++;
        const t = performance.now();
        const res = await fetch(s.post, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            [SECRET_HEADER]: SECRET,
          },
          body: press(),
        });
        await res.arrayBuffer();
        if (res.status !== 200)
          throw new Error(`${s.post} answered ${res.status}`);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  return {
    rate: count / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    cpuMs: ((await s.cpu()) - cpuBefore) / 1000 / count,
  };
}

// Warm both paths (JIT, connections, Restate's partitions) before measuring.
await phase(sides.ours, 300, 8);
await phase(sides.bare, 300, 8);

console.log(
  `\nupdates accepted durably per second, ${UPDATES} presses per phase (c = 1: 500)`,
);
console.log(
  "  concurrency".padEnd(14) +
    "webhook /s".padStart(11) +
    "bare /s".padStart(9) +
    "ratio".padStart(7) +
    "  p50/p99 ms webhook".padEnd(22) +
    "p50/p99 ms bare".padEnd(18) +
    "CPU ms/update webhook, bare",
);
for (const c of CONCURRENCY) {
  // Alternate which side goes first, so that neither always meets a warmer or busier restate-server.
  const order =
    c % 2 === 0 ? (["bare", "ours"] as const) : (["ours", "bare"] as const);
  const result: Partial<
    Record<"ours" | "bare", Awaited<ReturnType<typeof phase>>>
  > = {};
  for (const name of order)
    result[name] = await phase(
      sides[name],
      c === 1 ? Math.min(UPDATES, 500) : UPDATES,
      c,
    );
  const o = result.ours!;
  const b = result.bare!;
  console.log(
    `  ${String(c).padEnd(12)}` +
      o.rate.toFixed(0).padStart(11) +
      b.rate.toFixed(0).padStart(9) +
      `${(o.rate / b.rate).toFixed(2)}×`.padStart(7) +
      `  ${o.p50.toFixed(1)}/${o.p99.toFixed(1)}`.padEnd(22) +
      `${b.p50.toFixed(1)}/${b.p99.toFixed(1)}`.padEnd(18) +
      `${o.cpuMs.toFixed(2)}, ${b.cpuMs.toFixed(2)}`,
  );
}

await sides.ours.stop();
await sides.bare.stop();
await restate.stop();
await sandbox.close();
