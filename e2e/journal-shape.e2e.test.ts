import "@poekhali/core";
import { readFileSync, writeFileSync } from "node:fs";
import * as restate from "@restatedev/restate-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BaseSensor,
  DeferrableSensor,
  StaticConnections,
  branch,
  dag,
  dagWorkflow,
  task,
  type Args,
  type BaseSensorOptions,
  type DeferContext,
  type LastWord,
  type PokeSensorOptions,
} from "@poekhali/core";
import {
  startTemporaryRestate,
  type TemporaryRestate,
} from "../packages/poekhali/src/restate/temporary-restate.js";
import { eventually } from "./harness.js";
import { testTriggers } from "./test-triggers.js";
import { dagRunClient, taskStatesOf } from "./dag-run-client.js";

// The commands a run journals, one by one (type, step or timer name, state key, call target), as recorded from the
// runner before it was split into files (packages/core/src of commit 63c9c51, with POEKHALI_RECORD_JOURNAL=1) in
// e2e/fixtures/journal-shape.json. A run parked by one version of the runner replays on the next only if the next
// journals the same commands in the same order: this test fails on any change to them.
const GOLDEN = new URL("./fixtures/journal-shape.json", import.meta.url);

const events = testTriggers("journal_events");

class Gate extends DeferrableSensor<{ key: string }, string> {
  readonly title = "wait at the gate";
  constructor(options: BaseSensorOptions & Args<{ key: string }>) {
    super(options, { key: options.key });
  }
  override defer(args: { key: string }, context: DeferContext): void {
    context.send(
      { service: "journal_events", handler: "watch", key: args.key },
      context.triggerId,
    );
  }
  override complete(event: string): string {
    return event;
  }
  /** Asks the source for an event it took before the timer fired (none here: the run then skips). */
  override lastWord(args: { key: string }): LastWord {
    return {
      target: { service: "journal_late", handler: "late", key: args.key },
      payload: null,
    };
  }
}

class TwoPokes extends BaseSensor<{ key: string }, string> {
  readonly title = "poke twice";
  readonly #seen = new Map<string, number>();
  constructor(options: PokeSensorOptions & Args<{ key: string }>) {
    super(options, { key: options.key });
  }
  override poke({ key }: { key: string }) {
    const n = (this.#seen.get(key) ?? 0) + 1;
    this.#seen.set(key, n);
    return Promise.resolve(
      n >= 2 ? { done: true, value: `poked ${n}` } : { done: false },
    );
  }
}

const late = restate.object({
  name: "journal_late",
  handlers: { late: () => Promise.resolve(null) },
});

let tries = 0;
const shape = dag({ id: "t_journal_shape", schedule: null }, () => {
  const flaky = task(
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
  const choose = branch(
    { taskId: "choose" },
    ({ v }: { v: string }) => (v.startsWith("poked") ? "left" : "right"),
    { v: poked.output },
  );
  const left = choose.before(task({ taskId: "left" }, () => "L", {}));
  choose.before(task({ taskId: "right" }, () => "R", {}));
  const timedOut = new Gate({
    taskId: "timed_out",
    key: "never",
    timeout: "200ms",
    softFail: true,
  });
  timedOut.after(left);
});

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
  let stack: TemporaryRestate;
  beforeAll(async () => {
    stack = await startTemporaryRestate("poekhali-journal-");
    await stack.deploy([
      events,
      late,
      dagWorkflow(shape, { connections: new StaticConnections([]) }),
    ]);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it("has the same entries in the same order as the runner before the split", async () => {
    const { start, status, finished } = dagRunClient(() => stack.ingress);
    await start("t_journal_shape", "r1");
    await eventually(
      "the gate to defer",
      async () =>
        taskStatesOf((await status("t_journal_shape", "r1"))!).gate ===
        "deferred",
    );
    await eventually("the gate to register", () =>
      stack.ingress
        .call({ service: "journal_events", handler: "fire", key: "g1" }, "open")
        .then(() => true),
    );
    const s = await finished("t_journal_shape", "r1", 20_000).catch(
      async (error: unknown) => {
        throw new Error(
          `${String(error)}: ${JSON.stringify(await status("t_journal_shape", "r1"))}`,
        );
      },
    );
    expect(taskStatesOf(s)).toEqual({
      flaky: "success",
      gate: "success",
      poked: "success",
      choose: "success",
      left: "success",
      right: "skipped",
      timed_out: "skipped",
    });
    const [invocation] = await stack.server.query<{ id: string }>(
      "SELECT id FROM sys_invocation WHERE target_service_name = 't_journal_shape' AND target_service_key = 'r1' AND target_handler_name = 'run'",
    );
    const rows = await stack.server.query<{
      entry_type: string;
      entry_json: string;
    }>(
      `SELECT index, entry_type, entry_json FROM sys_journal WHERE id = '${invocation!.id}' ORDER BY index`,
    );
    // Commands only: when a notification (a step's result, a timer firing) lands among them depends on timing.
    const journal = rows
      .filter((r) => r.entry_type.startsWith("Command"))
      .map((r) => JSON.stringify(shapeOf(JSON.parse(r.entry_json))));
    if (process.env.POEKHALI_RECORD_JOURNAL === "1")
      writeFileSync(GOLDEN, `${JSON.stringify(journal, null, 2)}\n`);
    const golden = JSON.parse(readFileSync(GOLDEN, "utf8")) as string[];
    expect(journal).toEqual(golden);
  });
});
