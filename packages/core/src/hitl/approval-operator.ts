import type { Json } from "../json.js";
import type { Arg } from "../xcom.js";
import { HITLTask, type HITLTaskOptions } from "./hitl-operator.js";
import type { HITLResponse, HITLResult } from "./hitl-types.js";

/** The two options of an approval, as Airflow's UI shows them. */
export const APPROVE = "Approve";
/** See {@link APPROVE}. */
export const REJECT = "Reject";

/** Options of {@link ApprovalOperator}. */
export interface ApprovalOperatorOptions extends HITLTaskOptions {
  /** The answer given for the person when the response timeout passes. */
  readonly defaults?: typeof APPROVE | typeof REJECT;
  /** On Reject, fail this task rather than skip the tasks right after it. */
  readonly failOnReject?: boolean;
}

/**
 * A task that asks a person to approve or reject (Airflow's `ApprovalOperator`). Approve passes the `HITLResult` on;
 * Reject skips the tasks right downstream (the skip travels on by their trigger rules) and, as Airflow pushes no
 * XCom then, outputs null; with `failOnReject`, Reject fails the task instead.
 *
 * @example
 * const signOff = new ApprovalOperator({ taskId: "sign_off", subject: "Ship it?", responseTimeout: "1h", defaults: "Reject" });
 * signOff.before(publish);
 */
export class ApprovalOperator extends HITLTask<HITLResult | null> {
  readonly failOnReject: boolean;

  constructor(
    options: ApprovalOperatorOptions,
    inputs: Record<string, Arg<Json>> = {},
  ) {
    const defaults = options.defaults as string | undefined;
    if (defaults !== undefined && defaults !== APPROVE && defaults !== REJECT)
      throw new RangeError(
        `task "${options.taskId}": the default of an approval must be "${APPROVE}" or "${REJECT}", got ${JSON.stringify(defaults)}`,
      );
    super(
      options,
      {
        options: [APPROVE, REJECT],
        defaults: options.defaults === undefined ? null : [options.defaults],
        multiple: false,
      },
      inputs,
    );
    this.failOnReject = options.failOnReject ?? false;
  }

  override complete(event: Json): HITLResult | null {
    const result = this.result(event);
    if (result.chosenOptions[0] !== REJECT) return result;
    if (this.failOnReject) {
      const by = (event as unknown as HITLResponse).responded_by_user;
      throw new Error(
        `Rejected by ${by ? by.name : "the response timeout default"}`,
      );
    }
    return null;
  }

  /** Approve: every task right downstream goes on; Reject (the output is null): none does. */
  override follow(output: HITLResult | null): readonly string[] | null {
    return output === null ? [] : null;
  }
}
