import "@poekhali/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StaticConnections, dag, dagWorkflow } from "@poekhali/core";
import { TelegramEmulator } from "@poekhali/emulators";
import {
  ButtonPressSensor,
  EditMessageOperator,
  SendButtonOperator,
  TelegramHook,
  UpdatePoller,
  pollLease,
  telegramRouter,
  updateRelay,
} from "@poekhali/telegram";
import {
  startTemporaryRestate,
  type TemporaryRestate,
} from "../packages/poekhali/src/restate/temporary-restate.js";
import { dagRunClient, taskStatesOf } from "./dag-run-client.js";
import { eventually, postJson } from "./harness.js";

const AGAIN = [[{ text: "Ещё раз", callback_data: "again" }]];

/** A run that, once its button is pressed, puts a new keyboard on the same message (a second round, say). */
const reoffer = dag({ id: "k_reoffer", schedule: null }, () => {
  const sent = new SendButtonOperator({
    taskId: "send",
    text: "Поехали?",
    buttonText: "Поехали",
  });
  const press = new ButtonPressSensor({
    taskId: "press",
    message: sent.output,
    timeout: "1h",
  });
  new EditMessageOperator({
    taskId: "reoffer",
    message: sent.output,
    text: "Поехали! Ещё раз?",
    keyboard: AGAIN,
  }).after(press);
});

describe("the keyboard of a taken press and the run's own edit of its message", () => {
  let restate: TemporaryRestate;
  let emu: TelegramEmulator;
  let bot: { id: number; token: string };
  let group: number;
  let poller: UpdatePoller;

  beforeAll(async () => {
    emu = await TelegramEmulator.start();
    bot = emu.createBot({ username: "reoffer_bot" });
    group = emu.createChat({ type: "supergroup", title: "reoffer" }).id;
    emu.createUser({ id: 1001, username: "anna", firstName: "Анна" });
    restate = await startTemporaryRestate("poekhali-keyboard-after-press-");
    const hook = new TelegramHook({ token: bot.token, apiRoot: emu.apiRoot });
    const connections = new StaticConnections([
      {
        connId: "telegram_default",
        connType: "telegram",
        host: String(group),
        password: bot.token,
        extra: { api_root: emu.apiRoot },
      },
    ]);
    await restate.deploy([
      telegramRouter({ hookFor: () => hook }),
      updateRelay({ hookFor: () => hook }),
      pollLease,
      dagWorkflow(reoffer, { connections }),
    ]);
    poller = new UpdatePoller({
      hook,
      ingress: restate.ingress,
      workerId: "keyboard-after-press",
      timeoutSeconds: 1,
      allowedUpdates: ["callback_query"],
    });
    poller.start();
  }, 60_000);
  afterAll(async () => {
    await poller?.stop();
    await restate?.stop();
    await emu?.close();
  });

  const { start, finished } = dagRunClient(() => restate.ingress);
  /** The group's messages as a Telegram client shows them. */
  const messages = async () => {
    const res = await fetch(`${emu.apiRoot}/_emulator/chats/${group}/messages`);
    return (
      (await res.json()) as {
        result: {
          message_id: number;
          text?: string;
          reply_markup?: { inline_keyboard: unknown };
        }[];
      }
    ).result;
  };

  it("keeps the keyboard the run put on the message after the press, though Telegram refused the removal at first", async () => {
    // Telegram refuses the removal of the pressed keyboard twice (flood control): it is retried, and lands late.
    for (let i = 0; i < 2; i++)
      await postJson(`${emu.apiRoot}/_emulator/bots/${bot.id}/faults`, {
        method: "editMessageReplyMarkup",
        error_code: 429,
        retry_after: 1,
      });
    await start(reoffer.id, "late_removal");
    const sent = await eventually("the button to be posted", async () =>
      (await messages()).find((m) => m.text === "Поехали?"),
    );
    await postJson(`${emu.apiRoot}/_emulator/press`, {
      chat_id: group,
      message_id: sent.message_id,
      from: { id: 1001 },
    });
    const run = await finished(reoffer.id, "late_removal");
    expect(taskStatesOf(run)).toEqual({
      send: "success",
      press: "success",
      reoffer: "success",
    });
    // Every removal attempt has been answered: the last one went through.
    await eventually("the removal to land", () => {
      const removals = emu.calls(bot.id, "editMessageReplyMarkup");
      return (
        removals.length === 3 &&
        removals.every((c) => c.ok !== undefined) &&
        removals.at(-1)?.ok === true
      );
    });
    const now = (await messages()).find(
      (m) => m.message_id === sent.message_id,
    );
    expect(now?.text).toBe("Поехали! Ещё раз?");
    expect(now?.reply_markup?.inline_keyboard).toEqual(AGAIN);
  }, 90_000);
});
