// Chaos on `poekhali cluster`: N telegram_go_button runs triggered through the web tier's REST API and pressed
// through the Telegram emulator, while a random Restate node, worker or the web tier is SIGKILLed at random
// moments and restarted. Every run must end, with exactly one Airtable row. The last line printed is
//   runs N, success N, rows N, lost 0, duplicated 0, kills K
// and the exit code is 1 when a run is lost, unfinished or doubled.
// Usage: npm run chaos [-- --runs 200 --minutes 3 --nodes 3 --workers 2 --home DIR]
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { startCluster } from "../packages/poekhali/src/cluster/start-cluster.js";
import { RestateAdmin } from "../packages/poekhali/src/restate/restate-admin.js";
import { chaosMonkey } from "./chaos-monkey.js";
import {
  chaosRunId,
  chaosUser,
  driveRun,
  messageIndex,
  type ChaosRunState,
} from "./chaos-runs.js";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "200" },
    // The chaos phase: runs are triggered spread over it while the monkey kills.
    minutes: { type: "string", default: "3" },
    nodes: { type: "string", default: "3" },
    workers: { type: "string", default: "2" },
    // Kill at least this many of each kind (node, worker, web), even past --minutes.
    "kills-each": { type: "string", default: "1" },
    // After the chaos phase, how long the runs get to end.
    "drain-minutes": { type: "string", default: "3" },
    home: { type: "string" },
  },
});
const number = (name: string, text: string | undefined, min: number) => {
  const n = Number(text);
  if (!Number.isFinite(n) || n < min) {
    console.error(
      `chaos: --${name} must be a number, ${min} or more; got "${text}"`,
    );
    process.exit(2);
  }
  return n;
};
const RUNS = Math.floor(number("runs", values.runs, 1));
const CHAOS_MS = number("minutes", values.minutes, 0) * 60_000;
const NODES = Math.floor(number("nodes", values.nodes, 3));
const WORKERS = Math.floor(number("workers", values.workers, 1));
const KILLS_EACH = Math.floor(number("kills-each", values["kills-each"], 0));
const DRAIN_MS = number("drain-minutes", values["drain-minutes"], 0) * 60_000;

const ownHome = values.home === undefined;
// Runs have fixed ids (chaos_<i>) and rows are counted per user: an earlier session's runs and rows in a reused
// home would count as this one's.
if (
  values.home !== undefined &&
  existsSync(values.home) &&
  readdirSync(values.home).length > 0
) {
  console.error(
    `chaos: --home ${resolve(values.home)} is not empty; give an empty or new directory (runs of an earlier session would count as this one's)`,
  );
  process.exit(2);
}
const home = resolve(
  values.home ?? mkdtempSync(join(tmpdir(), "poekhali-chaos-")),
);
const log = (line: string) => console.log(line);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Prints what is known of run `runId` that did not end: its tasks' states and Restate's invocations for it. */
async function diagnose(admin: RestateAdmin, webUrl: string, runId: string) {
  const base = `${webUrl}/api/v2/dags/telegram_go_button/dagRuns/${runId}`;
  const run = (await fetch(base).then((r) => r.json())) as { state?: string };
  const { task_instances } = (await fetch(`${base}/taskInstances`).then((r) =>
    r.json(),
  )) as { task_instances?: { task_id: string; state: string | null }[] };
  const tasks = (task_instances ?? []).map((t) => `${t.task_id} ${t.state}`);
  log(`[chaos] ${runId}: run ${run.state}; tasks ${tasks.join(", ")}`);
  const invocations = await admin.query<Record<string, unknown>>(
    `SELECT id, target, status, retry_count, last_failure, last_failure_related_entry_name, journal_size, created_at, modified_at FROM sys_invocation WHERE target_service_key = '${runId}' OR target LIKE '%${runId}%'`,
  );
  for (const row of invocations) {
    log(`[chaos] ${runId}: invocation ${JSON.stringify(row)}`);
    if (row.status === "completed") continue;
    const journal = await admin.query<Record<string, unknown>>(
      `SELECT index, entry_type, name, completed FROM sys_journal WHERE id = '${String(row.id)}' ORDER BY index`,
    );
    log(`[chaos] ${runId}: journal ${JSON.stringify(journal)}`);
  }
}

log(
  `[chaos] ${RUNS} runs on ${NODES} nodes, ${WORKERS} workers, 1 web tier; home ${home}`,
);
const cluster = await startCluster({
  home,
  nodes: NODES,
  workers: WORKERS,
  dagsFolder: new URL("../dags", import.meta.url).pathname,
  log: () => undefined,
});
let exitCode = 1;
// What the summary line says; filled in as the counts come, so that a failure half-way still prints it.
const summary = { success: 0, rows: 0, lost: RUNS, duplicated: 0, kills: 0 };
const summaryLine = () =>
  `runs ${RUNS}, success ${summary.success}, rows ${summary.rows}, lost ${summary.lost}, duplicated ${summary.duplicated}, kills ${summary.kills}`;
