// Airflow's TypeScript SDK `…/hitl` module: declared so that DAG files importing it load; running it is issue 12.
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

/** Options both kinds of request take. */
interface HITLBaseSpec {
  readonly subject: string | ((args: never) => string | Promise<string>);
  readonly body?:
    string | null | ((args: never) => string | null | Promise<string | null>);
  readonly assignedUsers?: readonly HITLUser[];
  readonly params?: Readonly<Record<string, HITLParam>>;
  /** Whole seconds to wait for an answer. */
  readonly responseTimeout?: number;
}

/** The options of `hitl(...)` (Airflow's `HITLOperator`). */
export interface HITLSpec extends HITLBaseSpec {
  readonly options: readonly string[];
  readonly defaults?: readonly string[];
  readonly multiple?: boolean;
}

/** The options of `approval(...)` (Airflow's `ApprovalOperator`). */
export interface ApprovalSpec extends HITLBaseSpec {
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

/** Airflow's `hitl(...)` task: not run by poekhali yet, refused when the DAG loads. */
export function hitl(_spec: HITLSpec): never {
  throw new NotSupportedYetError("hitl(...) (a task waiting for a person)");
}

/** Airflow's `approval(...)` task: not run by poekhali yet, refused when the DAG loads. */
export function approval(_spec: ApprovalSpec): never {
  throw new NotSupportedYetError("approval(...) (a task waiting for a person)");
}
