import type { TaskContext } from "../context.js";
import type { Duration } from "../duration.js";
import type { Json } from "../json.js";
import type {
  DeferContext,
  DeferTarget,
  LastWord,
  ReleaseContext,
  TaskInstanceKey,
} from "../defer-context.js";
import { DeferrableSensor } from "../sensor.js";
import type { BaseTaskOptions } from "../task.js";
import {
  isTemplate,
  isXComArg,
  template,
  type Arg,
  type Args,
} from "../xcom.js";
import { isParamRef } from "../params.js";
import { handlerTarget } from "../handler-target.js";
import {
  AIRFLOW_HITL,
  HITL_WAKE_PURPOSE,
  type HITLClose,
} from "./hitl-object.js";
import { internalKey, verifyCall } from "../internal-key.js";
import {
  hitlObjectKey,
  type HITLParam,
  type HITLRequest,
  type HITLResponse,
  type HITLResult,
  type HITLUser,
} from "./hitl-types.js";
import { checkParamValue } from "./param-schema.js";
import type { HITLChannel } from "./hitl-channel.js";

/** Options of every task that waits for a person (Airflow's `HITLOperator` arguments). */
export interface HITLTaskOptions extends BaseTaskOptions {
  /** The request's headline. */
  readonly subject: Arg<string>;
  /** Markdown below the headline. */
  readonly body?: Arg<string | null>;
  /** Who may answer; anyone when empty. */
  readonly assignedUsers?: readonly HITLUser[];
  /**
   * Form fields the person fills in, by name: their answers are the result's `paramsInput`. They may read conf
   * (a form field only some runs ask for), and are then checked when the task parks.
   */
  readonly params?: Arg<Readonly<Record<string, HITLParam>>>;
  /** How long to wait for an answer; forever when absent. Then the defaults apply, or the task fails. */
  readonly responseTimeout?: Arg<Duration | null>;
  /** More channels to tell the decision (a chat message to edit): each gets an `HITLDecision`. */
  readonly notify?: readonly DeferTarget[];
  /** Other places to put the request to people (a Telegram chat); whichever answers first, there or the API, wins. */
  readonly channels?: readonly HITLChannel[];
}

/** Options of {@link HITLOperator}. */
export interface HITLOperatorOptions extends HITLTaskOptions {
  /** What the person chooses from: non-empty, each once (checked when the task parks if read from conf). */
  readonly options: Arg<readonly string[]>;
  /** Chosen for the person when the response timeout passes; more than one only with `multiple`. */
  readonly defaults?: Arg<readonly string[] | null>;
  /** Whether more than one option may be chosen. */
  readonly multiple?: Arg<boolean>;
}

/** The arguments a HITL task resolves when it parks: its texts, and inputs a subclass renders them from. */
export interface HITLArgs {
  readonly choice: Choice;
  readonly subject: string;
  readonly body: string | null;
  readonly inputs: Record<string, Json>;
  /** The form fields, resolved. */
  readonly params: Readonly<Record<string, HITLParam>>;
  /** Each channel's settings, resolved, in the order of `channels`. */
  readonly channels: Json[];
}

/** The choices and defaults a request offers: checked when the DAG is declared, or when the task parks if they read conf. */
interface Choice {
  readonly options: readonly string[];
  readonly defaults: readonly string[] | null;
  readonly multiple: boolean;
}

/** A choice whose parts may be known only when the task parks (from params or upstream outputs). */
type LateChoice = { readonly [K in keyof Choice]: Arg<Choice[K]> };

/** Whether an argument is resolved only in a run. */
const isLate = (value: unknown): boolean =>
  isXComArg(value) || isParamRef(value) || isTemplate(value);

/** What is wrong with a choice, or null. */
function choiceProblem(choice: Choice): string | null {
  const { multiple } = choice;
  const options: unknown = choice.options;
  const defaults: unknown = choice.defaults;
  if (
    !Array.isArray(options) ||
    options.length === 0 ||
    options.some((o) => typeof o !== "string" || o.length === 0)
  )
    return "options must be a non-empty list of non-empty strings";
  const twice = (options as string[]).find((o, i) => options.indexOf(o) !== i);
  if (twice !== undefined)
    return `option ${JSON.stringify(twice)} is listed twice`;
  if (typeof multiple !== "boolean") return '"multiple" must be true or false';
  if (defaults === null) return null;
  if (!Array.isArray(defaults)) return "defaults must be a list of options";
  const stray = (defaults as unknown[]).find((d) => !options.includes(d));
  if (stray !== undefined)
    return `default ${JSON.stringify(stray)} is not one of the options ${JSON.stringify(options)}`;
  if (defaults.length === 0)
    return "defaults, when given, must name at least one option";
  if (!multiple && defaults.length > 1)
    return `${defaults.length} defaults, but "multiple" is not set`;
  return null;
}

