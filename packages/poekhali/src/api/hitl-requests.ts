import * as clients from "@restatedev/restate-sdk-clients";
import {
  AIRFLOW_HITL,
  AIRFLOW_HITL_NAME,
  HITL_ANSWER_PURPOSE,
  signCall,
  hitlObjectKey,
  hitlStateKey,
  type HITLAnswer,
  type HITLAnswerResult,
  type HITLEntry,
} from "@poekhali/core";
import type { Introspection } from "./dag-runs.js";
import { sqlLiteral as sql } from "../restate/sql-literal.js";

/** One task's request, with the run and task it belongs to. */
export interface HitlRow {
  readonly dag_id: string;
  readonly run_id: string;
  readonly task_id: string;
  readonly entry: HITLEntry;
}

/** The requests of human-in-the-loop tasks, kept by the `airflow_hitl` object (one key per DAG run), and their answers. */
export class HitlRequests {
  constructor(
    private readonly ingressUrl: string,
    private readonly introspection: Introspection,
  ) {}

  /** Every request of these DAGs' runs (or of the one run `runId`), read in one SQL query over Restate's state. */
  async list(dagIds: readonly string[], runId?: string): Promise<HitlRow[]> {
    if (dagIds.length === 0) return [];
    const oneKey =
      dagIds.length === 1 && runId !== undefined
        ? ` AND service_key = ${sql(hitlObjectKey(dagIds[0] ?? "", runId))}`
        : "";
    const rows = await this.introspection.query<{
      service_key: string;
      value_utf8: string | null;
    }>(
      `SELECT service_key, value_utf8 FROM state WHERE service_name = ${sql(AIRFLOW_HITL_NAME)} AND key LIKE 'hitl:%'${oneKey}`,
    );
    return rows.flatMap((row) => {
      if (row.value_utf8 === null) return [];
      const [dagId, run] = JSON.parse(row.service_key) as [string, string];
      if (!dagIds.includes(dagId) || (runId !== undefined && run !== runId))
        return [];
      const entry = JSON.parse(row.value_utf8) as HITLEntry;
      return [
        { dag_id: dagId, run_id: run, task_id: entry.request.task_id, entry },
      ];
    });
  }

  /**
   * One task's request and answer, or null when the task asked nothing (yet). Read over SQL, not through the
   * object's `entry` handler, so that a page's poll is no invocation for Restate to keep.
   */
  async get(
    dagId: string,
    runId: string,
    taskId: string,
  ): Promise<HITLEntry | null> {
    const [row] = await this.introspection.query<{ value_utf8: string | null }>(
      `SELECT value_utf8 FROM state WHERE service_name = ${sql(AIRFLOW_HITL_NAME)} ` +
        `AND service_key = ${sql(hitlObjectKey(dagId, runId))} AND key = ${sql(hitlStateKey(taskId))}`,
    );
    return row?.value_utf8 ? (JSON.parse(row.value_utf8) as HITLEntry) : null;
  }

  /** Answers a request: the first valid answer wakes the task; the object refuses the rest (409, 403, 422). */
  async answer(
    dagId: string,
    runId: string,
    answer: HITLAnswer,
  ): Promise<HITLAnswerResult> {
    // Signed: the object takes answers from the ingress only from the web tier (see INTERNAL_KEY_ENV).
    return this.#object(dagId, runId).answerSigned(
      signCall(HITL_ANSWER_PURPOSE, hitlObjectKey(dagId, runId), answer),
    );
  }

  #object(dagId: string, runId: string) {
    return clients
      .connect({ url: this.ingressUrl })
      .objectClient(AIRFLOW_HITL, hitlObjectKey(dagId, runId));
  }
}
