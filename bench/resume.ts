// The cost of resuming a parked DAG run, by journal version, with nothing else on the path: N runs parked by main's
// runner (journal version 1) and N by this one (version 2), all then served by this runner (as after an upgrade),
// woken alternately in batches by one ingress call each. The DAG has telegram_go_button's shape (a check whose event
// source answers at once, a step that logs, a wait for an event with a timeout, a write whose source answers at
// once); the endpoint is this process. Prints, per version: journal entries a resume replays and adds, and CPU ms per
// resume of restate-server and of this process (until every woken run ended). Usage:
// npm run bench:resume [-- --runs 1000 --batches 10]
import "@poekhali/core";
import { parseArgs } from "node:util";
import { loadavg } from "node:os";
import * as restate from "@restatedev/restate-sdk";
import { z } from "zod";
import * as newCore from "@poekhali/core";
import { serveEndpoint } from "../packages/poekhali/src/worker/serve-endpoint.js";
import { choosePort } from "../packages/poekhali/src/ports.js";
import { startTemporaryRestate } from "../packages/poekhali/src/restate/temporary-restate.js";
import { sourceAt } from "../e2e/harness.js";
import { testTriggers } from "../e2e/test-triggers.js";
import { pool, until } from "./concurrency.js";
import { ticksOf } from "./parked.js";

/** main before journal version 2. */
const MAIN = "12d81b1b3192ff78c0d0e1e32c92e0fb7b086b8c";
const DAG_ID = "bench_resume";

type Core = typeof newCore;

const events = testTriggers("bench_resume_events");
/** An event source that answers at once, as the Airtable writer does for a schema check or a row soon after. */
const answering = restate.object({
  name: "bench_resume_answering",
  handlers: {
    watch: (ctx: restate.ObjectContext, triggerId: string) => {
      ctx.resolveAwakeable(triggerId, { ok: true });
      return Promise.resolve();
    },
  },
});

/** telegram_go_button's shape, built with the given version of core. */
function resumeDag(core: Core) {
  class Wait extends core.DeferrableSensor<
    { key: string; source: string },
    { ok: boolean; at?: string }
  > {
    readonly title = "wait for the event";
    constructor(
      options: newCore.BaseSensorOptions &
        newCore.Args<{ key: string; source: string }>,
    ) {
      super(options, { key: options.key, source: options.source });
    }
    override defer(
      args: { key: string; source: string },
      context: newCore.DeferContext,
    ) {
      context.send(
        { service: args.source, handler: "watch", key: args.key },
        context.triggerId,
      );
    }
    override complete(event: { ok: boolean; at?: string }) {
      return event;
    }
    // The press is stamped when received, as a button press is: no clock read when it completes.
    override eventTime(event: { ok: boolean; at?: string }): string | null {
      return event.at ?? null;
    }
  }
  return core.dag(
    { id: DAG_ID, schedule: null, params: z.object({ key: z.string() }) },
    ({ params }) => {
      const checked = new Wait({
        taskId: "check_table",
        key: params.key,
        source: "bench_resume_answering",
      });
      const sent = core
        .task(
          { taskId: "send_button", title: "send a message with a button" },
          ({ key }: { key: string }, context: newCore.TaskContext) => {
            context.log.info(`sent message to ${key}`);
            return { message_id: 1, key };
          },
          { key: params.key },
        )
        .after(checked);
      const press = new Wait({
        taskId: "wait_for_press",
        key: params.key,
        source: "bench_resume_events",
        timeout: "1h",
      }).after(sent);
      new Wait({
        taskId: "write_row",
        key: params.key,
        source: "bench_resume_answering",
      }).after(press);
    },
  );
}

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "1000" },
    batches: { type: "string", default: "10" },
  },
});
const RUNS = Number(values.runs);
const BATCHES = Number(values.batches);
if (!(RUNS > 0) || !(BATCHES > 0) || RUNS % BATCHES !== 0)
  throw new RangeError(
    `--runs (${values.runs}) must be a multiple of --batches (${values.batches})`,
  );

const older = sourceAt(MAIN, ["packages/core/src"]);
const stack = await startTemporaryRestate("poekhali-bench-resume-");
const port = await choosePort(0);
const runtime = { connections: new newCore.StaticConnections([]) };
const serve = (core: Core) =>
  serveEndpoint(
    restate.createEndpointHandler({
      services: [events, answering, core.dagWorkflow(resumeDag(core), runtime)],
      // Only what went wrong: a line per invocation would be most of this process's CPU, as the worker's is not.
      logger: (meta, message: unknown) => {
        if (["warn", "error"].includes(String(meta.level)))
          console.error(String(message));
      },
    }),
    { port },
  );
