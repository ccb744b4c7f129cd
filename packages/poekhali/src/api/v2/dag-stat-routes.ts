import { Hono } from "hono";
import { ordering, pageParams, patternMatcher, sortBy } from "./list-query.js";
import { DAG_RUN_STATES } from "./run-bodies.js";
import { runFacts, type V2Env, type V2Options } from "./v2-options.js";

/** `GET /api/v2/dagStats` (run counts by state, as airflowctl's `dags get-stats` reads them) and `GET /api/v2/dagTags`. */
export function dagStatRoutes(options: V2Options): Hono<V2Env> {
  const app = new Hono<V2Env>();

  app.get("/api/v2/dagStats", async (c) => {
    const wanted = c.req.queries("dag_ids");
    const dags = [...options.dags.values()]
      .filter((d) => !wanted?.length || wanted.includes(d.id))
      .sort((a, b) => a.id.localeCompare(b.id));
    const runs = await runFacts(options, dags, undefined, { records: false });
    const stats = dags.map((dag) => ({
      dag_id: dag.id,
      dag_display_name: dag.id,
      // Every state, a zero included, as Airflow lists them.
      stats: DAG_RUN_STATES.map((state) => ({
        state,
        count: runs.filter(
          (r) => r.dag.id === dag.id && r.snapshot.state === state,
        ).length,
      })),
    }));
    return c.json({ dags: stats, total_entries: stats.length });
  });

  app.get("/api/v2/dagTags", (c) => {
    const { limit, offset } = pageParams(c);
    const order = ordering(c.req.queries("order_by") ?? ["name"], ["name"]);
    const matches = patternMatcher(c.req.query("tag_name_pattern"));
    const names = [
      ...new Set([...options.dags.values()].flatMap((d) => d.tags)),
    ].filter(matches);
    const sorted = sortBy(
      names,
      order,
      (name) => name,
      (name) => name,
    );
    return c.json({
      tags: sorted.slice(offset, offset + limit),
      total_entries: names.length,
    });
  });

  return app;
}
