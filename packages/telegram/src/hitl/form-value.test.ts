import { describe, expect, it } from "vitest";
import { fieldValue } from "./form-value.js";

describe("fieldValue", () => {
  it("reads numbers, whole numbers and a decimal comma, and checks the schema's bounds", () => {
    expect(fieldValue(" 3,5 ", { type: "number" }, "ru")).toEqual({
      ok: true,
      value: 3.5,
    });
    expect(fieldValue("1 000", { type: "integer" }, "en")).toEqual({
      ok: true,
      value: 1000,
    });
    expect(fieldValue("2.5", { type: "integer" }, "en")).toEqual({
      ok: false,
      why: "not a whole number",
    });
    expect(fieldValue("много", { type: "number" }, "ru")).toEqual({
      ok: false,
      why: "это не число",
    });
    expect(fieldValue("0", { type: "integer", minimum: 1 }, "en")).toEqual({
      ok: false,
      why: "must be ≥ 1",
    });
  });

  it("reads yes and no in English and Russian", () => {
    for (const yes of ["Yes", "да", "true", "Д."])
      expect(fieldValue(yes, { type: "boolean" }, "en")).toEqual({
        ok: true,
        value: true,
      });
    for (const no of ["no", "Нет", "false"])
      expect(fieldValue(no, { type: "boolean" }, "en")).toEqual({
        ok: true,
        value: false,
      });
    expect(fieldValue("maybe", { type: "boolean" }, "ru")).toEqual({
      ok: false,
      why: "это не «да» и не «нет»",
    });
  });

  it("reads lists as JSON or separated by commas, each item by its schema, and objects as JSON", () => {
    const list = { type: "array", items: { type: "integer" }, maxItems: 3 };
    expect(fieldValue("[1, 2]", list, "en")).toEqual({
      ok: true,
      value: [1, 2],
    });
    expect(fieldValue("1, 2, 3", list, "en")).toEqual({
      ok: true,
      value: [1, 2, 3],
    });
    expect(fieldValue("1, 2, 3, 4", list, "en")).toEqual({
      ok: false,
      why: "must hold at most 3 items",
    });
    expect(fieldValue("1, two", list, "en")).toMatchObject({ ok: false });
    expect(fieldValue('{"a": 1}', { type: "object" }, "en")).toEqual({
      ok: true,
      value: { a: 1 },
    });
    expect(fieldValue("a=1", { type: "object" }, "en")).toEqual({
      ok: false,
      why: "not a JSON object",
    });
  });

  it("takes strings as they are, checked against length, pattern and enum", () => {
    expect(fieldValue("  spaced ", { type: "string" }, "en")).toEqual({
      ok: true,
      value: "  spaced ",
    });
    expect(fieldValue("ab", { type: "string", minLength: 3 }, "en")).toEqual({
      ok: false,
      why: "must be at least 3 characters long",
    });
    expect(fieldValue("x", { enum: ["eu", "us"] }, "en")).toEqual({
      ok: false,
      why: 'must be one of ["eu","us"], got "x"',
    });
  });

  it("tries the most specific type first when a schema allows several", () => {
    const either = { type: ["string", "integer", "null"] };
    expect(fieldValue("42", either, "en")).toEqual({ ok: true, value: 42 });
    expect(fieldValue("null", either, "en")).toEqual({ ok: true, value: null });
    expect(fieldValue("forty", either, "en")).toEqual({
      ok: true,
      value: "forty",
    });
    expect(fieldValue("2", { enum: [1, 2, 3] }, "en")).toEqual({
      ok: true,
      value: 2,
    });
  });
});