try {
  const info = cluster.info();
  log(
    `[chaos] cluster up: web ${info.web_url}; processes in ${join(home, "cluster.json")}`,
  );
  const startedAt = Date.now();
  const chaosEnd = startedAt + CHAOS_MS;
  const target = {
    webUrl: info.web_url,
    telegramApiRoot: cluster.sandbox.info.telegram.api_root,
    chatId: cluster.sandbox.info.telegram.chat_id,
    deadline: chaosEnd + DRAIN_MS,
    log,
  };
  const messages = messageIndex(target);
  const monkey = chaosMonkey(cluster, {
    nodes: NODES,
    workers: WORKERS,
    pauseMs: [2_000, 6_000],
    downMs: [500, 3_000],
    log,
  });
  // A monkey that fails (a restart that never comes up) must end the chaos with the summary, not crash it.
  let monkeyError: Error | undefined;
  const asError = (error: unknown) =>
    error instanceof Error ? error : new Error(String(error));
  const monkeyDone = monkey.done.catch((error: unknown) => {
    monkeyError = asError(error);
  });
  // The runs start spread over the chaos phase, so that kills land while runs are at every stage.
  const runs: Promise<ChaosRunState>[] = [];
  for (let i = 0; i < RUNS; i++) {
    const due = startedAt + (CHAOS_MS * i) / RUNS;
    if (due > Date.now()) await sleep(due - Date.now());
    if (monkeyError !== undefined) break;
    runs.push(driveRun(target, messages, i));
  }
  const minKills = () => {
    const { kills } = monkey.tally();
    return Math.min(kills.node, kills.worker, kills.web);
  };
  // Keep killing until the chaos phase is over and each kind has had its kills.
  while (
    (Date.now() < chaosEnd || minKills() < KILLS_EACH) &&
    Date.now() < target.deadline &&
    monkeyError === undefined
  )
    await Promise.race([sleep(500), monkeyDone]);
  await monkey.stop().catch((error: unknown) => {
    monkeyError ??= asError(error);
  });
  const { total, kills } = monkey.tally();
  summary.kills = total;
  log(
    `[chaos] kills: ${kills.node} node, ${kills.worker} worker, ${kills.web} web; waiting for the runs to end`,
  );
  const states = await Promise.all(runs);
  await messages.stop();

  const { base_id, table } = cluster.sandbox.info.airtable;
  const rows = cluster.sandbox.airtable.records(base_id, table);
  const perUser = new Map<string, number>();
  for (const row of rows) {
    const user = row.fields.username;
    if (typeof user !== "string") continue;
    perUser.set(user, (perUser.get(user) ?? 0) + 1);
  }
  let lost = 0;
  let duplicated = 0;
  for (let i = 0; i < RUNS; i++) {
    const n = perUser.get(chaosUser(i)) ?? 0;
    if (n === 0) lost++;
    duplicated += Math.max(0, n - 1);
  }
  const success = states.filter((s) => s === "success").length;
  Object.assign(summary, { success, rows: rows.length, lost, duplicated });
  const unfinished = states.filter((s) => s === "unfinished").length;
  const failed = states.filter((s) => s === "failed").length;
  if (unfinished || failed)
    log(
      `[chaos] ${unfinished} run(s) unfinished, ${failed} failed: ${states
        .flatMap((s, i) => (s === "success" ? [] : [`${chaosRunId(i)} ${s}`]))
        .join(", ")}`,
    );
  // A run that did not end says where it stopped: its tasks as the REST API sees them, and Restate's invocations
  // for its key (the workflow, its steps' calls) with their last failure and journal length.
  const admin = new RestateAdmin(info.restate.admin_url);
  for (let i = 0; i < RUNS; i++) {
    if (states[i] === "success") continue;
    await diagnose(admin, target.webUrl, chaosRunId(i)).catch(
      (error: unknown) =>
        log(`[chaos] ${chaosRunId(i)}: no diagnosis (${String(error)})`),
    );
  }
  log(`[chaos] ${((Date.now() - startedAt) / 1000).toFixed(0)} s`);
  if (monkeyError !== undefined) throw monkeyError;
  exitCode = lost || duplicated || success !== RUNS ? 1 : 0;
  await cluster.stop();
  if (ownHome) rmSync(home, { recursive: true, force: true });
} catch (error) {
  exitCode = 1;
  console.error(
    `chaos: ${error instanceof Error ? error.message : String(error)}`,
  );
  await cluster.stop().catch((e: unknown) => {
    console.error(`chaos: while stopping the cluster: ${String(e)}`);
  });
}
console.log(summaryLine());
process.exit(exitCode);
