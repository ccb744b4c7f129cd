import * as restate from "@restatedev/restate-sdk";
import { afterAll, describe, expect, it } from "vitest";
import * as newCore from "@poekhali/core";
import type { DagRunStatus } from "@poekhali/core";
import { serveEndpoint } from "../packages/poekhali/src/worker/serve-endpoint.js";
import { choosePort } from "../packages/poekhali/src/ports.js";
import {
  startTemporaryRestate,
  type TemporaryRestate,
} from "../packages/poekhali/src/restate/temporary-restate.js";
import { eventually, sourceAt } from "./harness.js";
import { testTriggers } from "./test-triggers.js";
import { dagRunClient, taskStatesOf } from "./dag-run-client.js";

// The runner as it was before it was split into files (main at 3b8598b): a run parked by it must finish on the
// runner of this tree, replaying its journal without a mismatch.
const BEFORE_SPLIT = "3b8598b33fdeed08fa34f9e9127fb56befce7514";

type Core = typeof newCore;

/** The same DAG, built with the given version of core: a retried operator, a deferred sensor, pokes, a branch. */
function upgradeDag(core: Core) {
  class Gate extends core.DeferrableSensor<{ key: string }, string> {
    readonly title = "wait at the gate";
    constructor(
      options: newCore.BaseSensorOptions & newCore.Args<{ key: string }>,
    ) {
      super(options, { key: options.key });
    }
    override defer(args: { key: string }, context: newCore.DeferContext) {
      context.send(
        { service: "upgrade_events", handler: "watch", key: args.key },
        context.triggerId,
      );
    }
    override complete(event: string): string {
      return event;
    }
  }
  class TwoPokes extends core.BaseSensor<object, string> {
    readonly title = "poke twice";
    #pokes = 0;
    constructor(options: newCore.PokeSensorOptions) {
      super(options, {});
    }
    override poke() {
      this.#pokes++;
      return Promise.resolve(
        this.#pokes >= 2 ? { done: true, value: "poked" } : { done: false },
      );
    }
  }
  let tries = 0;
  return core.dag({ id: "t_upgrade", schedule: null }, () => {
    const flaky = core.task(
      { taskId: "flaky", retries: 1, retryDelay: "50ms" },
      () => {
        tries++;
        if (tries === 1) throw new Error("the first try fails");
        return "ok";
      },
      {},
    );
    const gate = new Gate({ taskId: "gate", key: "u1" }).after(flaky);
    const poked = new TwoPokes({ taskId: "poked", pokeInterval: "50ms" });
    poked.after(gate);
    const choose = core.branch(
      { taskId: "choose" },
      ({ v, g }: { v: string; g: string }) => (v === "poked" ? g : "right"),
      { v: poked.output, g: gate.output },
    );
    choose.before(core.task({ taskId: "left" }, () => "L", {}));
    choose.before(core.task({ taskId: "right" }, () => "R", {}));
  });
}

describe("upgrading the runner under a parked run", () => {
  const older = sourceAt(BEFORE_SPLIT, ["packages/core/src"]);
  let stack: TemporaryRestate | undefined;
  afterAll(async () => {
    await stack?.stop();
    older.remove();
  });

  it("finishes on this runner a run parked by the runner before the split", async () => {
    const oldCore = await older.load<Core>("packages/core/src/index.ts");
    expect(oldCore.DeferrableSensor).not.toBe(newCore.DeferrableSensor);

    stack = await startTemporaryRestate("poekhali-upgrade-");
    const events = testTriggers("upgrade_events");
    const runtime = { connections: new newCore.StaticConnections([]) };
    const port = await choosePort(0);
    const serve = (core: Core) =>
      serveEndpoint(
        restate.createEndpointHandler({
          services: [events, core.dagWorkflow(upgradeDag(core), runtime)],
        }),
        { port },
      );

    const before = await serve(oldCore);
    await stack.server.register(before.url);
    const { start, status, finished } = dagRunClient(() => stack!.ingress);
    await start("t_upgrade", "r1");
    await eventually(
      "the old runner to park the gate after a retried try",
      async () => {
        const s = await status("t_upgrade", "r1");
        return s !== null && taskStatesOf(s).gate === "deferred";
      },
    );
    await before.stop();

    // The same URL, new code: Restate replays the run's journal on this tree's runner.
    const after = await serve(newCore);
    try {
      await eventually("the new runner to take the event", () =>
        stack!.ingress
          .call(
            { service: "upgrade_events", handler: "fire", key: "u1" },
            "left",
          )
          .then(() => true),
      );
      const s: DagRunStatus = await finished("t_upgrade", "r1");
      expect(taskStatesOf(s)).toEqual({
        flaky: "success",
        gate: "success",
        poked: "success",
        choose: "success",
        left: "success",
        right: "skipped",
      });
      expect(s.task_instances[0]?.try_number).toBe(2);
      const failures = await stack.server.query<{ last_failure: string }>(
        "SELECT last_failure FROM sys_invocation WHERE target_service_name = 't_upgrade' AND last_failure IS NOT NULL",
      );
      expect(failures).toEqual([]);
    } finally {
      await after.stop();
    }
  });
});
