import { NotSupportedYetError } from "../errors.js";
import type { JsonValue } from "../task-client.js";

/** A user allowed to respond, as Airflow's auth manager names them. */
export interface HITLUser {
  readonly id: string;
  readonly name: string;
}

/** One form field of a request, as Python's `Param` serializes. */
export interface HITLParam {
  readonly value: JsonValue;
  readonly description?: string;
  readonly schema?: Readonly<Record<string, JsonValue>>;
}

/** A request's text: fixed, or computed from the task's inputs when it parks. */
export type HITLText<TArgs, TText extends string | null = string> =
  TText | ((args: TArgs) => TText | Promise<TText>);

/** Options both kinds of request take. */
interface HITLBaseSpec<
  TSubjectArgs extends object | void,
  TBodyArgs extends object | void,
> {
  readonly subject: HITLText<TSubjectArgs>;
  readonly body?: HITLText<TBodyArgs, string | null>;
  readonly assignedUsers?: readonly HITLUser[];
  readonly params?: Readonly<Record<string, HITLParam>>;
  /** Whole seconds to wait for an answer; forever when unset. */
  readonly responseTimeout?: number;
}

/** The options of `hitl(...)` (Airflow's `HITLOperator`). */
export interface HITLSpec<
  TSubjectArgs extends object | void = void,
  TBodyArgs extends object | void = TSubjectArgs,
> extends HITLBaseSpec<TSubjectArgs, TBodyArgs> {
  readonly options: readonly string[];
  readonly defaults?: readonly string[];
  readonly multiple?: boolean;
}

/** The options of `approval(...)` (Airflow's `ApprovalOperator`). */
export interface ApprovalSpec<
  TSubjectArgs extends object | void = void,
  TBodyArgs extends object | void = TSubjectArgs,
> extends HITLBaseSpec<TSubjectArgs, TBodyArgs> {
  readonly defaults?: "Approve" | "Reject";
  readonly failOnReject?: boolean;
  readonly ignoreDownstreamTriggerRules?: boolean;
}

/** A person's answer, as a HITL task passes it downstream. */
export interface HITLResult {
  readonly chosenOptions: string[];
  readonly paramsInput: Record<string, JsonValue>;
  /** ISO 8601 UTC, to the millisecond. */
  readonly respondedAt: string;
  /** `null` when the defaults were applied on timeout. */
  readonly respondedByUser: HITLUser | null;
  readonly timedout: boolean;
}

// Carries a task's input and output types without a value.
declare const TYPES: unique symbol;

/** What `hitl(...)` and `approval(...)` return, to pass to `dag.task(id, ...)` in place of a handler. */
export interface HITLTask<TArgs extends object | void = void> {
  readonly kind: "choice" | "approval";
  readonly subject: HITLText<never>;
  readonly body: HITLText<never, string | null> | undefined;
  readonly options: readonly string[];
  readonly defaults: readonly string[] | undefined;
  readonly multiple: boolean;
  readonly assignedUsers: readonly HITLUser[];
  readonly params: Readonly<Record<string, HITLParam>>;
  readonly responseTimeout: number | undefined;
  readonly failOnReject: boolean;
  /** Never set; carries the inputs the texts read and the result. */
  readonly [TYPES]?: (args: TArgs) => HITLResult;
}

/** The inputs a task takes when its subject reads `TSubject` and its body reads `TBody`. */
export type HITLTextArgs<TSubject, TBody> = [TSubject, TBody] extends [
  void,
  void,
]
  ? void
  : [TSubject] extends [void]
    ? TBody
    : [TBody] extends [void]
      ? TSubject
      : TSubject & TBody;

// On a global symbol: a DAG file may reach this module under the SDK's name, and the compiler must still know it.
const HITL = Symbol.for("poekhali.airflow.hitl-task");

