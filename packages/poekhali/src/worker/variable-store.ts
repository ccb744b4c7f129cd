import type { StoredVariable, VariableStore } from "@poekhali/core";
import {
  AIRFLOW_VARIABLE_NAME,
  type AirflowVariableObject,
} from "@poekhali/core/airflow";
import { connectIngress } from "../restate/connect-ingress.js";

const Variable: AirflowVariableObject = { name: AIRFLOW_VARIABLE_NAME };

/**
 * Airflow Variables kept in Restate's `airflow_variable` object, one object key per Variable key, reached through the
 * ingress: every worker and the REST API read and write the same values. A task's try runs outside its workflow's
 * journal, so a write from a task is an ordinary call, made again if the try is retried (as Airflow's are).
 *
 * @example
 * dagWorkflow(dag, { connections, variableStore: restateVariableStore("http://127.0.0.1:8080") });
 */
export function restateVariableStore(ingressUrl: string): VariableStore {
  const ingress = connectIngress(ingressUrl);
  const object = (key: string) => ingress.objectClient(Variable, key);
  return {
    async get(key) {
      return await object(key).get();
    },
    async set(key, variable: StoredVariable) {
      await object(key).set(variable);
    },
    async delete(key) {
      return (await object(key).delete()).deleted;
    },
  };
}
