import { Hono } from "hono";
import { z } from "zod";
import type { Dag } from "@poekhali/core";
import type { DagRuns } from "../api/dag-runs.js";
import { esc, layout, when, type NavLinks } from "./layout.js";
import { runPage } from "./run-page.js";
import { TRIGGER_SCRIPT } from "./trigger-script.js";

/** What the pages show and link to. */
export interface WebPagesOptions {
  readonly dags: ReadonlyMap<string, Dag>;
  readonly runs: DagRuns;
  readonly nav: NavLinks;
}

interface ParamSchema {
  type?: string | string[];
  items?: { type?: string };
  /** A nullable or union param (`z.string().nullable()`): each alternative's own schema. */
  anyOf?: ParamSchema[];
  default?: unknown;
  description?: string;
}

/** A param's type as a person reads it: `string`, `string[]`, `string | null`; `any` when the schema says nothing. */
function typeName(p: ParamSchema): string {
  if (p.anyOf) return p.anyOf.map(typeName).join(" | ");
  if (p.type === "array") return `${p.items?.type ?? "any"}[]`;
  if (Array.isArray(p.type)) return p.type.join(" | ");
  return p.type ?? "any";
}

// The DAG's params as a table, so a person knows what the conf may hold.
function paramsTable(dag: Dag): string {
  const schema = z.toJSONSchema(dag.paramsSchema, {
    io: "input",
    unrepresentable: "any",
  }) as { properties?: Record<string, ParamSchema> };
  const params = Object.entries(schema.properties ?? {});
  if (params.length === 0)
    return `<p class="muted">This DAG takes no params.</p>`;
  const about = params.some(([, p]) => p.description);
  const rows = params
    .map(([name, p]) => {
      const type = typeName(p);
      const fallback =
        "default" in p
          ? `<code>${esc(JSON.stringify(p.default))}</code>`
          : `<span class="muted">none</span>`;
      return `<tr><td><code>${esc(name)}</code></td><td class="muted">${esc(type)}</td><td>${fallback}</td>${about ? `<td class="muted">${esc(p.description ?? "")}</td>` : ""}</tr>`;
    })
    .join("");
  return `<table><tr><th>Param</th><th>Type</th><th>Default</th>${about ? "<th>About</th>" : ""}</tr>${rows}</table>`;
}

const notFound = (nav: NavLinks, what: string) =>
  layout(
    "Not found",
    nav,
    `<h1>${esc(what)}</h1><p><a href="/">Back to the DAGs</a></p>`,
  );

/** The web UI: the DAG list with Trigger buttons, a DAG's runs, a run's task states. */
export function webPages(options: WebPagesOptions): Hono {
  const app = new Hono();
  const { nav } = options;

  app.get("/", (c) => {
    const rows = [...options.dags.values()]
      .map(
        (
          d,
        ) => `<tr><td><a href="/dags/${esc(d.id)}"><b>${esc(d.id)}</b></a><div class="muted">${esc(d.description)}</div></td>
<td>${d.tags.map((t) => `<code>${esc(t)}</code>`).join(" ")}</td><td class="muted">${esc(d.schedule ?? "manual")}</td>
<td class="nowrap"><button type="button" data-dag-id="${esc(d.id)}">Trigger</button><div class="error" role="alert" id="error-${esc(d.id)}"></div></td></tr>`,
      )
      .join("");
    return c.html(
      layout(
        "DAGs",
        nav,
        `<h1>DAGs</h1><table><tr><th>DAG</th><th>Tags</th><th>Schedule</th><th></th></tr>${rows || `<tr><td colspan="4" class="muted">No DAGs loaded</td></tr>`}</table>
<p class="muted">Trigger runs a DAG with its default params; open a DAG to trigger it with a conf.</p>
<script>${TRIGGER_SCRIPT}</script>`,
      ),
    );
  });

  app.get("/dags/:dag_id", async (c) => {
    const dag = options.dags.get(c.req.param("dag_id"));
    if (!dag)
      return c.html(notFound(nav, `No DAG “${c.req.param("dag_id")}”`), 404);
    const runs = await options.runs.list(dag);
    const rows = runs
      .map(
        (
          r,
        ) => `<tr><td><a href="/dags/${esc(dag.id)}/runs/${esc(encodeURIComponent(r.dag_run_id))}">${esc(r.dag_run_id)}</a></td>
<td><span class="state ${esc(r.state)}">${esc(r.state)}</span></td><td class="muted nowrap">${esc(when(r.start_date))}</td></tr>`,
      )
      .join("");
    return c.html(
      layout(
        dag.id,
        nav,
        `<h1>${esc(dag.id)}</h1><p class="muted">${esc(dag.description)}</p>
<div class="card"><label for="conf">Trigger with conf (JSON, checked against the params below)</label>
<textarea id="conf" rows="4" spellcheck="false" aria-describedby="error-${esc(dag.id)}">{}</textarea>
<div class="error" role="alert" id="error-${esc(dag.id)}"></div>
<p><button type="button" data-dag-id="${esc(dag.id)}" data-conf="conf">Trigger</button></p>
<details open><summary>Params</summary>${paramsTable(dag)}</details></div>
<h2>Runs</h2><table><tr><th>Run</th><th>State</th><th>Started (UTC)</th></tr>${rows || `<tr><td colspan="3" class="muted">No runs yet</td></tr>`}</table>
<script>${TRIGGER_SCRIPT}</script>`,
      ),
    );
  });

  app.get("/dags/:dag_id/runs/:run_id", async (c) => {
    const dag = options.dags.get(c.req.param("dag_id"));
    if (!dag)
      return c.html(notFound(nav, `No DAG “${c.req.param("dag_id")}”`), 404);
    const runId = c.req.param("run_id");
    // Rendered with what is known now, so the page reads right before (and without) its script.
    const found = await options.runs.get(dag, runId).catch(() => null);
    return c.html(layout(runId, nav, runPage({ dag, runId, found, nav })));
  });

  return app;
}
