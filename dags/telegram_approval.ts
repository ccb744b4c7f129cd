import { z } from "zod";
import {
  dag,
  durationParam,
  HITLTask,
  REJECT,
  template,
  toMillis,
  type Arg,
  type DeferContext,
  type HITLArgs,
  type HITLParam,
  type HITLResponse,
  type HITLResult,
  type HITLOperatorOptions,
  type Json,
  type TaskContext,
} from "@poekhali/core";
import { TelegramHook, telegramChannel } from "@poekhali/telegram";
import {
  AirtableUpsertRecordOperator,
  type UpsertRecordArgs,
  type UpsertRecordResult,
} from "@poekhali/airtable";
import { chatIdParam, type TgActionsRow } from "./telegram_go_button.js";

/** What `record` writes as `username` when nobody answered and the response timeout applied the `defaults`. */
export const TIMEOUT_USERNAME = "(timeout)";

/** The form field `ask_reason` adds: the decider's reason, asked as a reply in the chat (or given over the API). */
const REASON: Record<string, HITLParam> = {
  reason: {
    value: null,
    description: "Why this decision",
    // null until someone gives one (an answer over the API may leave it out); a given reason is non-empty text.
    schema: { type: ["string", "null"], minLength: 1, maxLength: 1000 },
  },
};

const option = z
  .string()
  .min(1, "must be a non-empty option")
  .max(64, "must be at most 64 characters (a button's text)");

