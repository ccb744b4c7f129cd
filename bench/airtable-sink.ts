// Rows per second into one Airtable base through the per-base writer, against the ceiling of 5 requests x 10 records:
// N runs, C at a time, each writing one row, into the emulator with its real limits (5 req/s, then 429 for 30 s).
// Usage: npm run bench:airtable [-- --rows 1000 --concurrency 200]
// With --backlog N: N runs started as fast as Restate takes them, and the writer's pace over time (first row, first,
// middle and last 30 s): npm run bench:airtable -- --backlog 20000 [--max-seconds 900] [--trace S]
// With --trace S: every S seconds, the writer's and inboxes' invocations by status and their small state keys.
import { parseArgs } from "node:util";
import { choosePort } from "../packages/poekhali/src/ports.js";
import { upsertDag } from "../e2e/airtable-dags.js";
import { serveWorker, startAirtableStack } from "../e2e/airtable-stack.js";
import { runBacklog } from "./airtable-backlog.js";

const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "1000" },
    concurrency: { type: "string", default: "200" },
    backlog: { type: "string" },
    "max-seconds": { type: "string" },
    trace: { type: "string" },
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
const worker = await serveWorker(
  stack.target,
  [upsertDag],
  await choosePort(0),
  (line) => stack.logs.push(line),
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
    await Promise.all(Array.from({ length: CONCURRENCY }, lane));
    const seconds = (performance.now() - started) / 1000;

    const rows = stack.rows().map((r) => String(r.fields.username));
    const distinct = new Set(rows);
    const lost = Array.from({ length: ROWS }, (_, i) => `bench${i}`).filter(
      (u) => !distinct.has(u),
    ).length;
    const { stats } = await stack.writer();
    const rate = ROWS / seconds;
    console.log(
      `\nAirtable sink: ${ROWS} rows from ${CONCURRENCY} concurrent runs into one base (emulator, rate limit on)`,
    );
    console.log(`  elapsed              ${seconds.toFixed(1)} s`);
    console.log(
      `  rows/s               ${rate.toFixed(1)}  (${((rate / CEILING) * 100).toFixed(0)}% of the ${CEILING}/s ceiling)`,
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
    const ok =
      rate >= 45 &&
      lost === 0 &&
      rows.length === distinct.size &&
      failed.length === 0;
    console.log(
      `  target (>= 45 rows/s, 0 lost, 0 duplicated): ${ok ? "met" : "NOT met"}`,
    );
    process.exitCode = ok ? 0 : 1;
  }
} finally {
  await worker.stop();
  await stack.stop();
}
