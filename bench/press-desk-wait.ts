// The waiting run of bench:press-desk, the same for both sides: it makes an awakeable, registers it with its side's
// press handler (today's router, one key per button, or the desk's shard), and waits for the press.
import "@poekhali/core";
import * as restate from "@restatedev/restate-sdk";
import {
  ROUTER_NAME,
  buttonKey,
  type ButtonPress,
  type TelegramRouter,
} from "@poekhali/telegram";
import { Desk, deskKey, shardOf } from "./press-desk-object.js";

/** The wait workflow's Restate name. */
export const WAIT_NAME = "bench_press_wait";

/** What a taken press is told, on both sides. */
export const TAKEN_TEXT = "Поехали!";

/** Which press path a run waits on: today's per-button router, or the batched desk. */
export type Side = "router" | "desk";

/** A waiting run's input: its side, and its button's message. */
export interface WaitInput {
  readonly side: Side;
  readonly bot_id: number;
  readonly chat_id: string;
  readonly message_id: number;
  /** The button's ref (`buttonRef` of its nonce). */
  readonly button: string;
  /** How many shards the desk has (the desk side only). */
  readonly shards: number;
}

const Router: TelegramRouter = { name: ROUTER_NAME };

/** N of these wait, then each is woken by its button's press. */
export const pressWait = restate.workflow({
  name: WAIT_NAME,
  description: "Waits for one button press (bench:press-desk)",
  // As a DAG run: suspends 2 s after it parks, kept an hour after it ends.
  options: { inactivityTimeout: 2_000, workflowRetention: 3_600_000 },
  handlers: {
    run: async (
      ctx: restate.WorkflowContext,
      input: WaitInput,
    ): Promise<{ update_id: number }> => {
      const { id, promise } = ctx.awakeable<ButtonPress>();
      if (input.side === "router")
        ctx
          .objectSendClient(
            Router,
            buttonKey(input.bot_id, input.chat_id, input.button),
          )
          .watch({
            message_id: input.message_id,
            trigger_id: id,
            allowed_usernames: null,
            answer_text: TAKEN_TEXT,
          });
      else
        ctx
          .objectSendClient(
            Desk,
            deskKey(
              input.bot_id,
              shardOf(input.chat_id, input.button, input.shards),
            ),
          )
          .watch({
            chat_id: input.chat_id,
            button: input.button,
            message_id: input.message_id,
            trigger_id: id,
            answer_text: TAKEN_TEXT,
          });
      const press = await promise;
      return { update_id: press.update_id };
    },
  },
});
