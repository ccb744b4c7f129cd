import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DAGRunCollectionResponse } from "../packages/poekhali/src/api/v2/airflow-v2-contract.js";
import { eventually, startApp, type AppUnderTest } from "./harness.js";
import { sensorsParked, trigger } from "./sandbox.js";
import { v2Get } from "./v2-answer.js";

const GO = "telegram_go_button";

describe("reading runs' state", () => {
  let app: AppUnderTest;
  let adminUrl: string;

  /** One SQL query over Restate's admin API. */
  const query = async <Row>(sql: string): Promise<Row[]> => {
    const res = await fetch(`${adminUrl}/query`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json",
      },
      body: JSON.stringify({ query: sql }),
    });
    if (!res.ok) throw new Error(`/query answered ${res.status}`);
    return ((await res.json()) as { rows: Row[] }).rows;
  };
  /**
   * How many invocations Restate keeps: those of the DAG's workflow and the HITL object, and all of them but the
   * poll lease's, whose renewals come on a timer (every 1.5 s), however long the reads take on a busy machine.
   */
  const invocations = async () => {
    const [ours] = await query<{ n: number }>(
      `SELECT COUNT(*) AS n FROM sys_invocation WHERE target_service_name IN ('${GO}', 'airflow_hitl')`,
    );
    const [all] = await query<{ n: number }>(
      "SELECT COUNT(*) AS n FROM sys_invocation WHERE target_service_name <> 'telegram_poll_lease'",
    );
    return { ours: Number(ours?.n), all: Number(all?.n) };
  };
  /** GETs a path and answers its status and body text. */
  const read = async (path: string) => {
    const res = await fetch(`${app.url}${path}`, {
      headers: { accept: "application/json" },
    });
    return `${res.status} ${await res.text()}`;
  };

  beforeAll(async () => {
    app = await startApp();
    adminUrl = /admin (http:\/\/\S+?),? /.exec(app.output())?.[1] ?? "";
    expect(adminUrl).toMatch(/^http:/);
    await eventually("Restate's SQL to answer", async () => {
      await query("SELECT id FROM sys_invocation LIMIT 1");
      return true;
    });
  });
  afterAll(async () => {
    await app?.stop();
  });

  it("leaves Restate's invocations as they were after 200 status reads of a run over REST and the UI's polls, with the same answers", async () => {
    const runId = await trigger(app, { dag_run_id: "reads_1" });
    await sensorsParked(app, [runId]);
    const run = `/api/v2/dags/${GO}/dagRuns/${runId}`;
    // What the run page's script polls, the page itself, and every other read of the run's state.
    const paths = [
      run,
      `${run}/taskInstances`,
      `${run}/taskInstances/wait_for_press`,
      `${run}/taskInstances/wait_for_press/logs/1`,
      `${run}/taskInstances/send_button/xcomEntries/return_value`,
      `/api/v1/dags/${GO}/dagRuns/${runId}`,
      `/dags/${GO}/runs/${runId}/tasks/wait_for_press`,
      `/dags/${GO}/runs/${runId}/tasks/send_button`,
      `/dags/${GO}/runs/${runId}?task=wait_for_press`,
      `/api/v2/dags/${GO}/dagRuns?limit=5`,
      // What the DAG list, the DAG page and Required actions poll.
      "/ui/dags",
      `/ui/grid/${GO}`,
      "/ui/required-actions",
    ];
    const first = new Map<string, string>();
    for (const path of paths) {
      const answer = await read(path);
      expect(answer, path).toMatch(/^200 /);
      first.set(path, answer);
    }
    // The run's schema check woke the Airtable writer, whose chain looks at its inboxes for a few rounds before it
    // goes idle: its own timers, not the reads'. Counted from when it is idle, as the poll lease is left out.
    await eventually("the Airtable writer to go idle", async () => {
      const [busy] = await query<{ n: number }>(
        "SELECT COUNT(*) AS n FROM sys_invocation WHERE target_service_name IN ('airtable_writer', 'airtable_writer_inbox') AND status <> 'completed'",
      );
      return Number(busy?.n) === 0;
    });
    const before = await invocations();
    for (let i = 0; i < 200; i++) {
      const path = paths[i % paths.length] ?? run;
      const answer = await read(path);
      // Pages and their polls say how long ago and how long left, which moves; every API answer is the same.
      if (!path.startsWith("/api/")) expect(answer, path).toMatch(/^200 /);
      else expect(answer, path).toBe(first.get(path));
    }
    const after = await invocations();
    expect(after.ours).toBe(before.ours);
    // Nothing else reads or writes in between: a timer may add a few, never one per read.
    expect(after.all - before.all).toBeLessThan(10);
  });

  it("pages GET …/dagRuns in Restate's SQL: with more runs than a page, each page and total_entries are right", async () => {
    const ids = Array.from(
      { length: 23 },
      (_, i) => `paged_${String(i).padStart(2, "0")}`,
    );
    for (const id of ids) await trigger(app, { dag_run_id: id });
    // reads_1 of the test before is a run of the same DAG.
    const all = [...ids, "reads_1"];
    const listed = async (q: string) =>
      v2Get(app, `/api/v2/dags/${GO}/dagRuns?${q}`, DAGRunCollectionResponse);

    const pages: string[] = [];
    for (let offset = 0; offset < all.length + 10; offset += 10) {
      const page = await listed(`limit=10&offset=${offset}&order_by=run_id`);
      expect(page.total_entries).toBe(all.length);
      expect(page.dag_runs.length).toBe(
        Math.max(0, Math.min(10, all.length - offset)),
      );
      pages.push(...page.dag_runs.map((r) => r.dag_run_id));
    }
    expect(pages).toEqual([...all].sort());

    const newest = await listed("limit=3&order_by=-id");
    expect(newest.dag_runs.map((r) => r.dag_run_id)).toEqual([
      "paged_22",
      "paged_21",
      "paged_20",
    ]);
    const oldest = await listed("limit=2");
    expect(oldest.dag_runs.map((r) => r.dag_run_id)).toEqual([
      "reads_1",
      "paged_00",
    ]);
    const pattern = await listed("run_id_pattern=paged_1%25&limit=4");
    expect(pattern.total_entries).toBe(10);
    expect(pattern.dag_runs.map((r) => r.dag_run_id)).toEqual([
      "paged_10",
      "paged_11",
      "paged_12",
      "paged_13",
    ]);
    const failed = await listed("state=failed");
    expect(failed).toEqual({ dag_runs: [], total_entries: 0 });
    const live = await listed("state=queued&state=running&limit=1&offset=5");
    expect(live.total_entries).toBe(all.length);
    expect(live.dag_runs.map((r) => r.dag_run_id)).toEqual(["paged_04"]);
  });
});