/** Tells a task made by `hitl(...)`/`approval(...)` (from any copy of this module) apart from a handler. */
export function isHITLTask(value: unknown): value is HITLTask<never> {
  return typeof value === "object" && value !== null && HITL in value;
}

const SHARED = [
  "subject",
  "body",
  "assignedUsers",
  "params",
  "responseTimeout",
];
const HITL_KEYS = new Set([...SHARED, "options", "defaults", "multiple"]);
const APPROVAL_KEYS = new Set([
  ...SHARED,
  "defaults",
  "failOnReject",
  "ignoreDownstreamTriggerRules",
]);

function isPlain(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    [Object.prototype, null].includes(Object.getPrototypeOf(value) as object)
  );
}

function checked(
  factory: "hitl" | "approval",
  spec: unknown,
  keys: ReadonlySet<string>,
): Record<string, unknown> {
  const fail = (message: string): never => {
    throw new TypeError(`${factory}(...) ${message}`);
  };
  if (!isPlain(spec)) fail("takes an options object");
  const given = spec as Record<string, unknown>;
  for (const key of Object.keys(given))
    if (!keys.has(key)) fail(`has an unknown option "${key}"`);
  const { subject, body, responseTimeout, assignedUsers, params } = given;
  if (
    typeof subject !== "function" &&
    (typeof subject !== "string" || !subject)
  )
    fail('needs a "subject": a non-empty string, or a function returning one');
  if (
    body !== undefined &&
    body !== null &&
    typeof body !== "string" &&
    typeof body !== "function"
  )
    fail('option "body" must be a string, or a function returning one');
  if (
    responseTimeout !== undefined &&
    !(Number.isInteger(responseTimeout) && (responseTimeout as number) > 0)
  )
    fail('option "responseTimeout" must be a positive whole number of seconds');
  if (assignedUsers !== undefined && !Array.isArray(assignedUsers))
    fail('option "assignedUsers" must be an array of { id, name }');
  for (const user of (assignedUsers as unknown[] | undefined) ?? [])
    if (
      !isPlain(user) ||
      typeof user.id !== "string" ||
      !user.id ||
      typeof user.name !== "string" ||
      Object.keys(user).some((k) => k !== "id" && k !== "name")
    )
      fail(
        `option "assignedUsers" holds ${JSON.stringify(user)}; each user is { id, name } with a non-empty string id`,
      );
  if (params !== undefined && !isPlain(params))
    fail(
      'option "params" must be an object of { value, description?, schema? } by name',
    );
  for (const [name, param] of Object.entries(
    (params as Record<string, unknown> | undefined) ?? {},
  ))
    if (
      !isPlain(param) ||
      !("value" in param) ||
      Object.keys(param).some(
        (k) => !["value", "description", "schema"].includes(k),
      )
    )
      fail(`param "${name}" must be { value, description?, schema? }`);
  return given;
}

/**
 * A frozen `hitl(...)`/`approval(...)` task of these fields, with `extra` (symbol-keyed additions such as its channels)
 * carried along unseen by the SDK's API.
 */
export function makeHITLTask<TArgs extends object | void>(
  fields: Omit<HITLTask<TArgs>, typeof TYPES>,
  extra: PropertyDescriptorMap = {},
): HITLTask<TArgs> {
  const task = { ...fields };
  Object.defineProperties(task, { ...extra, [HITL]: { value: true } });
  return Object.freeze(task);
}

const make = makeHITLTask;

/**
 * A task that asks a person to choose (Airflow's `HITLOperator`): pass it to `dag.task(id, ...)` in place of a
 * handler. It parks in `awaiting_input` until answered over the REST API; its result is a {@link HITLResult}.
 *
 * @example
 * dag.task("choose_region", hitl({ subject: "Where to deploy?", options: ["eu", "us"] }))();
 */
export function hitl<
  TSubjectArgs extends object | void = void,
  TBodyArgs extends object | void = TSubjectArgs,
