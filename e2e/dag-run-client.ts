import {
  handlerTarget,
  type DagRunStatus,
  type DagWorkflow,
  type RestateIngress,
} from "@poekhali/core";
import { eventually } from "./harness.js";

// A typed stand-in for a DAG's workflow definition: every DAG's has the handlers of `dagWorkflow`.
const workflowOf = (dagId: string): DagWorkflow => ({ name: dagId });

/** Starts DAG runs and reads their status through Restate's ingress, as the e2e tests that skip the REST API do. */
export function dagRunClient(ingress: () => RestateIngress) {
  const status = (dagId: string, runId: string) =>
    ingress().call<DagRunStatus | null>(
      handlerTarget(workflowOf(dagId), "status", runId),
    );
  return {
    /** Starts a run; resolves once Restate accepted it. */
    start: (dagId: string, runId: string, conf: Record<string, unknown> = {}) =>
      ingress().send(handlerTarget(workflowOf(dagId), "run", runId), {
        conf: conf as never,
      }),
    status,
    /** Waits for the run to end and returns its status. */
    finished: (dagId: string, runId: string, timeoutMs = 60_000) =>
      eventually(
        `${dagId}/${runId} to finish`,
        async () => {
          const s = await status(dagId, runId);
          return s && ["success", "failed"].includes(s.dag_run.state)
            ? s
            : undefined;
        },
        timeoutMs,
      ),
  };
}

/** A run's task states by task id. */
export const taskStatesOf = (s: DagRunStatus) =>
  Object.fromEntries(s.task_instances.map((t) => [t.task_id, t.state]));
