import { readFileSync } from "node:fs";
import { Hono } from "hono";
import { ordering, pageParams, patternMatcher, sortBy } from "./list-query.js";
import { V2Error } from "./v2-error.js";
import type { V2Env, V2Options } from "./v2-options.js";

/** poekhali's own version, as `GET /api/v2/version` tells it. */
export const VERSION = (
  JSON.parse(
    readFileSync(new URL("../../../package.json", import.meta.url), "utf8"),
  ) as { version: string }
).version;

const IMPORT_ERROR_ORDER = [
  "id",
  "timestamp",
  "filename",
  "bundle_name",
  "stacktrace",
  "import_error_id",
];

/** `GET /api/v2/version`, `GET /api/v2/monitor/health` (both open to all, as in Airflow) and `/api/v2/importErrors`. */
export function metaRoutes(options: V2Options): Hono<V2Env> {
  const app = new Hono<V2Env>();

  app.get("/api/v2/version", (c) =>
    c.json({ version: VERSION, git_version: null }),
  );

  app.get("/api/v2/monitor/health", async (c) => {
    const restate = (await options.runs.healthy()) ? "healthy" : "unhealthy";
    // restate-server is the metadatabase and, with the worker, the scheduler; neither keeps a heartbeat to show.
    const running =
      restate === "healthy" && options.ready() ? "healthy" : "unhealthy";
    return c.json({
      metadatabase: { status: restate },
      scheduler: { status: running, latest_scheduler_heartbeat: null },
      triggerer: { status: running, latest_triggerer_heartbeat: null },
      dag_processor: {
        status: "healthy",
        latest_dag_processor_heartbeat: options.loadedAt,
      },
    });
  });

  const importErrors = () =>
    options.importErrors.map((e, i) => ({
      import_error_id: i + 1,
      timestamp: options.loadedAt,
      filename: e.path,
      bundle_name: "dags-folder",
      stack_trace: e.error,
    }));

  app.get("/api/v2/importErrors", (c) => {
    const { limit, offset } = pageParams(c);
    const order = ordering(
      c.req.queries("order_by") ?? ["id"],
      IMPORT_ERROR_ORDER,
    );
    const matches = patternMatcher(c.req.query("filename_pattern"));
    const kept = importErrors().filter((e) => matches(e.filename));
    const sorted = sortBy(
      kept,
      order,
      (e, key) =>
        key === "id" || key === "import_error_id"
          ? e.import_error_id
          : key === "stacktrace"
            ? e.stack_trace
            : (e as Record<string, string | number>)[key],
      (e) => e.import_error_id,
    );
    return c.json({
      import_errors: sorted.slice(offset, offset + limit),
      total_entries: kept.length,
    });
  });

  app.get("/api/v2/importErrors/:import_error_id", (c) => {
    const raw = c.req.param("import_error_id");
    if (!/^-?\d+$/.test(raw))
      throw new V2Error(422, [
        {
          loc: ["path", "import_error_id"],
          msg: "Input should be a valid integer, unable to parse string as an integer",
          type: "int_parsing",
          input: raw,
        },
      ]);
    const found = importErrors().find((e) => e.import_error_id === Number(raw));
    if (!found)
      throw new V2Error(
        404,
        `The ImportError with import_error_id: \`${raw}\` was not found`,
      );
    return c.json(found);
  });

  return app;
}
