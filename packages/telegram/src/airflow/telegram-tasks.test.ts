import { resolveArgs, type TaskContext } from "@poekhali/core";
import {
  Dag,
  compileAirflowDag,
  param,
  type TaskRef,
} from "@poekhali/core/airflow";
import type { TelegramEmulator } from "@poekhali/emulators";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { chatMessages, operatorFixture } from "../../test/operator-fixture.js";
import { SendButtonOperator } from "../operators/send-button-operator.js";
import { ButtonPressSensor } from "../sensors/button-press-sensor.js";
import type { ButtonPress, SentButton } from "../updates/press.js";
import { sendButton, waitForButtonPress } from "./telegram-tasks.js";

let emu: TelegramEmulator;
let group: string;
let context: TaskContext;

beforeEach(async () => {
  ({ emu, group, context } = await operatorFixture("send_button"));
});

afterEach(async () => {
  await emu.close();
});

describe("the Telegram operators as SDK tasks", () => {
  it("compiles to SendButtonOperator and ButtonPressSensor, which post the param's text with its button", async () => {
    const sdk = new Dag("sdk_button", {
      params: { text: "Готовы?", timeout: "90s" },
    });
    const sent = sdk.task("send_button", sendButton(), { retries: 2 })({
      text: param<string>("text"),
      buttonText: "Поехали",
    });
    const press: TaskRef<ButtonPress> = sdk.task(
      "wait_for_press",
      waitForButtonPress(),
    )({ message: sent, timeout: param<string>("timeout"), softFail: true });
    expect(press.taskId).toBe("wait_for_press");

    const { dag, warnings } = compileAirflowDag(sdk);
    expect(warnings).toEqual([]);
    const [send, wait] = dag.tasks;
    expect(send).toBeInstanceOf(SendButtonOperator);
    expect((send as SendButtonOperator).retries).toBe(2);
    expect(wait).toBeInstanceOf(ButtonPressSensor);
    expect(wait?.upstreamTaskIds).toEqual(["send_button"]);

    const params = dag.parseConf({ text: "Едем?" });
    const args = resolveArgs(send!.args, { outputs: new Map(), params });
    const out: SentButton = await (send as SendButtonOperator).execute(
      args as never,
      context,
    );
    expect(out.chat_id).toBe(group);
    const [message] = await chatMessages(emu, group);
    expect(message).toMatchObject({
      message_id: out.message_id,
      text: "Едем?",
      reply_markup: { inline_keyboard: [[{ text: "Поехали" }]] },
    });
  });

  // Type-checked by `npm run typecheck`: each @ts-expect-error must meet a real type error.
  it("types the inputs as the operators' arguments", () => {
    const sdk = new Dag("sdk_button_types");
    const count = sdk.task("count", () => 3)();
    // @ts-expect-error the text is a string, not a number
    sdk.task("bad_text", sendButton())({ text: 1, buttonText: "Поехали" });
    // @ts-expect-error the sensor watches a SentButton, not a number
    sdk.task("bad_message", waitForButtonPress())({ message: count });
    const sent = { bot_id: 1, chat_id: "1", message_id: 1, button: "b" };
    sdk.task(
      "bad_timeout",
      waitForButtonPress(),
    )({
      message: sent,
      // @ts-expect-error a timeout is a duration, not a boolean
      timeout: true,
    });
    expect(sdk.taskIds).toHaveLength(4);
  });
});
