import { describe, expect, it } from "vitest";
import {
  ConfError,
  HITLTask,
  resolveArgs,
  type HITLArgs,
  type HITLResult,
  type Json,
} from "@poekhali/core";
import { AirtableUpsertRecordOperator } from "@poekhali/airtable";
import { TIMEOUT_USERNAME, telegramApproval } from "./telegram_approval.js";

/** The ConfError a conf is refused with. */
function refusal(conf: Record<string, unknown>): ConfError {
  try {
    telegramApproval.parseConf(conf);
  } catch (error) {
    if (error instanceof ConfError) return error;
    throw error;
  }
  throw new Error(`conf ${JSON.stringify(conf)} was accepted`);
}

describe("telegram_approval's conf", () => {
  it("fills every key with its default", () => {
    expect(telegramApproval.parseConf({})).toEqual({
      chat_id: null,
      subject: "Approval requested",
      body: null,
      options: ["Approve", "Reject"],
      multiple: false,
      quorum: 1,
      veto: [],
      assigned_usernames: [],
      remind_after: null,
      escalate_after: null,
      escalate_chat_id: null,
      timeout: "6h",
      defaults: null,
      fail_on_reject: false,
      ask_reason: false,
    });
  });

  it("takes a conf that uses every key", () => {
    const conf = {
      chat_id: "-1001",
      subject: "Ship 1.4?",
      body: "Notes in the wiki",
      options: ["eu", "us", "Reject"],
      multiple: true,
      quorum: 2,
      veto: ["Reject"],
      assigned_usernames: ["@anna", "boris", "vera"],
      remind_after: "10m",
      escalate_after: "1h",
      escalate_chat_id: "-1002",
      timeout: "2h",
      defaults: ["eu", "us"],
      fail_on_reject: true,
      ask_reason: true,
    };
    expect(telegramApproval.parseConf(conf)).toEqual(conf);
  });

  it("refuses a misspelt key by name and suggests the key it resembles", () => {
    const error = refusal({ quorom: 2 });
    expect(error.field).toBe("quorom");
    expect(error.message).toMatch(/did you mean "quorum"\?/);
  });

  const bad: [string, Record<string, unknown>, string, RegExp][] = [
    [
      "a chat id that is not a number",
      { chat_id: "@chat" },
      "chat_id",
      /numeric chat id/,
    ],
    [
      "an empty list of options",
      { options: [] },
      "options",
      /at least one option/,
    ],
    [
      "an option listed twice",
      { options: ["a", "b", "a"] },
      "options.2",
      /lists "a" twice/,
    ],
    [
      "an option too long for a button",
      { options: ["x".repeat(65)] },
      "options.0",
      /at most 64/,
    ],
    [
      'a "," in an option of a multiple choice',
      { options: ["a,b", "c"], multiple: true },
      "options.0",
      /","/,
    ],
    ["a quorum of zero", { quorum: 0 }, "quorum", /positive whole number/],
    ["a quorum that is not whole", { quorum: 1.5 }, "quorum", /whole number/],
    [
      "a quorum above the assigned people",
      { quorum: 3, assigned_usernames: ["anna", "boris"] },
      "quorum",
      /only 2 assigned_usernames/,
    ],
    [
      "a veto that is not an option",
      { veto: ["Maybe"] },
      "veto.0",
      /"Maybe" is not one of the options/,
    ],
    [
      "a default that is not an option",
      { defaults: ["Maybe"] },
      "defaults.0",
      /"Maybe" is not one of the options/,
    ],
    [
      "two defaults without multiple",
      { options: ["a", "b"], defaults: ["a", "b"] },
      "defaults",
      /"multiple" is not set/,
    ],
    [
      "an empty list of defaults",
      { defaults: [] },
      "defaults",
      /at least one option/,
    ],
    [
      "a username Telegram cannot have",
      { assigned_usernames: ["Анна"] },
      "assigned_usernames.0",
      /@username/,
    ],
    [
      "a username listed twice",
      { assigned_usernames: ["anna", "@Anna"] },
      "assigned_usernames.1",
      /twice/,
    ],
    [
      "a timeout not in the house duration format",
      { timeout: "6 hours" },
      "timeout",
      /duration such as "90s"/,
    ],
    [
      "a reminder not in the duration format",
      { remind_after: "soon" },
      "remind_after",
      /duration/,
    ],
    [
      "a reminder after the timeout",
      { remind_after: "7h" },
      "remind_after",
      /not before the timeout/,
    ],
    [
      "an escalation without a chat",
      { escalate_after: "1h" },
      "escalate_after",
      /needs escalate_chat_id/,
    ],
    [
      "an escalation chat without a time",
      { escalate_chat_id: "-1002" },
      "escalate_chat_id",
      /escalate_after is not/,
    ],
    [
      "fail_on_reject without a Reject option",
      { options: ["a", "b"], fail_on_reject: true },
      "fail_on_reject",
      /"Reject" is not one of the options/,
    ],
    [
      "a flag that is not a boolean",
      { ask_reason: "yes" },
      "ask_reason",
      /boolean/,
    ],
    ["an empty subject", { subject: "" }, "subject", /./],
  ];
  for (const [what, conf, field, message] of bad)
    it(`refuses ${what}, naming "${field}"`, () => {
      const error = refusal(conf);
      expect(error.field).toBe(field);
      expect(error.message).toContain(`"${field}"`);
      expect(error.detail).toMatch(message);
    });
});

