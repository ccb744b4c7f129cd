// Rows per second into one Airtable base through the per-base writer, against the ceiling of 5 requests x 10 records:
// N runs, C at a time, each writing one row, into the emulator with its real limits (5 req/s, then 429 for 30 s).
// Usage: npm run bench:airtable [-- --rows 1000 --concurrency 200] [--held]
// With --held, the writer's writes wait until every row is queued, then go: its pace with rows waiting throughout.
// With --backlog N: N runs started as fast as Restate takes them, and the writer's pace over time (first row, first,
// middle and last 30 s): npm run bench:airtable -- --backlog 20000 [--max-seconds 900] [--trace S]
// With --trace S: every S seconds, the writer's and inboxes' invocations by status and their small state keys.
import { parseArgs } from "node:util";
import { choosePort } from "../packages/poekhali/src/ports.js";
import { upsertDag } from "../e2e/airtable-dags.js";
import { serveWorker, startAirtableStack } from "../e2e/airtable-stack.js";
import { runBacklog } from "./airtable-backlog.js";
import {
  printTimeline,
  timedHook,
  type TimedRequest,
} from "./airtable-timeline.js";

const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "1000" },
    concurrency: { type: "string", default: "200" },
    backlog: { type: "string" },
    "max-seconds": { type: "string" },
    trace: { type: "string" },
    held: { type: "boolean", default: false },
  },
});
const ROWS = Number(values.rows);
const CONCURRENCY = Number(values.concurrency);
const BACKLOG = values.backlog === undefined ? null : Number(values.backlog);
for (const [flag, value] of [
  ["--rows", ROWS],
  ["--concurrency", CONCURRENCY],
  ["--backlog", BACKLOG ?? 1],
] as const)
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`${flag} takes a whole number of at least 1`);
const CEILING = 50;

const stack = await startAirtableStack({ rateLimit: true });
// Every request of the writer, timed, to say where the time between them went.
const timed: TimedRequest[] = [];
// With --held, the writer's requests wait until every run has handed its row over: the writer then has a backlog
// from its first request on, and its pace is the pacing's alone, not the runs' start rate.
let open!: () => void;
const gate = values.held
  ? new Promise<void>((resolve) => (open = resolve))
  : undefined;
const worker = await serveWorker(
  stack.target,
  [upsertDag],
  await choosePort(0),
  (line) => stack.logs.push(line),
  timedHook(stack.target, timed, gate),
);
try {
  await stack.server.register(worker.url);
  if (BACKLOG !== null) {
    // Twice the time the ceiling needs, and a minute for the runs to start.
    const maxSeconds = Number(
      values["max-seconds"] ?? Math.ceil((BACKLOG / CEILING) * 2 + 60),
    );
    const { ok } = await runBacklog(
      stack,
      BACKLOG,
      CONCURRENCY,
      maxSeconds,
      Number(values.trace ?? 0),
    );
    process.exitCode = ok ? 0 : 1;
  } else await compare();

  async function compare() {
    const press = (i: number) => ({
      chat_id: "-1001234567890",
      username: `bench${i}`,
      triggered_at: new Date(Date.UTC(2024, 0, 1) + i).toISOString(),
    });
    const failed: string[] = [];
    let next = 0;
    const started = performance.now();
    const lane = async () => {
      for (let i = next++; i < ROWS; i = next++) {
        try {
          // Held: every run is started at once (their writes wait), not 200 at a time.
          if (gate) await stack.start("at_upsert", `bench${i}`, press(i));
          else
            await stack.ingress.call(
              { service: "at_upsert", handler: "run", key: `bench${i}` },
              { conf: press(i) },
            );
        } catch (error) {
          failed.push(
            `bench${i}: ${error instanceof Error ? error.message : String(error)}`,
          );
        }
      }
    };
    const lanes = Promise.all(Array.from({ length: CONCURRENCY }, lane));
    let letGo = started;
    let doneAt: number | undefined;
    if (gate) {
      await lanes;
      console.log(
        `  ${ROWS} runs started in ${((performance.now() - started) / 1000).toFixed(1)} s`,
      );
      for (;;) {
        // Every run's row has reached the writer's inboxes (the DAG checks no schema: rows are all it sends).
        const { received } = await stack.writer();
        if (received >= ROWS) break;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      console.log(
        `  every row handed over after ${((performance.now() - started) / 1000).toFixed(1)} s; requests let go`,
      );
      letGo = performance.now();
      open();
      // Every run to end: a row each (polled), then each run's state.
      while (stack.rows().length < ROWS)
        await new Promise((resolve) => setTimeout(resolve, 100));
      doneAt = performance.now();
      let n = 0;
      await Promise.all(
        Array.from({ length: 20 }, async () => {
          for (let i = n++; i < ROWS; i = n++) {
            const { dag_run } = await stack.finished(
              "at_upsert",
              `bench${i}`,
              300_000,
            );
            if (dag_run.state !== "success")
              failed.push(`bench${i}: ${dag_run.state}`);
          }
        }),
      );
    }
    await lanes;
    // Held: from the moment the writes were let go to the last row.
    const seconds = ((doneAt ?? performance.now()) - letGo) / 1000;

    const records = stack.rows();
    const rows = records.map((r) => String(r.fields.username));
    const created = records
      .map((r) => Date.parse(r.createdTime))
      .sort((a, b) => a - b);
    // Rows waited from the first write on: the rate the writer kept while it had them, start-up and tail aside.
    const kept =
      ((created.length - 1) * 1000) /
      Math.max(1, (created.at(-1) ?? 0) - (created[0] ?? 0));
    const distinct = new Set(rows);
    const lost = Array.from({ length: ROWS }, (_, i) => `bench${i}`).filter(
      (u) => !distinct.has(u),
    ).length;
    const { stats } = await stack.writer();
    const rate = ROWS / seconds;
    console.log(
      `\nAirtable sink: ${ROWS} rows from ${gate ? `${ROWS} runs, written once all were queued` : `${CONCURRENCY} concurrent runs`} into one base (emulator, rate limit on)`,
    );
    console.log(`  elapsed              ${seconds.toFixed(1)} s`);
    console.log(
      `  rows/s               ${rate.toFixed(1)}  (${((rate / CEILING) * 100).toFixed(0)}% of the ${CEILING}/s ceiling)`,
    );
    console.log(
      `  first → last row     ${kept.toFixed(1)} rows/s  (${((kept / CEILING) * 100).toFixed(0)}%), the first ${(((created[0] ?? 0) - letGo - performance.timeOrigin) / 1000).toFixed(1)} s after the ${gate ? "writes were let go" : "start"}`,
    );
    console.log(
      `  requests             ${stats.requests}  (${(stats.rows / Math.max(1, stats.requests)).toFixed(2)} rows per request)`,
    );
    console.log(`  429s received        ${stats.rateLimited}`);
    console.log(`  rows lost            ${lost}`);
    console.log(`  rows duplicated      ${rows.length - distinct.size}`);
    console.log(
      `  runs failed          ${failed.length}${failed[0] ? ` (first: ${failed[0]})` : ""}`,
    );
    printTimeline(timed, stack.calls());
    // Held, the issue's target: 95 % of the ceiling while rows wait.
    const target = gate ? 47.5 : 45;
    const ok =
      rate >= target &&
      lost === 0 &&
      rows.length === distinct.size &&
      failed.length === 0;
    console.log(
      `  target (>= ${target} rows/s, 0 lost, 0 duplicated): ${ok ? "met" : "NOT met"}`,
    );
    process.exitCode = ok ? 0 : 1;
  }
} finally {
  await worker.stop();
  await stack.stop();
}
