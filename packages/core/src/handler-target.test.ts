import * as restate from "@restatedev/restate-sdk";
import { describe, expect, it } from "vitest";
import { handlerTarget } from "./handler-target.js";

const doorbell = restate.object({
  name: "doorbell",
  handlers: {
    watch: async (ctx: restate.ObjectContext, triggerId: string) => {
      ctx.set("trigger", triggerId);
      return Promise.resolve();
    },
  },
});
type Doorbell = typeof doorbell;

const visit = restate.workflow({
  name: "visit",
  handlers: {
    run: (ctx: restate.WorkflowContext) => Promise.resolve(ctx.key),
    status: (ctx: restate.WorkflowSharedContext) => Promise.resolve(ctx.key),
  },
});

const pings = restate.service({
  name: "pings",
  handlers: { ping: async (_ctx: restate.Context) => Promise.resolve("pong") },
});

// Type-checked by `npm run typecheck`: each @ts-expect-error must meet a real type error.
describe("handlerTarget", () => {
  it("names a handler of an object, a workflow or a service, and refuses a misspelt one at compile time", () => {
    const Doorbell: Doorbell = { name: "doorbell" };
    expect(handlerTarget(Doorbell, "watch", "front")).toEqual({
      service: "doorbell",
      handler: "watch",
      key: "front",
    });
    expect(handlerTarget(visit, "status", "r1")).toEqual({
      service: "visit",
      handler: "status",
      key: "r1",
    });
    expect(handlerTarget(pings, "ping")).toEqual({
      service: "pings",
      handler: "ping",
    });
    // @ts-expect-error the doorbell has no handler "wacth"
    handlerTarget(Doorbell, "wacth", "front");
    // @ts-expect-error the workflow has no handler "stats"
    handlerTarget(visit, "stats", "r1");
    // @ts-expect-error a virtual object's handler needs its key
    handlerTarget(doorbell, "watch");
    // @ts-expect-error a plain service's handler takes no key
    handlerTarget(pings, "ping", "k");
  });
});
