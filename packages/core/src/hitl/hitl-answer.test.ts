import { describe, expect, it } from "vitest";
import { checkAnswer, defaultAnswer } from "./hitl-answer.js";
import type { HITLEntry, HITLRequest } from "./hitl-types.js";
import { checkParamValue } from "./param-schema.js";

const NOW = "2026-11-27T10:00:00.000Z";
const admin = { id: "admin", name: "admin" };

function entry(request: Partial<HITLRequest> = {}): HITLEntry {
  return {
    request: {
      task_id: "choose",
      try_number: 1,
      subject: "Where to?",
      body: null,
      options: ["eu", "us", "asia"],
      defaults: null,
      multiple: false,
      params: {},
      assigned_users: [],
      trigger_id: "sign_1",
      deadline: null,
      ...request,
    },
    created_at: NOW,
    response: null,
    closed: null,
  };
}

const answer = (
  chosen: string[],
  params_input?: Record<string, string | number>,
) => ({
  task_id: "choose",
  chosen_options: chosen,
  ...(params_input && { params_input }),
  user: admin,
  channel: "api",
});

describe("checkAnswer", () => {
  it("records a valid answer with who gave it and when", () => {
    expect(checkAnswer(entry(), answer(["eu"]), NOW)).toEqual({
      ok: true,
      response: {
        chosen_options: ["eu"],
        params_input: {},
        responded_at: NOW,
        responded_by_user: admin,
        timedout: false,
        channel: "api",
      },
    });
  });

  it("refuses an option not offered with a 422 naming it", () => {
    const result = checkAnswer(entry(), answer(["mars"]), NOW);
    expect(result).toMatchObject({
      ok: false,
      status: 422,
      detail: [
        {
          loc: ["body", "chosen_options", 0],
          type: "value_error",
          input: "mars",
        },
      ],
    });
    expect(JSON.stringify(result)).toContain('\\"mars\\" is not one of');
  });

  it("refuses more than one option unless the request is multiple, and takes them when it is", () => {
    expect(checkAnswer(entry(), answer(["eu", "us"]), NOW)).toMatchObject({
      ok: false,
      status: 422,
      detail: [{ loc: ["body", "chosen_options"], input: ["eu", "us"] }],
    });
    expect(
      checkAnswer(entry({ multiple: true }), answer(["eu", "us"]), NOW),
    ).toMatchObject({ ok: true, response: { chosen_options: ["eu", "us"] } });
    expect(
      checkAnswer(entry({ multiple: true }), answer(["eu", "eu"]), NOW),
    ).toMatchObject({ ok: false, status: 422 });
  });

  it("refuses an empty choice as pydantic's min_length does", () => {
    expect(checkAnswer(entry(), answer([]), NOW)).toMatchObject({
      ok: false,
      status: 422,
      detail: [{ type: "too_short" }],
    });
  });

  it("answers 409 when answered already, or no longer waiting", () => {
    const first = checkAnswer(entry(), answer(["eu"]), NOW);
    if (!first.ok) throw new Error("expected the first answer to count");
    const answered = { ...entry(), response: first.response };
    expect(checkAnswer(answered, answer(["us"]), NOW)).toMatchObject({
      ok: false,
      status: 409,
    });
    expect(
      checkAnswer({ ...entry(), closed: "cancelled" }, answer(["us"]), NOW),
    ).toMatchObject({ ok: false, status: 409 });
    expect(
      checkAnswer(
        entry({ deadline: "2026-11-27T09:59:59.999Z" }),
        answer(["us"]),
        NOW,
      ),
    ).toMatchObject({ ok: false, status: 409 });
  });

  it("answers 403 to a user not assigned, naming them as Airflow does", () => {
    const assigned = entry({ assigned_users: [{ id: "ann", name: "ann" }] });
    expect(checkAnswer(assigned, answer(["eu"]), NOW)).toEqual({
      ok: false,
      status: 403,
      detail: "User=admin (id=admin) is not a respondent for the task.",
    });
  });

  it("checks form fields against their schemas, refuses unknown ones, and fills those left out", () => {
    const form = entry({
      params: {
        reason: { value: "", schema: { type: "string", minLength: 3 } },
        count: { value: 1, schema: { type: "integer", minimum: 1 } },
      },
    });
    expect(
      checkAnswer(form, answer(["eu"], { count: 0, colour: "red" }), NOW),
    ).toMatchObject({
      ok: false,
      status: 422,
      detail: [
        {
          loc: ["body", "params_input", "count"],
          msg: 'Value error, param "count" must be ≥ 1',
        },
        { loc: ["body", "params_input", "colour"] },
      ],
    });
    expect(
      checkAnswer(form, answer(["eu"], { reason: "it is closer" }), NOW),
    ).toMatchObject({
      ok: true,
      response: { params_input: { reason: "it is closer", count: 1 } },
    });
  });
});

describe("defaultAnswer", () => {
  it("applies the defaults and the params' values on timeout, answered by nobody", () => {
    const request = entry({
      defaults: ["us"],
      params: { reason: { value: "none given" } },
    }).request;
    expect(defaultAnswer(request, NOW)).toEqual({
      ok: true,
      response: {
        chosen_options: ["us"],
        params_input: { reason: "none given" },
        responded_at: NOW,
        responded_by_user: null,
        timedout: true,
        channel: "timeout",
      },
    });
    expect(defaultAnswer(entry().request, NOW)).toBeNull();
  });
});

describe("checkParamValue", () => {
  it("checks the keywords Airflow's form renders", () => {
    expect(checkParamValue({ type: "string" }, 3)).toMatch(/type string/);
    expect(checkParamValue({ type: ["string", "null"] }, null)).toBeNull();
    expect(checkParamValue({ enum: ["a", "b"] }, "c")).toMatch(/one of/);
    expect(checkParamValue({ maximum: 5 }, 6)).toBe("must be ≤ 5");
    expect(checkParamValue({ maxLength: 2 }, "abc")).toMatch(/at most 2/);
    expect(checkParamValue({ pattern: "^[a-z]+$" }, "A")).toMatch(/pattern/);
    expect(checkParamValue({ format: "date" }, "2026-13-40")).toMatch(/date/);
    expect(
      checkParamValue({ type: "array", items: { type: "integer" } }, [1, "x"]),
    ).toMatch(/item 1 must be of type integer/);
    expect(checkParamValue({}, { anything: [1] })).toBeNull();
  });
});