/** The conf of `telegram_approval`: every key optional; a bad value or a misspelt key is refused naming it. */
const params = z
  .object({
    chat_id: chatIdParam()
      .nullable()
      .default(null)
      .describe("The chat to ask in; TELEGRAM_CHAT_ID's when null"),
    subject: z
      .string()
      .min(1)
      .max(256)
      .default("Approval requested")
      .describe("The request's headline, in bold"),
    body: z
      .string()
      .max(3000)
      .nullable()
      .default(null)
      .describe("Text below the headline"),
    options: z
      .array(option)
      .min(1, "must list at least one option")
      // Telegram shows at most 100 buttons under a message; with `multiple` one of them is the submit button.
      .max(
        99,
        "must list at most 99 options (Telegram's 100 buttons, one kept for submit)",
      )
      .default(["Approve", REJECT])
      .describe("One button each"),
    multiple: z
      .boolean()
      .default(false)
      .describe("Each person ticks several options, then Submit"),
    quorum: z
      .number()
      .int("must be a whole number")
      .positive("must be a positive whole number")
      .default(1)
      .describe("How many distinct people must choose an option for it to win"),
    veto: z
      .array(option)
      .default([])
      .describe("Options that win at the first allowed press"),
    assigned_usernames: z
      .array(
        z
          .string()
          .regex(
            /^@?[A-Za-z0-9_]{1,32}$/,
            "must be a Telegram @username: letters, digits and _",
          ),
      )
      .default([])
      .describe("Who may answer (@ optional); anyone in the chat when empty"),
    // 1 s … 366 d, as every duration of the course DAG.
    remind_after: durationParam()
      .nullable()
      .default(null)
      .describe(
        "After this long undecided, a reply naming who has not answered",
      ),
    escalate_after: durationParam()
      .nullable()
      .default(null)
      .describe("After this long undecided, a message to escalate_chat_id"),
    escalate_chat_id: chatIdParam()
      .nullable()
      .default(null)
      .describe("The chat escalate_after writes to"),
    timeout: durationParam()
      .default("6h")
      .describe("Then the defaults are taken, or the run fails"),
    defaults: z
      .array(option)
      .nullable()
      .default(null)
      .describe("The options a timeout chooses"),
    fail_on_reject: z
      .boolean()
      .default(false)
      .describe("A Reject fails the run instead of skipping record"),
    ask_reason: z
      .boolean()
      .default(false)
      .describe("Ask the decider for a reason, as a reply"),
  })
  .superRefine((conf, ctx) => {
    const problem = (path: (string | number)[], message: string) =>
      ctx.addIssue({ code: "custom", path, message });
    const { options } = conf;
    const twice = (list: readonly string[], key: string) =>
      list.forEach((o, i) => {
        if (list.indexOf(o) !== i) problem([key, i], `lists "${o}" twice`);
      });
    const offered = (list: readonly string[], key: string) =>
      list.forEach((o, i) => {
        if (!options.includes(o))
          problem(
            [key, i],
            `"${o}" is not one of the options ${JSON.stringify(options)}`,
          );
      });
    twice(options, "options");
    if (conf.multiple)
      options.forEach((o, i) => {
        // The row's event_type joins the chosen options with ",": an option holding one could not be read back.
        if (o.includes(","))
          problem(
            ["options", i],
            `"${o}" holds a ",", which separates the chosen options in the row's event_type when "multiple" is set`,
          );
      });
    twice(conf.veto, "veto");
    offered(conf.veto, "veto");
    if (conf.defaults) {
      if (conf.defaults.length === 0)
        problem(["defaults"], "must name at least one option, or be left out");
      twice(conf.defaults, "defaults");
      offered(conf.defaults, "defaults");
      if (conf.defaults.length > 1 && !conf.multiple)
        problem(
          ["defaults"],
          `names ${conf.defaults.length} options, but "multiple" is not set`,
        );
    }
    const people = conf.assigned_usernames.map((u) =>
      u.replace(/^@/, "").toLowerCase(),
    );
    people.forEach((u, i) => {
      if (people.indexOf(u) !== i)
        problem(["assigned_usernames", i], `lists @${u} twice`);
    });
    if (people.length > 0 && conf.quorum > people.length)
      problem(
        ["quorum"],
        `is ${conf.quorum}, but only ${people.length} assigned_usernames may answer`,
      );
    // A duration refused by its own check is reported already: compare only those that read.
    const ms = (d: string): number | null => {
      try {
        return toMillis(d);
      } catch {
        return null;
      }
    };
    const timeoutMs = ms(conf.timeout);
    for (const key of ["remind_after", "escalate_after"] as const) {
      const after = conf[key];
      const afterMs = after === null ? null : ms(after);
      if (timeoutMs !== null && afterMs !== null && afterMs >= timeoutMs)
        problem(
          [key],
          `is ${after}, not before the timeout (${conf.timeout}): it would never come`,
        );
    }
    if (conf.escalate_after !== null && conf.escalate_chat_id === null)
      problem(
        ["escalate_after"],
        "needs escalate_chat_id: the chat to escalate to",
      );
    if (conf.escalate_chat_id !== null && conf.escalate_after === null)
      problem(
        ["escalate_chat_id"],
        "is set, but escalate_after is not: say after how long to escalate",
      );
    if (conf.fail_on_reject && !options.includes(REJECT))
      problem(
        ["fail_on_reject"],
        `is set, but "${REJECT}" is not one of the options ${JSON.stringify(options)}`,
      );
  });

/** Whether a decision rejects: it chose `Reject` (alone, or among others with `multiple`). */
const rejects = (chosen: readonly string[]): boolean => chosen.includes(REJECT);

/**
 * Airflow's `HITLOperator` (options, defaults and `multiple` from conf) with its `ApprovalOperator`'s rule for a
 * `Reject`: the tasks right after it are skipped (its output is then null, as Airflow pushes no XCom), or with
 * `fail_on_reject` it fails, naming who rejected. Named as the operator it is to the API and the UI, which show the
 * class name.
 */
class HITLOperator extends HITLTask<HITLResult | null> {
  constructor(options: HITLOperatorOptions, failOnReject: Arg<boolean>) {
    super(
      options,
      {
        options: options.options,
        defaults: options.defaults ?? null,
        multiple: options.multiple ?? false,
      },
      // An input, so that `complete` reads this run's value.
      { fail_on_reject: failOnReject },
    );
  }

