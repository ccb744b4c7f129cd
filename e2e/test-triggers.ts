import "@poekhali/core";
import * as restate from "@restatedev/restate-sdk";

/**
 * A stand-in event source for test sensors, one key per event: `watch` keeps a sensor's trigger id and `fire`
 * resolves it with the given value (409 while nobody watches, so a test can retry until the sensor registered).
 */
export function testTriggers(name: string) {
  return restate.object({
    name,
    handlers: {
      watch: (ctx: restate.ObjectContext, triggerId: string) => {
        ctx.set("trigger", triggerId);
        return Promise.resolve();
      },
      fire: async (ctx: restate.ObjectContext, value: unknown) => {
        const trigger = await ctx.get<string>("trigger");
        if (!trigger)
          throw new restate.TerminalError(`nobody watches ${name}/${ctx.key}`, {
            errorCode: 409,
          });
        ctx.resolveAwakeable(trigger, value);
      },
    },
  });
}
