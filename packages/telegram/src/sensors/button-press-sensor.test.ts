import {
  StaticConnections,
  taskContext,
  type DeferContext,
  type Json,
} from "@poekhali/core";
import { describe, expect, it } from "vitest";
import {
  ButtonPressSensor,
  type ButtonPressArgs,
} from "./button-press-sensor.js";

const message = { bot_id: 7, chat_id: "-1001", message_id: 42, nonce: "n0nce" };

/** A defer context that records what the sensor sends, as the runner would journal it. */
function deferContext(
  sent: { target: unknown; payload: Json }[],
): DeferContext {
  const base = taskContext(
    { connections: new StaticConnections([]) },
    { dagId: "d", runId: "r", logicalDate: new Date(), params: {} },
    "wait",
    1,
  );
  return {
    ...base,
    triggerId: "trigger-1",
    deadline: "2026-11-26T10:00:00.000Z",
    send: (target, payload) => void sent.push({ target, payload }),
  };
}

describe("ButtonPressSensor.defer", () => {
  const sensor = new ButtonPressSensor({ taskId: "wait", message });

  it("registers with the router of its message, with its nonce, allowed users and answer", () => {
    const sent: { target: unknown; payload: Json }[] = [];
    const args: ButtonPressArgs = {
      message,
      allowedUsernames: ["@anna"],
      allowedUserIds: [5],
      answerText: "Едем",
      hideKeyboard: false,
    };
    sensor.defer(args, deferContext(sent));
    expect(sent).toEqual([
      {
        target: {
          service: "telegram_router",
          handler: "watch",
          key: "7:-1001:42",
        },
        payload: {
          nonce: "n0nce",
          trigger_id: "trigger-1",
          allowed_usernames: ["@anna"],
          allowed_user_ids: [5],
          answer_text: "Едем",
          hide_keyboard: false,
          expires_at: "2026-11-26T10:00:00.000Z",
        },
      },
    ]);
  });

  it("refuses to watch a message outside the chat it was told to watch", () => {
    const sent: { target: unknown; payload: Json }[] = [];
    expect(() =>
      sensor.defer({ message, chatId: "-2002" }, deferContext(sent)),
    ).toThrow("chatId -2002 is not the chat of the watched message (-1001)");
    expect(sent).toEqual([]);
  });
});