  override complete(event: Json, args: HITLArgs): HITLResult | null {
    const result = this.result(event);
    if (!rejects(result.chosenOptions)) return result;
    if (args.inputs.fail_on_reject === true) {
      const { channel } = event as unknown as HITLResponse;
      throw new Error(
        result.respondedByUser
          ? `Rejected by ${result.respondedByUser.name} (${channel})`
          : "Rejected by the response timeout's defaults",
      );
    }
    return null;
  }

  /** A Reject (the output is null) skips every task right downstream; anything else goes on. */
  override follow(output: HITLResult | null): readonly string[] | null {
    return output === null ? [] : null;
  }
}

/**
 * `record`'s write: the Airtable upsert of `tg_actions`, whose `chat_id` is the conf's, else the chat of the Telegram
 * connection the request was put to (TELEGRAM_CHAT_ID), known only where the task runs.
 */
class RecordDecisionOperator extends AirtableUpsertRecordOperator {
  override defer(args: UpsertRecordArgs, context: DeferContext): void {
    super.defer(withChat(args, context), context);
  }

  override execute(
    args: UpsertRecordArgs,
    context: TaskContext,
  ): Promise<UpsertRecordResult> {
    return super.execute(withChat(args, context), context);
  }
}

function withChat(
  args: UpsertRecordArgs,
  context: TaskContext,
): UpsertRecordArgs {
  if (args.fields.chat_id) return args;
  const hook = TelegramHook.fromConnection(
    context.connections.get("telegram_default"),
  );
  return {
    ...args,
    fields: { ...args.fields, chat_id: hook.chatId(undefined) },
  };
}

const REPORTER_NAME = process.env.REPORTER_NAME?.trim() || "poekhali";

/**
 * A person decides in a Telegram chat: `ask` posts the request with one button per option (quorum, veto, who may
 * answer, reminders and escalation from conf) and waits; `record` writes the decision to `tg_actions`. A Reject
 * skips `record`, or with `fail_on_reject` fails the run.
 */
export const telegramApproval = dag(
  {
    id: "telegram_approval",
    description:
      "Asks a Telegram chat to decide (buttons, quorum, reminders) and writes the decision to Airtable",
    schedule: null,
    tags: ["telegram", "airtable", "hitl"],
    params,
  },
  ({ params }) => {
    const asked = new HITLOperator(
      {
        taskId: "ask",
        subject: params.subject,
        body: params.body,
        options: params.options,
        defaults: params.defaults,
        multiple: params.multiple,
        responseTimeout: params.timeout,
        params: template(({ ask }: { ask: boolean }) => (ask ? REASON : {}), {
          ask: params.ask_reason,
        }),
        channels: [
          telegramChannel({
            chatId: params.chat_id,
            quorum: params.quorum,
            veto: params.veto,
            allowedUsernames: params.assigned_usernames,
            remindAfter: params.remind_after,
            escalateAfter: params.escalate_after,
            escalateChatId: params.escalate_chat_id,
          }),
        ],
      },
      params.fail_on_reject,
    );
    new RecordDecisionOperator({
      taskId: "record",
      fields: template(
        ({
          decision,
          chatId,
          options,
        }: {
          decision: HITLResult | null;
          chatId: string | null;
          options: string[];
        }): TgActionsRow => {
          if (!decision) throw new Error("record runs only after a decision");
          // In the order of the options, whatever order they were ticked in.
          const chosen = options.filter((o) =>
            decision.chosenOptions.includes(o),
          );
          return {
            // Empty: the Telegram connection's chat, filled in where the task runs.
            chat_id: chatId ?? "",
            username: decision.respondedByUser?.name ?? TIMEOUT_USERNAME,
            triggered_at: decision.respondedAt,
            event_type: `hitl:${chosen.join(",")}`,
            reporter_name: REPORTER_NAME,
          };
        },
        {
          decision: asked.output,
          chatId: params.chat_id,
          options: params.options,
        },
      ),
      // A retried write finds the row it wrote: a decision is identified by chat, decider and time.
      fieldsToMergeOn: ["chat_id", "username", "triggered_at"],
    });
  },
);
