import { describe, expect, it } from "vitest";
import type { MessageEvent } from "./message-event.js";
import { matchesMessage, matchRegExp } from "./message-match.js";

const event = (patch: Partial<MessageEvent> = {}): MessageEvent => ({
  update_id: 1,
  bot_id: 7,
  chat_id: "-1001",
  message_id: 50,
  from: { id: 1001, username: "anna", first_name: "Анна" },
  text: "Да, поехали",
  reply_to_message_id: 40,
  received_at: "2025-01-01T00:00:00.000Z",
  ...patch,
});

describe("matchesMessage", () => {
  it("matches any text message when no condition is given, and never one without text", () => {
    expect(matchesMessage({}, event())).toBe(true);
    expect(matchesMessage({}, event({ text: null }))).toBe(false);
  });

  it("compares the whole text exactly", () => {
    expect(matchesMessage({ text_equals: "Да, поехали" }, event())).toBe(true);
    expect(matchesMessage({ text_equals: "да" }, event())).toBe(false);
  });

  it("tests the text against a regular expression with its flags", () => {
    expect(matchesMessage({ text_matches: "^да\\b" }, event())).toBe(false);
    expect(
      matchesMessage({ text_matches: "^да", text_flags: "i" }, event()),
    ).toBe(true);
  });

  it("drops the g and y flags, so one match object answers the same every time", () => {
    const match = { text_matches: "да", text_flags: "giy" };
    expect(matchRegExp(match)?.flags).toBe("i");
    expect([1, 2, 3].map(() => matchesMessage(match, event()))).toEqual([
      true,
      true,
      true,
    ]);
  });

  it("takes only replies to the given message, and only messages after the given one", () => {
    expect(matchesMessage({ reply_to_message_id: 40 }, event())).toBe(true);
    expect(matchesMessage({ reply_to_message_id: 41 }, event())).toBe(false);
    expect(
      matchesMessage(
        { reply_to_message_id: 40 },
        event({ reply_to_message_id: null }),
      ),
    ).toBe(false);
    expect(matchesMessage({ after_message_id: 49 }, event())).toBe(true);
    expect(matchesMessage({ after_message_id: 50 }, event())).toBe(false);
  });

  it("takes only the given senders, by id or by @username in any case", () => {
    expect(matchesMessage({ from_user_ids: [1001] }, event())).toBe(true);
    expect(matchesMessage({ from_user_ids: [1002] }, event())).toBe(false);
    expect(matchesMessage({ from_usernames: ["@Anna"] }, event())).toBe(true);
    expect(matchesMessage({ from_usernames: ["vera_k"] }, event())).toBe(false);
    expect(
      matchesMessage(
        { from_usernames: ["anna"] },
        event({ from: { id: 1002, first_name: "Борис" } }),
      ),
    ).toBe(false);
  });

  it("needs every condition given to hold", () => {
    const match = {
      text_matches: "поехали",
      reply_to_message_id: 40,
      from_usernames: ["vera_k"],
    };
    expect(matchesMessage(match, event())).toBe(false);
    expect(
      matchesMessage(
        match,
        event({ from: { id: 1003, username: "vera_k", first_name: "Вера" } }),
      ),
    ).toBe(true);
  });

  it("names a regular expression that does not compile", () => {
    expect(() => matchRegExp({ text_matches: "(" })).toThrow(SyntaxError);
  });
});
