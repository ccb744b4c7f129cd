import "@poekhali/core";
import * as restate from "@restatedev/restate-sdk";
import {
  WRITER_NAME,
  type FindRequest,
  type FindResult,
} from "../writers/writer-protocol.js";
import type { AirtableWriter } from "../writers/airtable-writer.js";

// A typed stand-in for the writer's definition: the call below is checked against the writer's handlers.
const Writer: AirtableWriter = { name: WRITER_NAME };

/** The record watch's Restate name. */
export const RECORD_WATCH_NAME = "airtable_record_watch";

/** What a {@link AirtableRecordSensor} asks the watch to do. */
export interface RecordWatch {
  readonly base_id: string;
  readonly table: string;
  readonly formula: string;
  /** The sensor's awakeable, resolved with a {@link FindResult} once a record matches. */
  readonly trigger_id: string;
  readonly poke_interval_ms: number;
  /** Stop polling after this long (the sensor's timeout); no limit when null. */
  readonly timeout_ms: number | null;
}

/**
 * Polls a base for records matching a formula, with durable sleeps between looks (so a long wait holds no worker),
 * through the base's writer (so polls share its request budget), and wakes the sensor when one matches.
 *
 * @example
 * createEndpointHandler({ services: [airtableWriter({ hookFor }), airtableRecordWatch()] });
 */
export function airtableRecordWatch() {
  return restate.service({
    name: RECORD_WATCH_NAME,
    description:
      "Polls an Airtable base until a record matches a formula, then wakes the waiting sensor",
    handlers: {
      // Only sensors start a watch: not reachable from Restate's ingress.
      watch: restate.handlers.handler(
        { ingressPrivate: true },
        async (ctx: restate.Context, watch: RecordWatch): Promise<void> => {
          const started = await ctx.date.now();
          for (let poke = 1; ; poke++) {
            const reply = ctx.awakeable<FindResult>();
            const find: FindRequest = {
              kind: "find",
              trigger_id: reply.id,
              table: watch.table,
              formula: watch.formula,
            };
            ctx.objectSendClient(Writer, watch.base_id).enqueue(find);
            let found: FindResult;
            try {
              found = await reply.promise;
            } catch (error) {
              // The base refused the look-up (a bad formula, no access): the sensor fails with the reason.
              if (!(error instanceof restate.TerminalError)) throw error;
              ctx.rejectAwakeable(watch.trigger_id, error.message);
              return;
            }
            if (found.records.length > 0)
              return ctx.resolveAwakeable(watch.trigger_id, found);
            const now = await ctx.date.now();
            if (
              watch.timeout_ms !== null &&
              now - started + watch.poke_interval_ms > watch.timeout_ms
            )
              return;
            await ctx.sleep(
              watch.poke_interval_ms,
              `wait before look ${poke + 1}`,
            );
          }
        },
      ),
    },
  });
}

/** The record watch's Restate definition type. */
export type AirtableRecordWatch = ReturnType<typeof airtableRecordWatch>;
