// The backlog form of bench:airtable: N runs started as fast as Restate takes them, each handing one row to the
// base's writer, and the writer's pace over time — does it write at Airtable's 5 requests/s from the first row, and
// keep that pace however long its queue is?
import type { AirtableStack } from "../e2e/airtable-stack.js";

/** What the backlog run measured. */
export interface BacklogResult {
  readonly ok: boolean;
}

/** Rows and requests per second in a window of the run, from the emulator's own timestamps. */
function rates(
  rowTimes: readonly number[],
  callTimes: readonly number[],
  from: number,
  to: number,
): string {
  const seconds = Math.max(0.001, (to - from) / 1000);
  const inside = (t: number) => t >= from && t < to;
  const rows = rowTimes.filter(inside).length;
  const requests = callTimes.filter(inside).length;
  return `${(rows / seconds).toFixed(1).padStart(5)} rows/s  ${(requests / seconds).toFixed(2).padStart(5)} req/s`;
}

/** What the writer, its inboxes and Restate hold for the base: printed with `--trace`, to see what a slow writer waits on. */
async function trace(stack: AirtableStack): Promise<string> {
  const base = stack.target.baseId;
  const invocations = await stack.server.query<{
    target: string;
    status: string;
    n: number;
  }>(
    `SELECT target_service_name || '/' || target_handler_name AS target, status, count(*) AS n FROM sys_invocation WHERE target_service_name LIKE 'airtable_writer%' GROUP BY target_service_name, target_handler_name, status ORDER BY target`,
  );
  const keys = await stack.server.query<{
    service_key: string;
    key: string;
    value_utf8: string;
  }>(
    `SELECT service_key, key, value_utf8 FROM state WHERE service_name LIKE 'airtable_writer%' AND service_key LIKE '${base}%' AND key NOT LIKE 'item:%' AND key NOT LIKE 'inbox:%' AND key NOT LIKE 'request:%' AND key != 'schemas'`,
  );
  const now = Date.now();
  const state = keys
    .map((k) => {
      const shard = k.service_key.slice(base.length) || "writer";
      // Times as seconds from now, to read a late beat or a pause at a glance.
      const value = k.value_utf8.replace(
        /\b1\d{12}\b/g,
        (t) => `${((Number(t) - now) / 1000).toFixed(1)}s`,
      );
      return `${shard} ${k.key}=${value}`;
    })
    .sort()
    .join("\n      ");
  return `    invocations: ${invocations.map((i) => `${i.target} ${i.status} ${i.n}`).join(", ")}\n      ${state}`;
}

/**
 * Starts `backlog` runs of `at_upsert` (`concurrency` starts in flight), waits until every row is written or
 * `maxSeconds` pass, and prints time to first row, the rate in the first, middle and last 30 s, and whether the rows
 * are exact.
 */
