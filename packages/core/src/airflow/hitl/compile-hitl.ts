import type { TaskContext as CoreTaskContext } from "../../context.js";
import type { Json } from "../../json.js";
import { ApprovalOperator as CoreApproval } from "../../hitl/approval-operator.js";
import {
  HITLOperator as CoreHITL,
  type HITLArgs,
} from "../../hitl/hitl-operator.js";
import type { HITLTaskOptions } from "../../hitl/hitl-operator.js";
import type { TriggerRule } from "../../trigger-rule.js";
import type { Arg } from "../../xcom.js";
import { RunTaskClient } from "../task-client.js";
import { runInTaskScope } from "../task-scope.js";
import type { HITLTask, HITLText } from "./spec.js";
import { hitlChannelsOf } from "./hitl-channels.js";

/** Renders a request's text from the task's inputs, inside the SDK's task scope so that `getContext()` works. */
function renderText(
  text: HITLText<never, string | null> | undefined,
  inputs: Record<string, Json>,
  context: CoreTaskContext,
  prefix: string,
): unknown {
  if (typeof text !== "function") return text ?? null;
  const own = Object.fromEntries(
    Object.entries(inputs).filter(([key]) => !key.startsWith(prefix)),
  );
  const upstream = new Map(
    Object.entries(inputs)
      .filter(([key]) => key.startsWith(prefix))
      .map(([key, value]) => [key.slice(prefix.length), value]),
  );
  const client = new RunTaskClient({
    dagId: context.dagId,
    runId: context.runId,
    taskId: context.taskId,
    upstreamOutputs: upstream,
    connections: context.connections,
    ...(context.xcomStore && { xcomStore: context.xcomStore }),
    env: process.env,
  });
  const ctx = {
    dagId: context.dagId,
    taskId: context.taskId,
    runId: context.runId,
    tryNumber: context.tryNumber,
    mapIndex: -1,
    signal: context.signal,
    logicalDate: context.logicalDate,
    params: context.params,
  };
  const value: unknown = runInTaskScope({ ctx, client }, () =>
    (text as (args: object) => unknown)(own),
  );
  // The request is written as the task parks, a step that cannot wait: a text has to be ready at once.
  if (value instanceof Promise)
    throw new Error(
      "a subject or body function returned a Promise; poekhali renders a request's texts synchronously, so return the string itself",
    );
  return value;
}

/**
 * The poekhali task a `hitl(...)`/`approval(...)` task of an SDK DAG compiles to: an `HITLOperator` or
 * `ApprovalOperator` whose subject and body functions read the task's named inputs (`prefix`ed ones are order-only
 * upstream outputs, there for `getClient().getXCom`).
 */
export function compileHitlTask(
  taskId: string,
  spec: HITLTask<never>,
  inputs: Record<string, Arg<Json>>,
  prefix: string,
  triggerRule?: TriggerRule,
): CoreHITL | CoreApproval {
  const options: HITLTaskOptions = {
    taskId,
    ...(triggerRule && { triggerRule }),
    // The texts are rendered in `render`; these stand in until then.
    subject: typeof spec.subject === "string" ? spec.subject : "",
    body: typeof spec.body === "string" ? spec.body : null,
    assignedUsers: spec.assignedUsers,
    params: spec.params,
    // Where else the request is put (a Telegram chat), when a provider wrapped the task: `withHITLChannels`.
    channels: hitlChannelsOf(spec),
    ...(spec.responseTimeout !== undefined && {
      responseTimeout: `${spec.responseTimeout}s`,
    }),
  };
  const render = (args: HITLArgs, context: CoreTaskContext) => ({
    subject: renderText(spec.subject, args.inputs, context, prefix) as string,
    body: renderText(spec.body, args.inputs, context, prefix) as string | null,
  });
  if (spec.kind === "approval") {
    const defaults = spec.defaults?.[0] as "Approve" | "Reject" | undefined;
    // Named as Airflow names the operator: the REST API shows the class name as the task's operator.
    class ApprovalOperator extends CoreApproval {
      protected override render(args: HITLArgs, context: CoreTaskContext) {
        return render(args, context);
      }
    }
    return new ApprovalOperator(
      {
        ...options,
        ...(defaults && { defaults }),
        failOnReject: spec.failOnReject,
      },
      inputs,
    );
  }
  class HITLOperator extends CoreHITL {
    protected override render(args: HITLArgs, context: CoreTaskContext) {
      return render(args, context);
    }
  }
  return new HITLOperator(
    {
      ...options,
      options: spec.options,
      ...(spec.defaults && { defaults: spec.defaults }),
      multiple: spec.multiple,
    },
    inputs,
  );
}
