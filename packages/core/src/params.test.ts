import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ConfError } from "./errors.js";
import { MAX_CONF_DEPTH, durationParam, parseConf } from "./params.js";

const schema = z.object({
  text: z.string().default("hi"),
  timeout: durationParam().default("6h"),
});

/** The ConfError `parseConf` throws for this conf. */
function refusal(conf: unknown, s: z.ZodObject = schema): ConfError {
  try {
    parseConf("d", s, conf);
  } catch (error) {
    if (error instanceof ConfError) return error;
    throw error;
  }
  throw new Error(`conf ${JSON.stringify(conf)} was accepted`);
}

/** A conf whose value `a` nests `levels` levels in all. */
function nested(levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = {};
  for (let i = 1; i < levels; i++) value = { a: value };
  return value;
}

describe("parseConf", () => {
  it("refuses a key the params do not declare, suggesting the closest one", () => {
    const error = refusal({ tiemout: "3s" });
    expect(error.field).toBe("tiemout");
    expect(error.message).toContain(
      '"tiemout" is not a param of this DAG (did you mean "timeout"?); its params are text, timeout',
    );
    expect(refusal({ colour: "red" }).message).not.toContain("did you mean");
  });

  it("takes unknown keys when the schema is declared loose", () => {
    const loose = z.looseObject({ text: z.string().default("hi") });
    expect(parseConf("d", loose, { extra: 1 })).toEqual({
      text: "hi",
      extra: 1,
    });
  });

  it("refuses a conf nested deeper than the limit, naming it", () => {
    const s = z.looseObject({});
    expect(() => parseConf("d", s, nested(MAX_CONF_DEPTH))).not.toThrow();
    const error = refusal(nested(5_000), s);
    expect(error.message).toContain(
      `is nested deeper than ${MAX_CONF_DEPTH} levels`,
    );
  });
});

describe("durationParam", () => {
  it("refuses durations outside 1 s … 366 d and ones that are not whole milliseconds", () => {
    for (const [timeout, says] of [
      ["0s", 'must be a duration from 1s to 366d, got "0s"'],
      ["0.0001ms", "not a whole number of milliseconds"],
      ["99999999999d", "longer than the 366 days"],
      ["soon", 'must be a duration such as "90s"'],
    ] as const) {
      const error = refusal({ timeout });
      expect(error.field).toBe("timeout");
      expect(error.message).toContain(says);
    }
    expect(parseConf("d", schema, { timeout: "1s" }).timeout).toBe("1s");
    expect(parseConf("d", schema, { timeout: "366d" }).timeout).toBe("366d");
  });

  it("takes narrower bounds", () => {
    const s = z.object({ t: durationParam({ min: "1m", max: "1h" }) });
    expect(refusal({ t: "30s" }, s).message).toContain("from 1m to 1h");
    expect(refusal({ t: "2h" }, s).message).toContain("from 1m to 1h");
  });
});