const query = <T>(sql: string) => stack.server.query<T>(sql);
const count = async (where: string) =>
  Number(
    (
      await query<{ n: number }>(
        `SELECT count(*) AS n FROM sys_invocation WHERE target_service_name = '${DAG_ID}' AND target_handler_name = 'run' AND ${where}`,
      )
    )[0]?.n ?? 0,
  );

/** Starts the runs of one version and waits until every one is suspended at its wait. */
async function park(version: string) {
  const keys = Array.from({ length: RUNS }, (_, i) => `${version}-${i}`);
  await pool(keys, 64, (key) =>
    stack.ingress.send(
      { service: DAG_ID, handler: "run", key },
      { conf: { key } },
    ),
  );
  await until(
    `every ${version} run to be suspended at its wait`,
    async () =>
      (await count(
        `target_service_key LIKE '${version}-%' AND status = 'suspended'`,
      )) === RUNS &&
      Number(
        (
          await query<{ n: number }>(
            `SELECT count(*) AS n FROM sys_invocation WHERE target_service_name = 'bench_resume_events' AND target_handler_name = 'watch' AND target_service_key LIKE '${version}-%' AND status = 'completed'`,
          )
        )[0]?.n ?? 0,
      ) === RUNS
        ? true
        : undefined,
    600_000,
    250,
  );
  return keys;
}

/** Journal entries of one run of a version (the first), as kept now. */
async function entriesOf(key: string): Promise<number> {
  const rows = await query<{ n: number }>(
    `SELECT count(*) AS n FROM sys_journal j JOIN sys_invocation i ON j.id = i.id WHERE i.target_service_name = '${DAG_ID}' AND i.target_service_key = '${key}' AND i.target_handler_name = 'run'`,
  );
  return Number(rows[0]?.n ?? 0);
}

const restatePid = stack.server.pid;
if (restatePid === undefined)
  throw new Error("restate-server did not say its process id");
const print = (line: string) => process.stdout.write(`${line}\n`);
let endpoint = await serve(
  await older.load<Core>("packages/core/src/index.ts"),
);
try {
  await stack.server.register(endpoint.url);
  print(
    `bench:resume — ${RUNS} runs per journal version, woken in ${BATCHES} batches each; ${new Date().toISOString()}; load ${loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")}`,
  );
  const v1 = await park("v1");
  await endpoint.stop();
  // The same URL, this runner: the version 1 runs resume on it as after an upgrade.
  endpoint = await serve(newCore);
  const v2 = await park("v2");
  const parkedEntries = {
    v1: await entriesOf("v1-0"),
    v2: await entriesOf("v2-0"),
  };

  const spent = {
    v1: { restate: 0, endpoint: 0 },
    v2: { restate: 0, endpoint: 0 },
  };
  const size = RUNS / BATCHES;
  for (let b = 0; b < BATCHES; b++) {
    // Alternate which version goes first, so that neither always wakes on the warmer (or busier) box.
    const order =
      b % 2 === 0 ? (["v1", "v2"] as const) : (["v2", "v1"] as const);
    for (const version of order) {
      const keys = (version === "v1" ? v1 : v2).slice(b * size, (b + 1) * size);
      const restateBefore = ticksOf(restatePid);
      const selfBefore = process.cpuUsage();
      await pool(keys, 64, (key) =>
        stack.ingress.call(
          { service: "bench_resume_events", handler: "fire", key },
          { ok: true, at: new Date().toISOString() },
        ),
      );
      await until(
        `batch ${b} of ${version} to end`,
        async () =>
          (await count(
            `target_service_key LIKE '${version}-%' AND status = 'completed'`,
          )) >=
          (b + 1) * size
            ? true
            : undefined,
        600_000,
        100,
      );
      const self = process.cpuUsage(selfBefore);
      spent[version].restate += (ticksOf(restatePid) - restateBefore) * 10;
      spent[version].endpoint += (self.user + self.system) / 1000;
    }
  }
  const failed = await count(
    "status = 'completed' AND completion_result != 'success'",
  );
  for (const version of ["v1", "v2"] as const) {
    const s = spent[version];
    const added = (await entriesOf(`${version}-0`)) - parkedEntries[version];
    print(
      `  journal version ${version.slice(1)}: a resume replays ${parkedEntries[version]} entries and adds ${added}; ` +
        `CPU ms per resume: restate-server ${(s.restate / RUNS).toFixed(2)}, endpoint ${(s.endpoint / RUNS).toFixed(2)}, ` +
        `total ${((s.restate + s.endpoint) / RUNS).toFixed(2)}`,
    );
  }
  print(
    `  runs that did not end in success: ${failed}; load at the end ${loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")}`,
  );
} finally {
  await endpoint.stop();
  await stack.stop();
  older.remove();
}
