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
import { template, type Arg, type Args } from "../xcom.js";
import { handlerTarget } from "../handler-target.js";
import { AIRFLOW_HITL, type HITLClose } from "./hitl-object.js";
import {
  hitlObjectKey,
  type HITLParam,
  type HITLRequest,
  type HITLResponse,
  type HITLResult,
  type HITLUser,
} from "./hitl-types.js";
import { checkParamValue } from "./param-schema.js";

/** Options of every task that waits for a person (Airflow's `HITLOperator` arguments). */
export interface HITLTaskOptions extends BaseTaskOptions {
  /** The request's headline. */
  readonly subject: Arg<string>;
  /** Markdown below the headline. */
  readonly body?: Arg<string | null>;
  /** Who may answer; anyone when empty. */
  readonly assignedUsers?: readonly HITLUser[];
  /** Form fields the person fills in, by name: their answers are the result's `paramsInput`. */
  readonly params?: Readonly<Record<string, HITLParam>>;
  /** How long to wait for an answer; forever when absent. Then the defaults apply, or the task fails. */
  readonly responseTimeout?: Arg<Duration | null>;
  /** More channels to tell the decision (a chat message to edit): each gets an `HITLDecision`. */
  readonly notify?: readonly DeferTarget[];
}

/** Options of {@link HITLOperator}. */
export interface HITLOperatorOptions extends HITLTaskOptions {
  /** What the person chooses from: non-empty, each once. */
  readonly options: readonly string[];
  /** Chosen for the person when the response timeout passes; more than one only with `multiple`. */
  readonly defaults?: readonly string[];
  /** Whether more than one option may be chosen. */
  readonly multiple?: boolean;
}

/** The arguments a HITL task resolves when it parks: its texts, and inputs a subclass renders them from. */
export interface HITLArgs {
  readonly subject: string;
  readonly body: string | null;
  readonly inputs: Record<string, Json>;
}

/** The choices, defaults and form a request offers, checked once when the DAG is declared. */
interface Choice {
  readonly options: readonly string[];
  readonly defaults: readonly string[] | null;
  readonly multiple: boolean;
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
  readonly options: readonly string[];
  readonly defaults: readonly string[] | null;
  readonly multiple: boolean;
  readonly assignedUsers: readonly HITLUser[];
  readonly params: Readonly<Record<string, HITLParam>>;
  readonly notify: readonly DeferTarget[];

  protected constructor(
    options: HITLTaskOptions,
    choice: Choice,
    inputs: Record<string, Arg<Json>> = {},
  ) {
    super(
      {
        taskId: options.taskId,
        ...(options.triggerRule && { triggerRule: options.triggerRule }),
        timeout: options.responseTimeout ?? null,
      },
      {
        subject: options.subject,
        body: options.body ?? null,
        // A template, so that each input is resolved and each task it names becomes an upstream edge.
        inputs: template(
          (values: Record<string, Json>) => values,
          inputs as Args<Record<string, Json>>,
        ),
      },
    );
    const fail = (message: string): never => {
      throw new RangeError(`task "${options.taskId}": ${message}`);
    };
    if (
      choice.options.length === 0 ||
      choice.options.some((o) => typeof o !== "string" || o.length === 0)
    )
      fail("options must be a non-empty list of non-empty strings");
    const twice = choice.options.find(
      (o, i) => choice.options.indexOf(o) !== i,
    );
    if (twice !== undefined)
      fail(`option ${JSON.stringify(twice)} is listed twice`);
    const stray = choice.defaults?.find((d) => !choice.options.includes(d));
    if (stray !== undefined)
      fail(
        `default ${JSON.stringify(stray)} is not one of the options ${JSON.stringify(choice.options)}`,
      );
    if (choice.defaults?.length === 0)
      fail("defaults, when given, must name at least one option");
    if (!choice.multiple && (choice.defaults?.length ?? 0) > 1)
      fail(`${choice.defaults?.length} defaults, but "multiple" is not set`);
    for (const user of options.assignedUsers ?? [])
      if (
        typeof user.id !== "string" ||
        !user.id ||
        typeof user.name !== "string"
      )
        fail(
          `assigned user ${JSON.stringify(user)} must be { id, name } with a non-empty id`,
        );
    for (const [name, param] of Object.entries(options.params ?? {})) {
      const why = checkParamValue(param.schema ?? {}, param.value);
      if (why) fail(`the value of param ${JSON.stringify(name)} ${why}`);
    }
    this.options = [...choice.options];
    this.defaults = choice.defaults ? [...choice.defaults] : null;
    this.multiple = choice.multiple;
    this.assignedUsers = (options.assignedUsers ?? []).map((u) => ({
      id: u.id,
      name: u.name,
    }));
    this.params = { ...(options.params ?? {}) };
    this.notify = [...(options.notify ?? [])];
  }

  /** The request's subject and body: the arguments as resolved; a subclass may render them from `inputs`. */
  protected render(
    args: HITLArgs,
    _context: TaskContext,
  ): { subject: string; body: string | null } {
    return { subject: args.subject, body: args.body };
  }

  override defer(args: HITLArgs, context: DeferContext): void {
    const { subject, body } = this.render(args, context);
    if (typeof subject !== "string" || subject.length === 0)
      throw new Error("the subject must be a non-empty string");
    if (body !== null && typeof body !== "string")
      throw new Error("the body must be a string or null");
    const key = hitlObjectKey(context.dagId, context.runId);
    const request: HITLRequest = {
      task_id: this.taskId,
      try_number: context.tryNumber,
      subject,
      body,
      options: [...this.options],
      defaults: this.defaults ? [...this.defaults] : null,
      multiple: this.multiple,
      params: serializeParams(this.params),
      assigned_users: this.assignedUsers.map((u) => ({ ...u })),
      trigger_id: context.triggerId,
      deadline: context.deadline,
      ...(this.notify.length > 0 && { notify: [...this.notify] }),
    };
    context.send(
      handlerTarget(AIRFLOW_HITL, "request", key),
      request as unknown as Json,
    );
  }

  /** On the timeout the object answers: the answer it took before, else the defaults, else none (the task fails). */
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
    const r = event as unknown as HITLResponse;
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