>(
  spec: HITLSpec<TSubjectArgs, TBodyArgs>,
): HITLTask<HITLTextArgs<TSubjectArgs, TBodyArgs>> {
  const given = checked("hitl", spec, HITL_KEYS);
  const options = given.options;
  if (
    !Array.isArray(options) ||
    options.length === 0 ||
    options.some((o) => typeof o !== "string" || !o)
  )
    throw new TypeError(
      'hitl(...) needs "options": a non-empty array of non-empty strings',
    );
  const twice = options.find((o, i) => options.indexOf(o) !== i) as unknown;
  if (twice !== undefined)
    throw new TypeError(
      `hitl(...) option "options" lists ${JSON.stringify(twice)} twice`,
    );
  if (given.multiple !== undefined && typeof given.multiple !== "boolean")
    throw new TypeError('hitl(...) option "multiple" must be a boolean');
  const multiple = given.multiple === true;
  const defaults = given.defaults;
  if (defaults !== undefined) {
    if (!Array.isArray(defaults) || defaults.length === 0)
      throw new TypeError(
        'hitl(...) option "defaults" must be a non-empty array of options',
      );
    const stray = defaults.find((d) => !options.includes(d)) as unknown;
    if (stray !== undefined)
      throw new TypeError(
        `hitl(...) option "defaults" holds ${JSON.stringify(stray)}, which is not one of the options ${JSON.stringify(options)}`,
      );
    if (!multiple && defaults.length > 1)
      throw new TypeError(
        `hitl(...) gives ${defaults.length} defaults, but "multiple" is not set`,
      );
  }
  return make({
    kind: "choice",
    subject: spec.subject,
    body: spec.body ?? undefined,
    options: Object.freeze([...(options as string[])]),
    defaults:
      defaults === undefined
        ? undefined
        : Object.freeze([...(defaults as string[])]),
    multiple,
    assignedUsers: Object.freeze([...(spec.assignedUsers ?? [])]),
    params: Object.freeze({ ...(spec.params ?? {}) }),
    responseTimeout: spec.responseTimeout,
    failOnReject: false,
  });
}

/**
 * A task that asks a person to approve or reject (Airflow's `ApprovalOperator`): Reject skips the tasks right after it,
 * or fails it with `failOnReject`.
 *
 * @example
 * dag.task("sign_off", approval({ subject: "Ship it?" }))().before(publish());
 */
export function approval<
  TSubjectArgs extends object | void = void,
  TBodyArgs extends object | void = TSubjectArgs,
>(
  spec: ApprovalSpec<TSubjectArgs, TBodyArgs>,
): HITLTask<HITLTextArgs<TSubjectArgs, TBodyArgs>> {
  const given = checked("approval", spec, APPROVAL_KEYS);
  for (const flag of ["failOnReject", "ignoreDownstreamTriggerRules"])
    if (given[flag] !== undefined && typeof given[flag] !== "boolean")
      throw new TypeError(`approval(...) option "${flag}" must be a boolean`);
  if (given.ignoreDownstreamTriggerRules === true)
    throw new NotSupportedYetError(
      'approval(...) option "ignoreDownstreamTriggerRules: true" (a Reject skipping every task downstream whatever its trigger rule)',
    );
  const defaults = given.defaults;
  if (defaults !== undefined && defaults !== "Approve" && defaults !== "Reject")
    throw new TypeError(
      'approval(...) option "defaults" must be "Approve" or "Reject"',
    );
  return make({
    kind: "approval",
    subject: spec.subject,
    body: spec.body ?? undefined,
    options: Object.freeze(["Approve", "Reject"]),
    defaults: defaults === undefined ? undefined : Object.freeze([defaults]),
    multiple: false,
    assignedUsers: Object.freeze([...(spec.assignedUsers ?? [])]),
    params: Object.freeze({ ...(spec.params ?? {}) }),
    responseTimeout: spec.responseTimeout,
    failOnReject: given.failOnReject === true,
  });
}
