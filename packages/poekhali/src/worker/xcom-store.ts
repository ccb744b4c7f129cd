import type { Json, XComLocator, XComStore } from "@poekhali/core";
import {
  AIRFLOW_XCOM_NAME,
  xcomObjectKey,
  type AirflowXComObject,
} from "@poekhali/core/airflow";
import { connectIngress } from "../restate/connect-ingress.js";

const XCom: AirflowXComObject = {
  name: AIRFLOW_XCOM_NAME,
};

/**
 * The worker's XCom store: XCom written under a key lives in Restate's `airflow_xcom` object, one key per DAG run,
 * reached through the ingress (a task's try runs outside the workflow's journal, so it cannot call the object itself).
 *
 * @example
 * dagWorkflow(dag, { connections, xcomStore: restateXComStore("http://127.0.0.1:8080") });
 */
export function restateXComStore(ingressUrl: string): XComStore {
  const ingress = connectIngress(ingressUrl);
  const object = (l: XComLocator) =>
    ingress.objectClient(XCom, xcomObjectKey(l.dagId, l.runId));
  return {
    async get(locator) {
      return await object(locator).get({
        taskId: locator.taskId,
        key: locator.key,
      });
    },
    async set(locator, value: Json) {
      await object(locator).set({
        taskId: locator.taskId,
        key: locator.key,
        value,
      });
    },
  };
}
