// What poekhali's task bookkeeping costs over plain Restate: a chain of N trivial tasks as a poekhali DAG,
// against the same N steps hand-written as a Restate workflow. Same server, same worker, runs interleaved.
// Usage: npm run bench:overhead [-- --runs 30 --tasks 10]
import "@poekhali/core";
import { parseArgs } from "node:util";
import * as restate from "@restatedev/restate-sdk";
import {
  StaticConnections,
  dag,
  dagWorkflow,
  task,
  type FunctionOperator,
} from "@poekhali/core";
import { startTemporaryRestate } from "../packages/poekhali/src/restate/temporary-restate.js";
import { printComparison } from "./stats.js";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "30" },
    tasks: { type: "string", default: "10" },
  },
});
const RUNS = Number(values.runs);
const TASKS = Number(values.tasks);

const chain = dag({ id: "bench_chain", schedule: null }, () => {
  let previous: FunctionOperator<{ n: number }, number> | undefined;
  for (let i = 0; i < TASKS; i++) {
    previous = task({ taskId: `t${i}` }, ({ n }: { n: number }) => n + 1, {
      n: previous ? previous.output : 0,
    });
  }
});

const raw = restate.workflow({
  name: "raw_chain",
  options: { inactivityTimeout: 5_000 },
  handlers: {
    run: async (ctx: restate.WorkflowContext) => {
      let n = 0;
      for (let i = 0; i < TASKS; i++) n = await ctx.run(`t${i}`, () => n + 1);
      return n;
    },
  },
});

const stack = await startTemporaryRestate("poekhali-bench-");
try {
  await stack.deploy([
    raw,
    dagWorkflow(chain, { connections: new StaticConnections([]) }),
  ]);
  const { ingress } = stack;
  const samples: Record<string, number[]> = {
    [`raw Restate, ${TASKS} ctx.run`]: [],
    [`poekhali DAG, ${TASKS} tasks`]: [],
  };
  const time = async (service: string, key: string) => {
    const started = performance.now();
    await ingress.call({ service, handler: "run", key }, { conf: {} });
    return performance.now() - started;
  };
  for (let i = 0; i < 3; i++) {
    await time("raw_chain", `warm${i}`);
    await time("bench_chain", `warm${i}`);
  }
  for (let i = 0; i < RUNS; i++) {
    // Alternate which goes first so that drift on a shared machine hits both alike.
    const order =
      i % 2 === 0
        ? (["raw_chain", "bench_chain"] as const)
        : (["bench_chain", "raw_chain"] as const);
    for (const service of order) {
      const ms = await time(service, `r${i}`);
      samples[
        service === "raw_chain"
          ? `raw Restate, ${TASKS} ctx.run`
          : `poekhali DAG, ${TASKS} tasks`
      ]!.push(ms);
    }
  }
  printComparison(
    `Run of a ${TASKS}-task chain, trigger to result (${RUNS} runs each, interleaved)`,
    samples,
  );
} finally {
  await stack.stop();
}
