import { describe, expect, it } from "vitest";
import {
  keyboardProblem,
  requestKeyboard,
  requestText,
  type RequestView,
} from "./hitl-message.js";
import { parseHitlCallbackData } from "./hitl-callback.js";

const view = (over: Partial<RequestView> = {}): RequestView => ({
  subject: "Ship <it>?",
  body: null,
  options: ["Approve", "Reject"],
  multiple: false,
  quorum: 1,
  language: "en",
  ...over,
});
const NONCE = "abcdefghijklmnopqrstuvwx";

describe("a HITL request's message", () => {
  it("wraps short options three to a row and puts a multiple choice's submit button on its own row", () => {
    const { inline_keyboard } = requestKeyboard(
      view({ options: ["a", "b", "c", "d", "e", "f", "g"], multiple: true }),
      NONCE,
      {},
    );
    expect(inline_keyboard.map((row) => row.map((b) => b.text))).toEqual([
      ["a", "b", "c"],
      ["d", "e", "f"],
      ["g"],
      ["Submit"],
    ]);
    // Every button's data is a request's, within Telegram's 64 bytes.
    for (const button of inline_keyboard.flat()) {
      const data = (button as { callback_data: string }).callback_data;
      expect(Buffer.byteLength(data)).toBeLessThanOrEqual(64);
      expect(parseHitlCallbackData(data)?.nonce).toBe(NONCE);
    }
  });

  it("gives long labels a row each", () => {
    const options = ["Deploy to every region at once", "Wait until Monday"];
    const { inline_keyboard } = requestKeyboard(view({ options }), NONCE, {});
    expect(inline_keyboard).toHaveLength(2);
  });

  it("marks toggled options with ✓ only for a sole allowed voter and, past a quorum of one, shows the counts", () => {
    const votes = {
      "1": { user_id: 1, name: "a", choice: ["us"], draft: ["us", "eu"] },
    };
    const multiple = requestKeyboard(
      view({ options: ["eu", "us"], multiple: true, quorum: 2 }),
      NONCE,
      votes,
      { allowed_user_ids: [1] },
    );
    expect(multiple.inline_keyboard.flat().map((b) => b.text)).toEqual([
      "✓ eu · 0",
      "✓ us · 1",
      "Submit",
    ]);
    expect(requestText(view({ options: ["eu", "us"], quorum: 2 }), votes)).toBe(
      "<b>Ship &lt;it&gt;?</b>\n\nVotes (2 needed): eu — 0 · us — 1",
    );
  });

  it("shows no ✓ on a keyboard several people share, so one never sees another's toggles", () => {
    const votes = {
      "1": { user_id: 1, name: "a", choice: null, draft: ["eu"] },
      "2": { user_id: 2, name: "b", choice: null, draft: [] },
    };
    const texts = (allowed: Parameters<typeof requestKeyboard>[3]) =>
      requestKeyboard(
        view({ options: ["eu", "us"], multiple: true }),
        NONCE,
        votes,
        allowed,
      )
        .inline_keyboard.flat()
        .map((b) => b.text);
    expect(texts({})).toEqual(["eu", "us", "Submit"]);
    expect(texts({ allowed_usernames: ["a", "b"] })).toEqual([
      "eu",
      "us",
      "Submit",
    ]);
    expect(texts({ allowed_usernames: ["@a"] })).toEqual([
      "✓ eu",
      "us",
      "Submit",
    ]);
  });

  it("cuts the tally line of 99 options of 64 characters to fit Telegram's 4096, subject still shown", () => {
    const options = Array.from(
      { length: 99 },
      (_, i) => `${String(i).padStart(2, "0")}${"x".repeat(62)}`,
    );
    const text = requestText(
      view({
        subject: "S".repeat(5000),
        body: "b".repeat(5000),
        options,
        quorum: 3,
      }),
      {},
    );
    const shown = text.replace(/<\/?b>/g, "").replace(/&lt;|&gt;/g, "<");
    expect([...shown].length).toBeLessThanOrEqual(4096);
    expect(shown.startsWith("SSS")).toBe(true);
    expect(shown).toContain("Votes (3 needed): 00x");
  });

  it("refuses more options than Telegram's 100 buttons, and cuts a body past 4096 characters", () => {
    const many = Array.from({ length: 100 }, (_, i) => `o${i}`);
    expect(keyboardProblem(view({ options: many }))).toBeNull();
    expect(keyboardProblem(view({ options: many, multiple: true }))).toMatch(
      /101 buttons, more than Telegram's 100/,
    );
    const text = requestText(view({ body: "x".repeat(5000) }), {});
    expect(
      text.replace(/<\/?b>/g, "").replace(/&lt;|&gt;/g, "<").length,
    ).toBeLessThanOrEqual(4096);
    expect(text.endsWith("…")).toBe(true);
  });
});
