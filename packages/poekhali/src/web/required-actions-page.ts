import { Hono } from "hono";
import type { Dag } from "@poekhali/core";
import type { HitlRow } from "../api/hitl-requests.js";
import type { TelegramTally } from "../api/telegram-tallies.js";
import { tallyText } from "./tally-text.js";
import type { DagRuns } from "../api/dag-runs.js";
import { esc, layout, scriptJson, when, type NavLinks } from "./layout.js";
import { REQUIRED_ACTIONS_SCRIPT } from "./required-actions-script.js";

/** What the Required actions page reads: the DAGs, their runs (and through them the HITL requests), the header. */
export interface RequiredActionsOptions {
  readonly dags: ReadonlyMap<string, Dag>;
  readonly runs: DagRuns;
  readonly nav: NavLinks;
}

const STYLE = `
.hitl h2{margin:0 0 6px;font-size:18px;overflow-wrap:anywhere}.hitl .body{white-space:pre-wrap;overflow-wrap:anywhere}
.hitl fieldset{border:1px solid var(--border);border-radius:6px;margin:10px 0;padding:8px 12px;min-width:0}
.hitl .option{display:flex;gap:8px;align-items:center;font-weight:400;margin:4px 0}
.hitl .answered{color:var(--ok);font-weight:600}.where{overflow-wrap:anywhere}`;

const utc = (iso: string | null) => (iso ? `${when(iso)} UTC` : "");

/** One waiting request as a card with its answer form. */
function requestCard(
  row: HitlRow,
  index: number,
  tallies: readonly TelegramTally[],
): string {
  const { request, created_at } = row.entry;
  const run = `/dags/${encodeURIComponent(row.dag_id)}/runs/${encodeURIComponent(row.run_id)}?task=${encodeURIComponent(row.task_id)}`;
  const who = request.assigned_users.length
    ? request.assigned_users.map((u) => esc(u.name || u.id)).join(", ")
    : "anyone who may use this app";
  const type = request.multiple ? "checkbox" : "radio";
  const options = request.options
    .map(
      (o, i) =>
        `<label class="option"><input type="${type}" name="choice" value="${esc(o)}"${request.defaults?.includes(o) ? " checked" : ""}${type === "radio" && i === 0 ? " required" : ""}> ${esc(o)}</label>`,
    )
    .join("");
  const params = Object.entries(request.params)
    .map(([name, p], i) => {
      const id = `p-${index}-${i}`;
      const value =
        typeof p.value === "string" ? p.value : JSON.stringify(p.value);
      const isString =
        p.schema?.type === "string" || typeof p.value === "string";
      return `<label for="${id}">${esc(name)}${p.description ? ` <span class="muted small">${esc(p.description)}</span>` : ""}</label><input id="${id}" data-param="${esc(name)}" data-json="${isString ? "" : "1"}" value="${esc(value ?? "")}">`;
    })
    .join("");
  return `<article class="card hitl" aria-labelledby="hitl-${index}">
<h2 id="hitl-${index}">${esc(request.subject)}</h2>
<p class="muted small where"><a href="${esc(run)}">${esc(row.dag_id)} / ${esc(row.run_id)} / ${esc(row.task_id)}</a> · asked ${esc(utc(created_at))}${request.deadline ? ` · times out ${esc(utc(request.deadline))}` : ""}</p>
${request.body ? `<p class="body">${esc(request.body)}</p>` : ""}<p>May answer: ${who}</p>
${tallies
  .filter(
    (t) =>
      t.dag_id === row.dag_id &&
      t.run_id === row.run_id &&
      t.task_id === row.task_id &&
      t.try_number === request.try_number,
  )
  .map(tallyText)
  .join("")}
<form data-dag="${esc(row.dag_id)}" data-run="${esc(row.run_id)}" data-task="${esc(row.task_id)}">
<fieldset><legend>${request.multiple ? "Choose one or more" : "Choose one"}</legend>${options}</fieldset>${params}
<p><button type="submit">Answer</button></p><p class="error" role="alert"></p></form></article>`;
}

/** The waiting requests of every DAG, oldest first, with the tallies of those put to Telegram chats. */
async function waiting(
  options: RequiredActionsOptions,
): Promise<{ rows: HitlRow[]; tallies: TelegramTally[] }> {
  const dagIds = [...options.dags.keys()];
  const [rows, tallies] = await Promise.all([
    options.runs.hitl.list(dagIds),
    options.runs.telegramTallies(dagIds).catch(() => []),
  ]);
  return {
    rows: rows
      .filter((r) => r.entry.response === null && r.entry.closed === null)
      .sort((a, b) => a.entry.created_at.localeCompare(b.entry.created_at)),
    tallies,
  };
}

function listOf({
  rows,
  tallies,
}: {
  rows: HitlRow[];
  tallies: TelegramTally[];
}): string {
  return rows.length
    ? rows.map((row, i) => requestCard(row, i, tallies)).join("")
    : `<p class="card muted">No task waits for a person now.</p>`;
}

/**
 * The Required actions page (`/required-actions`): every human-in-the-loop request of every DAG that waits for an
 * answer, who may answer it, and a form that answers it through `/api/v2` (`PATCH …/hitlDetails`), as Airflow 3's
 * page does; `/ui/required-actions` is the list its script refreshes.
 */
export function requiredActionsPages(options: RequiredActionsOptions): Hono {
  const app = new Hono();
  app.get("/required-actions", async (c) =>
    c.html(
      layout(
        "Required actions",
        options.nav,
        `<style>${STYLE}</style><h1>Required actions</h1>
<p class="muted">Tasks waiting for a person, in every DAG. The first valid answer wakes the task, whichever channel it comes from.</p>
<div id="requests">${listOf(await waiting(options))}</div>
<script>const REQUIRED = ${scriptJson({ list: "/ui/required-actions" })};
${REQUIRED_ACTIONS_SCRIPT}</script>`,
      ),
    ),
  );
  app.get("/ui/required-actions", async (c) =>
    c.html(listOf(await waiting(options))),
  );
  return app;
}
