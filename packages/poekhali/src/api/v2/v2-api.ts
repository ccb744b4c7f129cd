import { Hono } from "hono";
import { dagRoutes } from "./dag-routes.js";
import { dagStatRoutes } from "./dag-stat-routes.js";
import { eventLogRoutes } from "./event-log-routes.js";
import { hitlRoutes } from "./hitl-routes.js";
import { metaRoutes } from "./meta-routes.js";
import { runRoutes } from "./run-routes.js";
import { taskInstanceRoutes } from "./task-instance-routes.js";
import { V2Error, answerError } from "./v2-error.js";
import { variableRoutes } from "./variable-routes.js";
import type { V2Env, V2Options } from "./v2-options.js";
import { xcomRoutes } from "./xcom-routes.js";

/**
 * Airflow 3's REST API, `/api/v2`, in the shapes of its OpenAPI document, so that apache-airflow-client 3.x and
 * airflowctl work unchanged. Errors are `{ "detail": ... }`: a sentence, or the 422 list of what failed validation.
 *
 * @example
 * app.route("/", v2Api({ dags, runs, state: ApiState.open(home), source, ready, importErrors, loadedAt }));
 */
export function v2Api(options: V2Options): Hono<V2Env> {
  const app = new Hono<V2Env>();
  app.onError(answerError);
  app.route("/", metaRoutes(options));
  app.route("/", dagRoutes(options));
  app.route("/", dagStatRoutes(options));
  app.route("/", runRoutes(options));
  app.route("/", xcomRoutes(options));
  app.route("/", taskInstanceRoutes(options));
  app.route("/", variableRoutes(options.variables));
  app.route("/", hitlRoutes(options));
  app.route("/", eventLogRoutes(options));
  app.all("/api/v2/*", () => {
    throw new V2Error(404, "Not Found");
  });
  return app;
}
