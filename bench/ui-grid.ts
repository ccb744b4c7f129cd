// How fast the DAG page and the DAG list answer when one DAG has many runs (10,000 by default): the grid is paged and
// filtered in Restate's SQL, so its first page, its last page and a filtered page should cost about the same.
// The REST API's run list (`GET /api/v2/dags/{id}/dagRuns`) is timed the same way, paged in SQL and, for comparison,
// read in memory; then a page's kept state read with one `service_key IN (…)` query against one `service_key =` per run.
// Usage: npm run bench:ui-grid [-- --runs 10000]
import "@poekhali/core";
import { parseArgs } from "node:util";
import { StaticConnections, dag, dagWorkflow, task } from "@poekhali/core";
import { DagRuns } from "../packages/poekhali/src/api/dag-runs.js";
import { startTemporaryRestate } from "../packages/poekhali/src/restate/temporary-restate.js";
import { webPages } from "../packages/poekhali/src/web/pages.js";
import { ApiState } from "../packages/poekhali/src/api/api-state.js";
import { EventLog } from "../packages/poekhali/src/api/event-log.js";
import { Variables } from "../packages/poekhali/src/api/variables.js";
import { v2Api } from "../packages/poekhali/src/api/v2/v2-api.js";

const { values } = parseArgs({
  options: { runs: { type: "string", default: "10000" } },
});
const RUNS = Number(values.runs);
// The SDK logs every invocation at INFO otherwise: 10,000 of them would drown the figures.
process.env.RESTATE_LOGGING ??= "WARN";

const grid = dag({ id: "bench_grid", schedule: null }, () => {
  const first = task({ taskId: "first" }, () => 1, {});
  task({ taskId: "second" }, ({ n }: { n: number }) => n + 1, {
    n: first.output,
  });
});

const stack = await startTemporaryRestate("poekhali-bench-grid-");
try {
  await stack.deploy([
    dagWorkflow(grid, { connections: new StaticConnections([]) }),
  ]);
  const runs = new DagRuns(stack.ingress, stack.server);
  const started = performance.now();
  // Submitted in batches: enough at once to be quick, few enough not to starve the other users of the machine.
  for (let i = 0; i < RUNS; i += 100)
    await Promise.all(
      Array.from({ length: Math.min(100, RUNS - i) }, (_, j) =>
        runs.trigger(grid, `run_${String(i + j).padStart(6, "0")}`, {}),
      ),
    );
  for (;;) {
    const [row] = await stack.server.query<{ n: number }>(
      `SELECT COUNT(*) AS n FROM sys_invocation WHERE target_service_name = 'bench_grid' AND status = 'completed'`,
    );
    if (Number(row?.n) >= RUNS) break;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  console.log(
    `${RUNS} runs triggered and finished in ${((performance.now() - started) / 1000).toFixed(0)} s`,
  );

  const app = webPages({
    dags: new Map([[grid.id, grid]]),
    runs,
    nav: { restateUi: "http://localhost/ui/" },
  });
  const api = v2Api({
    dags: new Map([[grid.id, grid]]),
    runs,
    state: new ApiState(stack.ingress.url, stack.server),
    source: { folder: "/dags", files: new Map() },
    ready: () => true,
    importErrors: [],
    loadedAt: new Date().toISOString(),
    variables: new Variables(stack.ingress.url, stack.server),
    eventLog: new EventLog(stack.ingress.url, stack.server),
  });
  const time = async (label: string, path: string) => {
    const samples: number[] = [];
    for (let i = 0; i < 7; i++) {
      const t = performance.now();
      const res = await (path.startsWith("/api/") ? api : app).request(path);
      if (res.status !== 200) throw new Error(`${path} answered ${res.status}`);
      await res.text();
      samples.push(performance.now() - t);
    }
    samples.sort((a, b) => a - b);
    console.log(
      `${label.padEnd(44)} median ${samples[3]!.toFixed(0)} ms, max ${samples[6]!.toFixed(0)} ms`,
    );
  };
  await time("DAG page, newest 25 runs", "/dags/bench_grid");
  await time(
    `DAG page, oldest runs (offset ${Math.max(0, RUNS - 25)})`,
    `/dags/bench_grid?offset=${Math.max(0, RUNS - 25)}`,
  );
  await time("DAG page, only failed runs", "/dags/bench_grid?state=failed");
  await time("live grid refresh (/ui/grid)", "/ui/grid/bench_grid");
  await time("DAG list (/)", "/");
  const everything = performance.now();
  await runs.snapshots([grid.id]);
  console.log(
    `${"for comparison: every run read at once".padEnd(44)} ${(performance.now() - everything).toFixed(0)} ms (what /api/v2's dagRuns list reads, then pages)`,
  );
  await time("DAG list refresh (/ui/dags)", "/ui/dags");
  // The REST API's run list, paged in SQL; `conf_contains` (every conf holds "{") forces reading every run.
  const list = "/api/v2/dags/bench_grid/dagRuns";
  await time("API run list, first 50", `${list}?limit=50`);
  await time("API run list, newest 50", `${list}?limit=50&order_by=-id`);
  await time(
    `API run list, offset ${Math.max(0, RUNS - 50)}`,
    `${list}?limit=50&offset=${Math.max(0, RUNS - 50)}`,
  );
  await time("API run list, only failed", `${list}?state=failed`);
  await time(
    "for comparison: API run list read in memory",
    `${list}?limit=50&conf_contains=%7B`,
  );
  // A page's kept state, 50 runs: one `service_key IN (…)` query against one `service_key =` query per run.
  const keys = Array.from(
    { length: Math.min(50, RUNS) },
    (_, i) => `'run_${String(RUNS - 1 - i).padStart(6, "0")}'`,
  );
  const stateRead = `SELECT service_key, key, value_utf8 FROM state WHERE service_name = 'bench_grid' AND key IN ('dag_run', 'task_instances')`;
  const timeQuery = async (label: string, query: string) => {
    const samples: number[] = [];
    for (let i = 0; i < 7; i++) {
      const t = performance.now();
      await stack.server.query(query);
      samples.push(performance.now() - t);
    }
    samples.sort((a, b) => a - b);
    console.log(
      `${label.padEnd(44)} median ${samples[3]!.toFixed(0)} ms, max ${samples[6]!.toFixed(0)} ms`,
    );
  };
  await timeQuery(
    "page state, 50 runs, service_key IN (…)",
    `${stateRead} AND service_key IN (${keys.join(", ")})`,
  );
  await timeQuery(
    "page state, 50 runs, UNION ALL of service_key =",
    keys.map((k) => `${stateRead} AND service_key = ${k}`).join(" UNION ALL "),
  );
  await timeQuery(
    "one run's state, service_key =",
    `${stateRead} AND service_key = ${keys[0]}`,
  );
  const parallel: number[] = [];
  for (let i = 0; i < 7; i++) {
    const t = performance.now();
    await Promise.all(
      keys.map((k) =>
        stack.server.query(`${stateRead} AND service_key = ${k}`),
      ),
    );
    parallel.push(performance.now() - t);
  }
  parallel.sort((a, b) => a - b);
  console.log(
    `${"page state, 50 runs, 50 queries in parallel".padEnd(44)} median ${parallel[3]!.toFixed(0)} ms, max ${parallel[6]!.toFixed(0)} ms`,
  );
} finally {
  await stack.stop();
}