describe("telegram_approval's tasks", () => {
  const ask = telegramApproval.task("ask");
  const record = telegramApproval.task("record");

  it("asks in Telegram, then records: two tasks, record after ask", () => {
    expect(telegramApproval.tasks.map((t) => t.taskId)).toEqual([
      "ask",
      "record",
    ]);
    expect(ask).toBeInstanceOf(HITLTask);
    expect(ask?.constructor.name).toBe("HITLOperator");
    expect((ask as HITLTask<Json>).channels.map((c) => c.name)).toEqual([
      "telegram",
    ]);
    expect(record).toBeInstanceOf(AirtableUpsertRecordOperator);
    expect(record?.upstreamTaskIds).toEqual(["ask"]);
  });

  /** ask's arguments as a run with this conf resolves them. */
  const askArgs = (conf: Record<string, unknown>): HITLArgs =>
    resolveArgs((ask as HITLTask<Json>).args, {
      outputs: new Map(),
      params: telegramApproval.parseConf(conf),
    });

  it("reads the options, the form and the channel's settings from conf", () => {
    const args = askArgs({
      options: ["eu", "us"],
      multiple: true,
      defaults: ["eu"],
      quorum: 2,
      veto: ["us"],
      assigned_usernames: ["anna", "boris"],
      remind_after: "1m",
      ask_reason: true,
    });
    expect(args.choice).toEqual({
      options: ["eu", "us"],
      defaults: ["eu"],
      multiple: true,
    });
    expect(Object.keys(args.params)).toEqual(["reason"]);
    expect(args.channels).toEqual([
      {
        conn_id: "telegram_default",
        chat_id: null,
        quorum: 2,
        veto: ["us"],
        allowed_usernames: ["anna", "boris"],
        allowed_user_ids: [],
        remind_after: "1m",
        escalate_after: null,
        escalate_chat_id: null,
        language: "en",
      },
    ]);
    expect(askArgs({}).params).toEqual({});
  });

  /** The row record writes for this decision. */
  const row = (decision: HITLResult, conf: Record<string, unknown> = {}) =>
    resolveArgs(record!.args as { fields: unknown }, {
      outputs: new Map([["ask", decision as unknown as Json]]),
      params: telegramApproval.parseConf(conf),
    }).fields;
  const decision = (
    chosenOptions: string[],
    by: string | null,
  ): HITLResult => ({
    chosenOptions,
    paramsInput: {},
    respondedAt: "2026-11-27T19:00:00.123Z",
    respondedByUser: by === null ? null : { id: "1001", name: by },
    timedout: by === null,
  });

  it("writes the decider, hitl:<option> and when it was decided", () => {
    expect(row(decision(["Approve"], "anna"), { chat_id: "-100" })).toEqual({
      chat_id: "-100",
      username: "anna",
      triggered_at: "2026-11-27T19:00:00.123Z",
      event_type: "hitl:Approve",
      reporter_name: process.env.REPORTER_NAME?.trim() || "poekhali",
    });
  });

  it('joins several chosen options with "," in the options\' order', () => {
    expect(
      row(decision(["c", "a"], "anna"), {
        options: ["a", "b", "c"],
        multiple: true,
      }),
    ).toMatchObject({ event_type: "hitl:a,c", chat_id: "" });
  });

  it(`writes the defaults a timeout applied as decided by ${TIMEOUT_USERNAME}`, () => {
    expect(row(decision(["Approve"], null))).toMatchObject({
      username: TIMEOUT_USERNAME,
      event_type: "hitl:Approve",
    });
  });
});
