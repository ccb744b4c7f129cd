import * as restate from "@restatedev/restate-sdk";
import { readFileSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as newCore from "@poekhali/core";
import { serveEndpoint } from "../packages/poekhali/src/worker/serve-endpoint.js";
import { choosePort } from "../packages/poekhali/src/ports.js";
import {
  startTemporaryRestate,
  type TemporaryRestate,
} from "../packages/poekhali/src/restate/temporary-restate.js";
import { eventually, sourceAt } from "./harness.js";
import { testTriggers } from "./test-triggers.js";
import { dagRunClient, taskStatesOf } from "./dag-run-client.js";

// The commands a run journals, one by one (type, step or timer name, state key, call target). A run parked by one
// version of the runner replays on the next only if the next journals the same commands in the same order.
// Journal version 1 (every run parked by main's runner), recorded from the runner before it was split into files
// (packages/core/src of commit 63c9c51, with POEKHALI_RECORD_JOURNAL=1): a run parked by main's runner must finish on
// this one with exactly these commands.
const GOLDEN = new URL("./fixtures/journal-shape.json", import.meta.url);
// Journal version 2 (runs started by this runner: state written once per wait or message), recorded from this
// runner with POEKHALI_RECORD_JOURNAL=2.
const GOLDEN_V2 = new URL("./fixtures/journal-shape-v2.json", import.meta.url);
// main before journal version 2: its runner parks the version 1 run.
const MAIN = "12d81b1b3192ff78c0d0e1e32c92e0fb7b086b8c";

type Core = typeof newCore;

const events = testTriggers("journal_events");
const late = restate.object({
  name: "journal_late",
  handlers: { late: () => Promise.resolve(null) },
});

/** The DAG, built with the given version of core: a retried operator, a deferred sensor, pokes, a branch, a timeout. */
function shapeDag(core: Core) {
  class Gate extends core.DeferrableSensor<{ key: string }, string> {
    readonly title = "wait at the gate";
    constructor(
      options: newCore.BaseSensorOptions & newCore.Args<{ key: string }>,
    ) {
      super(options, { key: options.key });
    }
    override defer(args: { key: string }, context: newCore.DeferContext) {
      context.send(
        { service: "journal_events", handler: "watch", key: args.key },
        context.triggerId,
      );
    }
    override complete(event: string): string {
      return event;
    }
    /** Asks the source for an event it took before the timer fired (none here: the run then skips). */
    override lastWord(args: { key: string }): newCore.LastWord {
      return {
        target: { service: "journal_late", handler: "late", key: args.key },
        payload: null,
      };
    }
  }
  class TwoPokes extends core.BaseSensor<{ key: string }, string> {
    readonly title = "poke twice";
    readonly #seen = new Map<string, number>();
    constructor(
      options: newCore.PokeSensorOptions & newCore.Args<{ key: string }>,
    ) {
      super(options, { key: options.key });
    }
    override poke({ key }: { key: string }, context: newCore.TaskContext) {
      // Counted per run: the runs of this file poke with one instance of the DAG.
      const seen = `${context.runId}:${key}`;
      const n = (this.#seen.get(seen) ?? 0) + 1;
      this.#seen.set(seen, n);
      return Promise.resolve(
        n >= 2 ? { done: true, value: `poked ${n}` } : { done: false },
      );
    }
  }
  let tries = 0;
  return core.dag({ id: "t_journal_shape", schedule: null }, () => {
    const flaky = core.task(
      { taskId: "flaky", retries: 1, retryDelay: "50ms" },
      () => {
        tries++;
        if (tries % 2 === 1) throw new Error("the first try fails");
        return "ok";
      },
      {},
    );
    const gate = new Gate({ taskId: "gate", key: "g1", timeout: "1h" });
    gate.after(flaky);
    const poked = new TwoPokes({
      taskId: "poked",
      key: "p1",
      pokeInterval: "50ms",
    });
    poked.after(gate);
    const choose = core.branch(
      { taskId: "choose" },
      ({ v }: { v: string }) => (v.startsWith("poked") ? "left" : "right"),
      { v: poked.output },
    );
    const left = choose.before(core.task({ taskId: "left" }, () => "L", {}));
    choose.before(core.task({ taskId: "right" }, () => "R", {}));
    const timedOut = new Gate({
      taskId: "timed_out",
      key: "never",
      timeout: "200ms",
      softFail: true,
    });
    timedOut.after(left);
  });
}

/** A root and three steps after it that run at once, built with the given version of core. */
function fanOutDag(core: Core) {
  return core.dag({ id: "t_journal_fan_out", schedule: null }, () => {
    const root = core.task({ taskId: "root" }, () => "r", {});
    for (const id of ["a", "b", "c"])
      root.before(core.task({ taskId: id }, () => id, {}));
  });
}

/** Values, ids and times vary from run to run: what stays is each command, its name, its state key, its target. */
const VARYING =
  /value|payload|parameter|headers|completion_id|_time|_idx|invocation_id|idempotency|span|wake_up/i;
function shapeOf(entry: unknown): unknown {
  if (Array.isArray(entry)) return entry.map(shapeOf);
  if (typeof entry !== "object" || entry === null) return entry;
  return Object.fromEntries(
    Object.entries(entry)
      .filter(([key]) => !VARYING.test(key))
      .map(([key, value]) => [key, shapeOf(value)]),
  );
}

describe("the journal a DAG run writes", () => {
  const older = sourceAt(MAIN, ["packages/core/src"]);
  let stack: TemporaryRestate;
  let port: number;
  let endpoint: { stop(): Promise<void>; url: string } | undefined;
  const runtime = { connections: new newCore.StaticConnections([]) };
  const serve = (core: Core) =>
    serveEndpoint(
      restate.createEndpointHandler({
        services: [
          events,
          late,
          core.dagWorkflow(shapeDag(core), runtime),
          core.dagWorkflow(fanOutDag(core), runtime),
        ],
      }),
      { port },
    );
  const client = dagRunClient(() => stack.ingress);

  beforeAll(async () => {
    stack = await startTemporaryRestate("poekhali-journal-");
    port = await choosePort(0);
  });
  afterAll(async () => {
    await endpoint?.stop();
    await stack?.stop();
    older.remove();
  });

  /** Starts a run and waits until its gate is deferred. */
  async function parkAtGate(runId: string) {
    await client.start("t_journal_shape", runId);
    await eventually(
      `${runId}'s gate to defer`,
      async () => {
        const s = await client.status("t_journal_shape", runId);
        return s !== null && taskStatesOf(s).gate === "deferred";
      },
      20_000,
    );
  }

  /**
   * Opens the gate once the run's is the `nth` registration with it (runs share the gate one after the other, and a
   * fire before the registration would wake the run before), waits for the run to end, and returns its commands.
   */
  async function finish(runId: string, nth: number): Promise<string[]> {
    await eventually(
      `${runId}'s gate to register`,
      async () =>
        Number(
          (
            await stack.server.query<{ n: number }>(
              "SELECT count(*) AS n FROM sys_invocation WHERE target_service_name = 'journal_events' AND target_service_key = 'g1' AND target_handler_name = 'watch' AND status = 'completed'",
            )
          )[0]?.n ?? 0,
        ) >= nth,
    );
    await stack.ingress.call(
      { service: "journal_events", handler: "fire", key: "g1" },
      "open",
    );
    expect(taskStatesOf(await ended("t_journal_shape", runId))).toEqual({
      flaky: "success",
      gate: "success",
      poked: "success",
      choose: "success",
      left: "success",
      right: "skipped",
      timed_out: "skipped",
    });
    return commandsOf("t_journal_shape", runId);
  }

  /** Waits for a run to end and returns its status. */
  function ended(dagId: string, runId: string) {
    return client
      .finished(dagId, runId, 20_000)
      .catch(async (error: unknown) => {
        throw new Error(
          `${String(error)}: ${JSON.stringify(await client.status(dagId, runId))}`,
        );
      });
  }

  /** The commands of a run's journal, each as its shape; the run must have had no failure. */
  async function commandsOf(dagId: string, runId: string): Promise<string[]> {
    const [invocation] = await stack.server.query<{
      id: string;
      last_failure: string | null;
    }>(
      `SELECT id, last_failure FROM sys_invocation WHERE target_service_name = '${dagId}' AND target_service_key = '${runId}' AND target_handler_name = 'run'`,
    );
    expect(invocation?.last_failure ?? null).toBeNull();
    const rows = await stack.server.query<{
      entry_type: string;
      entry_json: string;
    }>(
      `SELECT index, entry_type, entry_json FROM sys_journal WHERE id = '${invocation!.id}' ORDER BY index`,
    );
    // Commands only: when a notification (a step's result, a timer firing) lands among them depends on timing.
    return rows
      .filter((r) => r.entry_type.startsWith("Command"))
      .map((r) => JSON.stringify(shapeOf(JSON.parse(r.entry_json))));
  }

  it("finishes a run parked by main's runner with the same commands, in the same order, as the runner before the split", async () => {
    const oldCore = await older.load<Core>("packages/core/src/index.ts");
    expect(oldCore.DeferrableSensor).not.toBe(newCore.DeferrableSensor);
    endpoint = await serve(oldCore);
    await stack.server.register(endpoint.url);
    await parkAtGate("r1");
    await endpoint.stop();
    // The same URL, new code: Restate replays the run's journal on this tree's runner, which goes on in version 1.
    endpoint = await serve(newCore);
    const journal = await finish("r1", 1);
    if (process.env.POEKHALI_RECORD_JOURNAL === "1")
      writeFileSync(GOLDEN, `${JSON.stringify(journal, null, 2)}\n`);
    expect(journal).toEqual(
      JSON.parse(readFileSync(GOLDEN, "utf8")) as string[],
    );
  }, 60_000);

  it("writes a new run's record and task instances once per wait or message (journal version 2)", async () => {
    endpoint ??= await serve(newCore);
    await parkAtGate("r2");
    const journal = await finish("r2", 2);
    if (process.env.POEKHALI_RECORD_JOURNAL === "2")
      writeFileSync(GOLDEN_V2, `${JSON.stringify(journal, null, 2)}\n`);
    expect(journal).toEqual(
      JSON.parse(readFileSync(GOLDEN_V2, "utf8")) as string[],
    );
    const writes = (key: string) =>
      journal.filter((c) => c.includes(`"key":"${key}"`)).length;
    const v1 = JSON.parse(readFileSync(GOLDEN, "utf8")) as string[];
    // Version 1: 20 writes of each, 67 commands.
    expect(v1.length).toBe(67);
    expect(writes("dag_run")).toBe(2);
    expect(writes("task_instances")).toBe(9);
    expect(journal.length).toBe(37);
  }, 60_000);

  it("writes the task instances once for steps started together, before it waits on them (journal version 2)", async () => {
    endpoint ??= await serve(newCore);
    await client.start("t_journal_fan_out", "f1");
    const s = await ended("t_journal_fan_out", "f1");
    expect(taskStatesOf(s)).toEqual({
      root: "success",
      a: "success",
      b: "success",
      c: "success",
    });
    const journal = await commandsOf("t_journal_fan_out", "f1");
    const steps = journal
      .map((c, i) => (/"name":"[abc]: [abc]"/.test(c) ? i : -1))
      .filter((i) => i >= 0);
    // The three steps start one after the other, then one write says all three run (version 1: a write before each).
    expect(steps).toHaveLength(3);
    expect(steps[2]! - steps[0]!).toBe(2);
    expect(journal[steps[2]! + 1]).toContain('"key":"task_instances"');
  }, 60_000);
});
