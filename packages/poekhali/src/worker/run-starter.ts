import * as clients from "@restatedev/restate-sdk-clients";
import type { DagRunStarter, DagRunStatus, DagWorkflow } from "@poekhali/core";
import { connectIngress } from "../restate/connect-ingress.js";

/** Whether an ingress error says the DAG is not served at all (no such service). */
const unknownService = (error: unknown) =>
  error instanceof clients.HttpCallError && error.status === 404;

/**
 * Starts and reads DAG runs through Restate's ingress, for the tasks that start other runs
 * (TriggerDagRunOperator); calls go through the DAG workflow's typed definition.
 */
export function ingressRunStarter(ingressUrl: string): DagRunStarter {
  const rs = connectIngress(ingressUrl);
  const workflow = (dagId: string, runId: string) =>
    rs.workflowClient<DagWorkflow>({ name: dagId }, runId);
  const noDag = (dagId: string) =>
    Object.assign(new Error(`there is no DAG "${dagId}" to start a run of`), {
      retryable: false,
    });
  return {
    async trigger(dagId, runId, input) {
      try {
        const submitted = await workflow(dagId, runId).workflowSubmit(input);
        return submitted.status === "Accepted" ? "started" : "exists";
      } catch (error) {
        if (unknownService(error)) throw noDag(dagId);
        throw error;
      }
    },
    async find(dagId, runId) {
      let status: DagRunStatus | null;
      try {
        status = await workflow(dagId, runId).status();
      } catch (error) {
        if (unknownService(error)) throw noDag(dagId);
        throw error;
      }
      if (!status) return null;
      return {
        state: status.dag_run.state,
        triggered_by: status.dag_run.triggered_by ?? null,
      };
    },
  };
}