/** What is wrong with a request's form fields, or null. */
function paramsProblem(params: unknown): string | null {
  if (typeof params !== "object" || params === null || Array.isArray(params))
    return "params must be an object of { value, description?, schema? } by name";
  for (const [name, param] of Object.entries(params)) {
    if (typeof param !== "object" || param === null || !("value" in param))
      return `param ${JSON.stringify(name)} must be { value, description?, schema? }`;
    const { schema, value } = param as HITLParam;
    const why = checkParamValue(schema ?? {}, value);
    if (why) return `the value of param ${JSON.stringify(name)} ${why}`;
  }
  return null;
}

/**
 * Common ground of {@link HITLOperator} and `ApprovalOperator`: the task writes its request to the run's `airflow_hitl`
 * object and parks in `awaiting_input`, holding no worker, until a person answers through the REST API (or another
 * channel), the response timeout applies the defaults, or the wait fails.
 */
export abstract class HITLTask<O extends Json> extends DeferrableSensor<
  HITLArgs,
  Json,
  O
> {
  override readonly parkedState = "awaiting_input" as const;
  readonly title = "wait for a person's answer";
  /** The options as given: a list, or where the run reads them from. */
  readonly options: Arg<readonly string[]>;
  readonly defaults: Arg<readonly string[] | null>;
  readonly multiple: Arg<boolean>;
  readonly assignedUsers: readonly HITLUser[];
  /** The form fields as given: an object, or where the run reads them from. */
  readonly params: Arg<Readonly<Record<string, HITLParam>>>;
  readonly notify: readonly DeferTarget[];
  readonly channels: readonly HITLChannel[];

  protected constructor(
    options: HITLTaskOptions,
    choice: LateChoice,
    inputs: Record<string, Arg<Json>> = {},
  ) {
    super(
      {
        taskId: options.taskId,
        ...(options.triggerRule && { triggerRule: options.triggerRule }),
        timeout: options.responseTimeout ?? null,
      },
      {
        choice: template((c: Choice) => c, choice as Args<Choice>),
        subject: options.subject,
        body: options.body ?? null,
        params: options.params ?? {},
        // A template, so that each input is resolved and each task it names becomes an upstream edge.
        inputs: template(
          (values: Record<string, Json>) => values,
          inputs as Args<Record<string, Json>>,
        ),
        channels: template(
          (values: Record<string, Json>) =>
            (options.channels ?? []).map((_, i) => values[i] ?? null),
          Object.fromEntries(
            (options.channels ?? []).map((c, i) => [String(i), c.settings]),
          ) as Args<Record<string, Json>>,
        ),
      },
    );
    const fail = (message: string): never => {
      throw new RangeError(`task "${options.taskId}": ${message}`);
    };
    if (
      !isLate(choice.options) &&
      !isLate(choice.defaults) &&
      !isLate(choice.multiple)
    ) {
      const why = choiceProblem(choice as Choice);
      if (why) fail(why);
    }
    for (const user of options.assignedUsers ?? [])
      if (
        typeof user.id !== "string" ||
        !user.id ||
        typeof user.name !== "string"
      )
        fail(
          `assigned user ${JSON.stringify(user)} must be { id, name } with a non-empty id`,
        );
    if (!isLate(options.params)) {
      const why = paramsProblem(options.params ?? {});
      if (why) fail(why);
    }
    this.options = choice.options;
    this.defaults = choice.defaults;
    this.multiple = choice.multiple;
    this.assignedUsers = (options.assignedUsers ?? []).map((u) => ({
      id: u.id,
      name: u.name,
    }));
    this.params = options.params ?? {};
    this.notify = [...(options.notify ?? [])];
    this.channels = [...(options.channels ?? [])];
  }

  /** The request's subject and body: the arguments as resolved; a subclass may render them from `inputs`. */
  protected render(
    args: HITLArgs,
    _context: TaskContext,
  ): { subject: string; body: string | null } {
    return { subject: args.subject, body: args.body };
  }

  override defer(args: HITLArgs, context: DeferContext): void {
    const why = choiceProblem(args.choice) ?? paramsProblem(args.params);
    if (why) throw new Error(why);
    const { subject, body } = this.render(args, context);
    if (typeof subject !== "string" || subject.length === 0)
      throw new Error("the subject must be a non-empty string");
    if (body !== null && typeof body !== "string")
      throw new Error("the body must be a string or null");
    const key = hitlObjectKey(context.dagId, context.runId);
    const located = this.channels.map((channel, i) => {
      const settings = args.channels[i] ?? null;
      return { channel, settings, ...channel.locate(settings, context) };
    });
    const notify = [...this.notify, ...located.map((l) => l.notify)];
    const request: HITLRequest = {
      task_id: this.taskId,
      try_number: context.tryNumber,
      subject,
      body,
      options: [...args.choice.options],
      defaults: args.choice.defaults ? [...args.choice.defaults] : null,
      multiple: args.choice.multiple,
      params: serializeParams(args.params),
      assigned_users: this.assignedUsers.map((u) => ({ ...u })),
      trigger_id: context.triggerId,
      deadline: context.deadline,
      ...(notify.length > 0 && { notify }),
      ...(located.length > 0 && {
        channels: located.map((l) => ({
          name: l.channel.name,
          open: l.open,
          settings: l.settings,
        })),
      }),
    };
    context.send(
      handlerTarget(AIRFLOW_HITL, "request", key),
      request as unknown as Json,
    );
  }

  /** On the timeout the object answers: the answer it took before, else the defaults, else none (the task fails). */
  /** An answer to the request, from whom it is assigned to. */
  override waitsFor(args: HITLArgs): string {
    const who = this.assignedUsers.map((u) => u.name || u.id);
    // A subject rendered from inputs (an SDK task's function) is known only in `render`: then it is left out.
    const about = args.subject ? ` to «${args.subject}»` : "";
    return `an answer${about} from ${who.length ? who.join(", ") : "anyone who may answer"}`;
  }

  override lastWord(_args: HITLArgs, context: TaskInstanceKey): LastWord {
    const close: HITLClose = { task_id: this.taskId, reason: "timeout" };
    return {
      target: handlerTarget(
        AIRFLOW_HITL,
        "close",
        hitlObjectKey(context.dagId, context.runId),
      ),
      payload: { ...close },
    };
  }

  /** The run stopped waiting (cancelled, failed): later answers are refused. */
  override release(_args: HITLArgs, context: ReleaseContext): void {
    const close: HITLClose = { task_id: this.taskId, reason: context.reason };
    context.send(
      handlerTarget(
        AIRFLOW_HITL,
        "close",
        hitlObjectKey(context.dagId, context.runId),
      ),
      { ...close },
    );
  }

  /** Reached only when no answer and no defaults came in time: the task then fails, as Airflow's does. */
  override onTimeout(_args: HITLArgs, context: TaskContext): Promise<void> {
    context.log.error(
      "Response timed out: nobody answered, and the request has no defaults",
    );
    return Promise.resolve();
  }

  override eventTime(event: Json): string | null {
    return (event as unknown as HITLResponse).responded_at;
  }

  /** The answer as the task passes it on: the SDK's camelCase `HITLResult`. */
  protected result(event: Json): HITLResult {
    const { signature, ...r } = event as unknown as HITLResponse & {
      signature?: string;
    };
    // Only a decision the airflow_hitl object made wakes the task: not one resolved on its awakeable from outside.
    const key = internalKey();
    if (
      key &&
      !verifyCall(
        HITL_WAKE_PURPOSE,
        "",
        { payload: r, signature: signature ?? "" },
        key,
      )
    )
      throw new Error(
        "the answer that woke this task was not made by poekhali's airflow_hitl object (its signature does not verify); nothing was taken",
      );
    return {
      chosenOptions: [...r.chosen_options],
      paramsInput: { ...r.params_input },
      respondedAt: r.responded_at,
      respondedByUser: r.responded_by_user
        ? { id: r.responded_by_user.id, name: r.responded_by_user.name }
        : null,
      timedout: r.timedout,
    };
  }
}

/** The params as Airflow's `Param.serialize()` writes them into a request. */
function serializeParams(
  params: Readonly<Record<string, HITLParam>>,
): Record<string, HITLParam> {
  return Object.fromEntries(
    Object.entries(params).map(([name, p]) => [
      name,
      {
        value: p.value,
        description: p.description ?? null,
        schema: p.schema ?? {},
        source: "task",
      },
    ]),
  );
}

/**
 * A task that asks a person to choose among options (Airflow's `HITLOperator`), and passes their answer on as a
 * `HITLResult`. The choice skips and fails nothing by itself.
 *
 * @example
 * const region = new HITLOperator({ taskId: "choose_region", subject: "Where to deploy?", options: ["eu", "us"] });
 */
export class HITLOperator extends HITLTask<HITLResult> {
  constructor(
    options: HITLOperatorOptions,
    inputs: Record<string, Arg<Json>> = {},
  ) {
    super(
      options,
      {
        options: options.options,
        defaults: options.defaults ?? null,
        multiple: options.multiple ?? false,
      },
      inputs,
    );
  }

  override complete(event: Json): HITLResult {
    return this.result(event);
  }
}
