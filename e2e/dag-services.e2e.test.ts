import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import * as clients from "@restatedev/restate-sdk-clients";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ImportErrorCollectionResponse,
  XComResponseNative,
} from "../packages/poekhali/src/api/v2/airflow-v2-contract.js";
import { eventually, startApp, type AppUnderTest } from "./harness.js";
import { runState, taskStates, trigger } from "./sandbox.js";
import { v2Get } from "./v2-answer.js";

const ROOT = new URL("..", import.meta.url).pathname;

// A user's deferrable sensor and its event source, in one DAG file: the file exports the object that wakes it.
const DOORBELL = `import * as restate from "@restatedev/restate-sdk";
import { z } from "zod";
import { DeferrableSensor, dag, handlerTarget, task, type Args, type BaseSensorOptions, type DeferContext } from "@poekhali/core";

export const doorbell = restate.object({
  name: "user_doorbell",
  handlers: {
    watch: async (ctx: restate.ObjectContext, triggerId: string) => {
      ctx.set("trigger", triggerId);
    },
    ring: async (ctx: restate.ObjectContext, visitor: string) => {
      const trigger = await ctx.get<string>("trigger");
      if (!trigger) throw new restate.TerminalError("nobody waits at this door", { errorCode: 409 });
      ctx.clear("trigger");
      ctx.resolveAwakeable(trigger, { visitor });
    },
  },
});

class WaitForRing extends DeferrableSensor<{ door: string }, { visitor: string }, string> {
  readonly title = "wait for the doorbell";
  constructor(options: BaseSensorOptions & Args<{ door: string }>) {
    super(options, { door: options.door });
  }
  override defer(args: { door: string }, context: DeferContext): void {
    context.send(handlerTarget(doorbell, "watch", args.door), context.triggerId);
  }
  override complete(event: { visitor: string }): string {
    return event.visitor;
  }
}

export const visitors = dag(
  { id: "user_visitors", schedule: null, params: z.object({ door: z.string() }) },
  ({ params }) => {
    const rang = new WaitForRing({ taskId: "wait_for_ring", door: params.door, timeout: "1h" });
    task({ taskId: "greet" }, ({ who }: { who: string }) => \`hello, \${who}\`, { who: rang.output });
  },
);
`;

// A file whose service would take the name of poekhali's own Telegram router.
const IMPOSTOR = `import * as restate from "@restatedev/restate-sdk";

export const router = restate.object({
  name: "telegram_router",
  handlers: { press: async (ctx: restate.ObjectContext) => { ctx.clear("x"); } },
});
`;

describe("Restate services a DAG file exports", () => {
  // Inside the repository, so that the DAG files' imports resolve from its node_modules.
  const work = mkdtempSync(join(ROOT, "e2e", ".work-"));
  const dags = join(work, "dags");
  let app: AppUnderTest;
  beforeAll(async () => {
    mkdirSync(dags);
    writeFileSync(join(dags, "doorbell.ts"), DOORBELL);
    writeFileSync(join(dags, "impostor.ts"), IMPOSTOR);
    app = await startApp({ POEKHALI_DAGS_FOLDER: dags });
  });
  afterAll(async () => {
    await app?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it("serves them beside the DAGs: a run parks on the user's sensor and the exported object wakes it", async () => {
    const runId = await trigger(
      app,
      { conf: { door: "front" } },
      "user_visitors",
    );
    await eventually("the sensor to defer", async () => {
      const tis = await taskStates(app, runId, "user_visitors");
      return tis.wait_for_ring?.state === "deferred";
    });
    const { ingressPort } = JSON.parse(
      readFileSync(join(app.home, "ports.json"), "utf8"),
    ) as { ingressPort: number };
    const door = clients
      .connect({ url: `http://127.0.0.1:${ingressPort}` })
      .objectClient<{ ring: (ctx: unknown, visitor: string) => Promise<void> }>(
        { name: "user_doorbell" },
        "front",
      );
    // 409 until the sensor's watch has reached the object.
    await eventually("the doorbell to be watched", async () => {
      await door.ring("Маша");
      return true;
    });
    expect(
      await runState(app, runId, ["success", "failed"], "user_visitors"),
    ).toBe("success");
    const tis = await taskStates(app, runId, "user_visitors");
    expect([tis.wait_for_ring?.state, tis.greet?.state]).toEqual([
      "success",
      "success",
    ]);
    const greeting = await v2Get(
      app,
      `/api/v2/dags/user_visitors/dagRuns/${runId}/taskInstances/greet/xcomEntries/return_value`,
      XComResponseNative,
    );
    expect(greeting.value).toBe("hello, Маша");
  });

  it("refuses a service named like one of poekhali's, as an import error, and starts anyway", async () => {
    const { import_errors } = await v2Get(
      app,
      "/api/v2/importErrors",
      ImportErrorCollectionResponse,
    );
    expect(import_errors.map((e) => [e.filename, e.stack_trace])).toEqual([
      [
        join(dags, "impostor.ts"),
        expect.stringContaining(
          `Restate service "telegram_router" exported by impostor.ts has the name of one of poekhali's own services`,
        ),
      ],
    ]);
  });
});
