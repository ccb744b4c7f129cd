import createClient from "openapi-fetch";
import type { paths } from "./v2.js";

const api = createClient<paths>({ baseUrl: "http://127.0.0.1:9" });

/**
 * Calls written as Airflow 2 habits would write them: every line marked `wrong:` must be a type error against the v2
 * document (the test checks that each is, and that nothing else is), so the type check is shown to bite.
 */
export async function wrongCalls(): Promise<unknown[]> {
  const dags = await api.GET("/api/v2/dags");
  const dag = dags.data?.dags[0];
  const run = await api.GET("/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}", {
    params: { path: { dag_id: "d", dag_run_id: "r" } },
  });
  return [
    dag?.schedule_interval, // wrong: DAGResponse has no such field
    run.data?.execution_date, // wrong: Airflow 2's name; v2 has logical_date
    run.data?.state === "up_for_retry", // wrong: not a DagRunState
    await api.PATCH("/api/v2/dags/{dag_id}", {
      params: { path: { dag_id: "d" } },
      body: { is_paused: "yes" }, // wrong: is_paused is a boolean
    }),
    await api.POST("/api/v2/dags/{dag_id}/dagRuns", {
      params: { path: { dag_id: "d" } },
      body: { conf: '{"name": "x"}' }, // wrong: conf is an object, not a JSON string
    }),
    await api.GET("/api/v1/dags"), // wrong: not a path of the document
  ];
}
