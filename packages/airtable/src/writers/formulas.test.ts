import { describe, expect, it } from "vitest";
import { formulaMatching, sameValue } from "./formulas.js";

describe("formulas for finding rows already written", () => {
  it("matches text fields and leaves date-times to the comparison after", () => {
    const rows = [
      {
        chat_id: "-1",
        username: "o'neil",
        triggered_at: "2024-01-01T00:00:00.000Z",
      },
    ];
    expect(formulaMatching(rows, ["chat_id", "username", "triggered_at"])).toBe(
      "AND({chat_id}='-1',{username}='o\\'neil')",
    );
  });

  it("reads date-times as instants", () => {
    expect(sameValue("2024-01-01T00:00:00Z", "2024-01-01T00:00:00.000Z")).toBe(
      true,
    );
    expect(sameValue("2024-01-01T00:00:01Z", "2024-01-01T00:00:00.000Z")).toBe(
      false,
    );
  });
});
