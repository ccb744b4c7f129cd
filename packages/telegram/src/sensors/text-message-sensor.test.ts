import {
  StaticConnections,
  taskContext,
  type DeferContext,
  type DeferTarget,
  type Json,
} from "@poekhali/core";
import { describe, expect, it } from "vitest";
import {
  TextMessageSensor,
  type TextMessageArgs,
} from "./text-message-sensor.js";

const token = "7000001:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
const connections = new StaticConnections([
  {
    connId: "telegram_default",
    connType: "telegram",
    host: "-1005",
    password: token,
    extra: {},
  },
]);

/** Defers a sensor and returns what it sent to its event source. */
function deferred(
  sensor: TextMessageSensor,
  args: TextMessageArgs,
): { target: DeferTarget; payload: Json }[] {
  const sent: { target: DeferTarget; payload: Json }[] = [];
  const base = taskContext(
    { connections },
    { dagId: "d", runId: "r", logicalDate: new Date(), params: {} },
    sensor.taskId,
    1,
  );
  const context: DeferContext = {
    ...base,
    triggerId: "trigger-1",
    deadline: null,
    send: (target, payload) => sent.push({ target, payload }),
  };
  sensor.defer(args, context);
  return sent;
}

describe("TextMessageSensor", () => {
  it("registers a JSON predicate with the messages object of its chat, with its timeout", () => {
    const sensor = new TextMessageSensor({
      taskId: "wait",
      textMatches: /^да\b/i,
      allowedUsernames: ["@anna"],
      timeout: "5m",
    });
    const sent = deferred(sensor, {
      textMatches: /^да\b/i,
      allowedUsernames: ["@anna"],
      timeout: "5m",
    });
    expect(sent).toEqual([
      {
        target: {
          service: "telegram_messages",
          handler: "watch",
          key: "7000001:-1005",
        },
        payload: {
          trigger_id: "trigger-1",
          match: {
            text_matches: "^да\\b",
            text_flags: "i",
            from_usernames: ["@anna"],
          },
          timeout_ms: 300_000,
        },
      },
    ]);
  });

  it("watches the chat of the run's message, for replies to it and messages after it", () => {
    const message = { chat_id: "-1009", message_id: 77 };
    const sensor = new TextMessageSensor({
      taskId: "wait",
      message,
      replyOnly: true,
      textEquals: "+",
    });
    const [sent] = deferred(sensor, {
      message,
      replyOnly: true,
      textEquals: "+",
    });
    expect(sent?.target.key).toBe("7000001:-1009");
    expect(sent?.payload).toEqual({
      trigger_id: "trigger-1",
      match: {
        text_equals: "+",
        reply_to_message_id: 77,
        after_message_id: 77,
      },
      timeout_ms: null,
    });
  });

  it("refuses a regular expression that does not compile when the DAG is built", () => {
    expect(
      () => new TextMessageSensor({ taskId: "wait", textMatches: "(" }),
    ).toThrow(SyntaxError);
  });

  it("refuses replyOnly without the message to reply to", () => {
    expect(
      () => new TextMessageSensor({ taskId: "wait", replyOnly: true }),
    ).toThrow(/replyOnly needs the message/);
  });
});
