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

const message = {
  bot_id: 7,
  chat_id: "-1001",
  message_id: 42,
  button: "b0tt0n",
};

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

  it("registers with the router of its button, with its message, allowed users and answer", () => {
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
          key: "7:-1001:b0tt0n",
        },
        payload: {
          message_id: 42,
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

describe("ButtonPressSensor.release", () => {
  const sensor = new ButtonPressSensor({ taskId: "wait", message });
  const release = (
    reason: "timeout" | "cancelled" | "failed",
    args: ButtonPressArgs = { message },
  ) => {
    const sent: { target: unknown; payload: Json }[] = [];
    sensor.release(args, {
      dagId: "d",
      runId: "r",
      taskId: "wait",
      tryNumber: 1,
      reason,
      send: (target, payload) => void sent.push({ target, payload }),
    });
    return sent;
  };

  it("tells the router of its button that the run was cancelled, so the button goes", () => {
    expect(release("cancelled")).toEqual([
      {
        target: {
          service: "telegram_router",
          handler: "close",
          key: "7:-1001:b0tt0n",
        },
        payload: {
          reason: "cancelled",
          message_id: 42,
          action: "remove_keyboard",
          text: "Время ожидания истекло.",
        },
      },
    ]);
  });

  it("applies the sensor's timeout action only on a timeout", () => {
    const args = { message, onTimeoutAction: "keep" as const };
    expect(release("timeout", args)[0]?.payload).toMatchObject({
      action: "keep",
    });
    expect(release("failed", args)[0]?.payload).toMatchObject({
      action: "remove_keyboard",
    });
  });
});
