import { describe, expect, it } from "vitest";
import {
  FormulaSyntaxError,
  parseFormula,
  truthy,
  UnknownFormulaField,
} from "./formula.js";
import type { FormulaValue } from "./formula.js";

const cells: Record<string, FormulaValue> = {
  chat_id: "-1001",
  id: 3,
  username: null,
  done: true,
};
const run = (text: string) =>
  truthy(
    parseFormula(text, (name) => name in cells)(
      (name) => cells[name] ?? null,
      "recX",
    ),
  );

describe("parseFormula", () => {
  it("compares text and numbers", () => {
    expect(run("{chat_id} = '-1001'")).toBe(true);
    expect(run('{chat_id} = "-1002"')).toBe(false);
    expect(run("{id} = 3")).toBe(true);
    expect(run("{id} >= 4")).toBe(false);
    expect(run("{chat_id} != 'x'")).toBe(true);
  });

  it("combines with AND, OR, NOT, TRUE() and FALSE()", () => {
    expect(run("AND({id} = 3, OR(FALSE(), {done}))")).toBe(true);
    expect(run("NOT(TRUE())")).toBe(false);
    expect(run("AND()")).toBe(true);
  });

  it("treats a blank cell as empty text and zero", () => {
    expect(run("{username} = ''")).toBe(true);
    expect(run("{username} = BLANK()")).toBe(true);
    expect(run("LEN({chat_id} & 'x') = 6")).toBe(true);
    expect(run("RECORD_ID() = 'recX'")).toBe(true);
  });

  it("rejects malformed formulas and unknown fields", () => {
    expect(() => run("AND({id} = ")).toThrow(FormulaSyntaxError);
    expect(() => run("{id} = 'open")).toThrow(FormulaSyntaxError);
    expect(() => run("NOPE(1)")).toThrow(FormulaSyntaxError);
    expect(() => run("{missing} = 1")).toThrow(UnknownFormulaField);
  });
});
