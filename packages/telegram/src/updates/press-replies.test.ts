import { describe, expect, it } from "vitest";
import { toastText } from "./press-replies.js";

describe("a press's answer (toast)", () => {
  it("is cut to Telegram's 200 characters with …, counting characters as Telegram does", () => {
    expect(toastText("Taken: eu")).toBe("Taken: eu");
    const long = toastText(`Selected: ${"🇪🇺 Europe, ".repeat(40)}`);
    expect([...long]).toHaveLength(200);
    expect(long.endsWith("…")).toBe(true);
    expect(toastText("x".repeat(200))).toBe("x".repeat(200));
  });
});
