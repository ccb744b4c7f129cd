import { describe, expect, it } from "vitest";
import {
  durationText,
  fieldPromptText,
  mention,
  placeholderText,
  reminderText,
} from "./prompt-texts.js";

describe("prompt texts", () => {
  it("mentions a person by @username, else by id, with HTML escaped", () => {
    expect(mention({ id: 1, username: "anna", first_name: "Анна" })).toBe(
      "@anna",
    );
    expect(mention({ id: 2, first_name: "<b>Bo</b>" })).toBe(
      '<a href="tg://user?id=2">&lt;b&gt;Bo&lt;/b&gt;</a>',
    );
  });

  it("asks a field with what it takes and its pre-filled value, in the decider's language", () => {
    const prompt = {
      who: "@anna",
      name: "count",
      description: "How many?",
      index: 1,
      count: 2,
      schema: { type: "integer" },
      current: 1,
    };
    expect(fieldPromptText(prompt, "en")).toBe(
      "@anna, <b>count</b> (1/2): How many?\nAnswer: a whole number.\n" +
        "Now: <code>1</code>; reply «-» to keep it.\nReply to this message.",
    );
    expect(
      fieldPromptText(
        {
          ...prompt,
          description: null,
          current: undefined,
          schema: { enum: ["eu", "us"] },
        },
        "ru",
      ),
    ).toBe(
      "@anna, <b>count</b> (1/2)\nОтвет: одно из: eu, us.\nОтветьте на это сообщение.",
    );
    expect([...placeholderText("x".repeat(100), "en")]).toHaveLength(64);
  });

  it("says how long a request has waited in two units at most", () => {
    expect(durationText(3_400, "en")).toBe("3 s");
    expect(durationText(2 * 3_600_000 + 5 * 60_000 + 7_000, "en")).toBe(
      "2 h 5 min",
    );
    expect(durationText(90_000, "ru")).toBe("1 мин 30 с");
    expect(durationText(0, "ru")).toBe("0 с");
  });

  it("reminds the people who have not answered, or says nobody has", () => {
    expect(reminderText({ pending: ["@vera_k"] }, "en")).toBe(
      "⏰ Reminder: @vera_k — waiting for your answer.",
    );
    expect(reminderText({ nobody: true }, "ru")).toBe(
      "⏰ Напоминание: на этот запрос ещё никто не ответил.",
    );
    expect(reminderText({ answered: 2 }, "en")).toBe(
      "⏰ Reminder: 2 answered so far, no decision yet.",
    );
  });
});
