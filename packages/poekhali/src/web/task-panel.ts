import {
  DeferrableOperator,
  DeferrableSensor,
  type Dag,
  type HITLEntry,
  type TaskInstance,
} from "@poekhali/core";
import type { DagRuns } from "../api/dag-runs.js";
import { tryLog } from "../api/task-log.js";
import { taskWait, type TaskWait } from "../api/task-wait.js";
import type { TelegramTally } from "../api/telegram-tallies.js";
import { tallyText } from "./tally-text.js";
import { esc, stateBadge, when } from "./layout.js";
import { took } from "./run-page.js";

/** What the task panel of a run page shows: one task instance of one run. */
export interface TaskPanelData {
  readonly dag: Dag;
  readonly runId: string;
  readonly conf: Record<string, unknown>;
  readonly ti: TaskInstance;
  /** Whether the run has ended: only then can a task be cleared. */
  readonly runEnded: boolean;
  /** The task's human-in-the-loop request, if it made one. */
  readonly hitl: HITLEntry | null;
}

// What kind of task it is, in Airflow's words, so a person knows why it waits.
function kindOf(task: unknown): string {
  if (task instanceof DeferrableSensor) return " · deferrable sensor";
  if (task instanceof DeferrableOperator) return " · deferrable operator";
  return "";
}

const FINISHED = ["success", "failed", "skipped", "upstream_failed"];

/** A kept log line (`<ISO> LEVEL message`) as the panel shows it: the time of day to the ms, the level, the text. */
function logLine(line: string): string {
  const parsed =
    /^(\d{4}-\d\d-\d\dT([\d:.]+)Z) (INFO|WARN|ERROR) ([\s\S]*)$/.exec(line);
  if (!parsed) return esc(line);
  const [, , time = "", level = "", text = ""] = parsed;
  return `<span class="t">${esc(time)}</span> <span class="lv ${esc(level.toLowerCase())}">${esc(level)}</span> ${esc(text)}`;
}

/** "until 18:05:00 UTC on 2026-11-27", or "without a timeout". */
function untilText(until: string | null): string {
  if (!until) return "without a timeout";
  return `times out at ${when(until)} UTC`;
}

function waitingCard(
  ti: TaskInstance,
  wait: TaskWait | null,
  hitl: HITLEntry | null,
  tallies: readonly TelegramTally[],
) {
  if (ti.state !== "deferred" && ti.state !== "awaiting_input") return "";
  const waitsFor = hitl
    ? `an answer to «${hitl.request.subject}»`
    : (wait?.for ?? "its event");
  const until = hitl ? hitl.request.deadline : (wait?.until ?? null);
  const who = hitl
    ? `<p>May answer: ${
        hitl.request.assigned_users.length
          ? hitl.request.assigned_users
              .map((u) => esc(u.name || u.id))
              .join(", ")
          : "anyone who may use this app"
      }. Options: ${hitl.request.options.map((o) => `<code>${esc(o)}</code>`).join(" ")}. <a href="/required-actions">Answer it in Required actions</a>.</p>${tallies.map(tallyText).join("")}`
    : "";
  return `<div class="card hint waiting"><p><b>Waiting for</b> ${esc(waitsFor)}; <span class="until">${esc(untilText(until))}</span>.</p>${who}</div>`;
}

/** The tries of a task instance, newest first: each with its state and times. */
function triesOf(ti: TaskInstance) {
  const earlier = (ti.tries ?? []).filter((t) => t.try_number < ti.try_number);
  const current = ti.try_number > 0 ? [ti] : [];
  return [...current, ...[...earlier].reverse()];
}

/** The body of a run page's task panel: state, what a waiting task waits for, its output and the log of each try. */
export async function taskPanel(
  runs: DagRuns,
  { dag, runId, conf, ti, hitl, runEnded }: TaskPanelData,
): Promise<string> {
  const task = dag.task(ti.task_id);
  const [wait, output, logs, tallies] = await Promise.all([
    taskWait(dag, conf, ti, (id) => runs.xcom(dag, runId, id)),
    runs.xcom(dag, runId, ti.task_id),
    Promise.all(
      triesOf(ti).map(async (t) => ({
        attempt: t,
        lines: await tryLog(runs, dag, conf, runId, ti, t.try_number),
      })),
    ),
    hitl && !hitl.response && !hitl.closed
      ? runs
          .telegramTallies([dag.id])
          .then((all) =>
            all.filter(
              (t) =>
                t.run_id === runId &&
                t.task_id === ti.task_id &&
                t.try_number === hitl.request.try_number,
            ),
          )
          .catch(() => [])
      : [],
  ]);
  const tries = logs
    .map(({ attempt, lines }, i) => {
      const times = [
        attempt.start_date ? `${when(attempt.start_date)} UTC` : "",
        attempt.end_date ? `took ${took(attempt)}` : "",
      ]
        .filter(Boolean)
        .join(" · ");
      const body = lines.length
        ? `<pre class="log" tabindex="0" aria-label="Log of try ${attempt.try_number}">${lines.map(logLine).join("\n")}</pre>`
        : `<p class="muted">This try logged nothing${FINISHED.includes(attempt.state) ? "" : " yet"}.</p>`;
      return `<details class="try" data-try="${attempt.try_number}"${i === 0 ? " open" : ""}><summary>Try ${attempt.try_number} ${stateBadge(attempt.state)} <span class="muted small">${esc(times)}</span></summary>${attempt.note ? `<p class="note">${esc(attempt.note)}</p>` : ""}${body}</details>`;
    })
    .join("");
  const xcom = output
    ? `<pre class="xcom" tabindex="0" aria-label="Output of ${esc(ti.task_id)}">${esc(JSON.stringify(output.value, null, 2))}</pre>`
    : `<p class="muted">No output${FINISHED.includes(ti.state) ? "" : " yet"}.</p>`;
  return `<h2 id="panel-title" tabindex="-1">${esc(ti.task_id)} ${stateBadge(ti.state)}</h2>
<p class="muted small">${esc(task?.title ?? "")}${kindOf(task)}</p>
${waitingCard(ti, wait, hitl, tallies)}
<p><button type="button" class="secondary" data-action="clear" data-when="success failed" data-task="${esc(ti.task_id)}"${runEnded ? "" : " hidden"}>Clear ${esc(ti.task_id)} and downstream…</button></p>
<h3>Output <span class="muted small">(XCom return_value)</span></h3>${xcom}
<h3>Log</h3>${tries || `<p class="muted">Not started yet: no tries.</p>`}`;
}