export async function runBacklog(
  stack: AirtableStack,
  backlog: number,
  concurrency: number,
  maxSeconds: number,
  traceEverySeconds = 0,
): Promise<BacklogResult> {
  const CEILING = 50;
  const press = (i: number) => ({
    chat_id: "-1001234567890",
    username: `backlog${i}`,
    triggered_at: new Date(Date.UTC(2024, 0, 1) + i).toISOString(),
  });
  const failed: string[] = [];
  let next = 0;
  const t0 = Date.now();
  let submittedAt = 0;
  let rowsWhenSubmitted = 0;
  const lane = async () => {
    for (let i = next++; i < backlog; i = next++) {
      try {
        await stack.start("at_upsert", `backlog${i}`, press(i));
      } catch (error) {
        failed.push(
          `backlog${i}: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
  };
  const submitting = Promise.all(
    Array.from({ length: concurrency }, lane),
  ).then(() => {
    submittedAt = Date.now();
    rowsWhenSubmitted = stack.rows().length;
  });

  // Progress every 10 s, so a slow writer shows itself while it runs.
  const deadline = t0 + maxSeconds * 1000;
  let lastPrint = t0;
  let lastRows = 0;
  let lastTrace = t0;
  // When the writer took its first request and its last (`received`; absent before the writer counted them).
  let firstEnqueue: number | undefined;
  let enqueuesThrough: number | undefined;
  let lastReceived = 0;
  let rowsWhenEnqueued = 0;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const rows = stack.rows().length;
    const now = Date.now();
    const received = (await stack.writer()).received as number | undefined;
    lastReceived = received ?? lastReceived;
    if (received !== undefined && received > 0) firstEnqueue ??= now;
    if (received !== undefined && received >= backlog && !enqueuesThrough) {
      enqueuesThrough = now;
      rowsWhenEnqueued = rows;
    }
    if (now - lastPrint >= 10_000) {
      console.log(
        `  t=${((now - t0) / 1000).toFixed(0).padStart(4)} s  rows ${String(rows).padStart(6)}  (+${((rows - lastRows) / ((now - lastPrint) / 1000)).toFixed(1)}/s)  requests taken by the writer ${lastReceived}${submittedAt ? "" : "  still starting runs"}`,
      );
      lastPrint = now;
      lastRows = rows;
    }
    if (traceEverySeconds > 0 && now - lastTrace >= traceEverySeconds * 1000) {
      lastTrace = now;
      console.log(
        `  t=${((now - t0) / 1000).toFixed(1)} s rows ${rows}\n${await trace(stack)}`,
      );
    }
    if (rows >= backlog || now > deadline) break;
  }
  await submitting;

  const records = stack.rows();
  const rowTimes = records
    .map((r) => Date.parse(r.createdTime))
    .sort((a, b) => a - b);
  const calls = stack.calls().filter((c) => c.time >= t0);
  const callTimes = calls.map((c) => c.time);
  const r429 = calls.filter((c) => c.status === 429).length;
  const first = rowTimes[0];
  const last = rowTimes.at(-1);
  const names = records.map((r) => String(r.fields.username));
  const distinct = new Set(names);
  const lost = backlog - distinct.size;
  const duplicated = names.length - distinct.size;

  console.log(
    `\nAirtable backlog: ${backlog} rows from as many runs, ${concurrency} starts in flight, one base (emulator, rate limit on)`,
  );
  console.log(
    `  runs started in      ${((submittedAt - t0) / 1000).toFixed(1)} s (rows written by then: ${rowsWhenSubmitted})`,
  );
  let sustained = 0;
  if (first !== undefined && last !== undefined && last > first) {
    console.log(
      `  first row after      ${((first - t0) / 1000).toFixed(2)} s${firstEnqueue ? `, ${((first - firstEnqueue) / 1000).toFixed(2)} s after the writer was first seen holding a request (polled every 0.5 s)` : ""}`,
    );
    const span = Math.max(1, last - first);
    sustained = ((records.length - 1) / span) * 1000;
    const w = Math.min(30_000, span);
    const mid = first + span / 2;
    console.log(
      `  first 30 s           ${rates(rowTimes, callTimes, first, first + w)}`,
    );
    console.log(
      `  middle 30 s          ${rates(rowTimes, callTimes, mid - w / 2, mid + w / 2)}`,
    );
    console.log(
      `  last 30 s            ${rates(rowTimes, callTimes, last - w, last + 1)}`,
    );
    console.log(
      `  first → last row     ${sustained.toFixed(1)} rows/s (${((sustained / CEILING) * 100).toFixed(0)}% of the ${CEILING}/s ceiling) over ${(span / 1000).toFixed(0)} s`,
    );
  } else if (first !== undefined)
    console.log(
      `  first row after      ${((first - t0) / 1000).toFixed(2)} s, and no second`,
    );
  else console.log("  no row written");
  // Airtable's own view of the pace: how long every 5 requests took, arrival to arrival. The writer paces from
  // answers, so this is a second plus the margin plus a request's round trip at best; more is time between rounds.
  const answered = calls
    .filter((c) => c.status !== 429)
    .map((c) => c.time)
    .sort((a, b) => a - b);
  const fives = answered
    .slice(5)
    .map((t, i) => t - (answered[i] ?? t))
    .sort((a, b) => a - b);
  const pct = (p: number) => fives[Math.floor((fives.length - 1) * p)] ?? 0;
  if (fives.length > 0)
    console.log(
      `  5 requests took      p10 ${pct(0.1)} ms, p50 ${pct(0.5)} ms, p90 ${pct(0.9)} ms (arrival to arrival)`,
    );
  if (enqueuesThrough)
    console.log(
      `  enqueues through     ${((enqueuesThrough - t0) / 1000).toFixed(1)} s (rows written by then: ${rowsWhenEnqueued})`,
    );
  console.log(`  rows written         ${records.length} of ${backlog}`);
  console.log(`  429s received        ${r429}`);
  const first429 = calls.findIndex((c) => c.status === 429);
  if (first429 >= 0) {
    const at = calls[first429]?.time ?? 0;
    // What crowded the base: the requests of the second before the first 429, by arrival.
    console.log(
      `  before the first 429 ${calls
        .slice(Math.max(0, first429 - 8), first429 + 1)
        .map((c) => `${c.time - at} ms ${c.status}`)
        .join(", ")}`,
    );
  }
  console.log(`  rows lost            ${lost}`);
  console.log(`  rows duplicated      ${duplicated}`);
  console.log(
    `  runs failed to start ${failed.length}${failed[0] ? ` (first: ${failed[0]})` : ""}`,
  );
  const firstRowSeconds = first === undefined ? Infinity : (first - t0) / 1000;
  const ok =
    sustained >= 0.95 * CEILING &&
    firstRowSeconds <= 2 &&
    r429 === 0 &&
    lost === 0 &&
    duplicated === 0 &&
    failed.length === 0;
  console.log(
    `  target (>= 47.5 rows/s sustained, first row within 2 s, 0 × 429, 0 lost, 0 duplicated): ${ok ? "met" : "NOT met"}`,
  );
  return { ok };
}
