import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dag } from "@poekhali/core";
import {
  AirtableHook,
  AirtableUpsertRecordOperator,
  type Fields,
  type UpsertResult,
} from "@poekhali/airtable";
import {
  startAirtableWorkerStack,
  type AirtableStack,
} from "./airtable-stack.js";

const row = {
  chat_id: "-1001234567890",
  username: "retried",
  triggered_at: "2026-11-27T12:00:00.000Z",
  event_type: "button_press",
  reporter_name: "e2e",
};

/** The real hook, except that the first upsert's answer is lost after Airtable applied it. */
class LosingHook extends AirtableHook {
  lost = 0;
  override async upsertRecords(
    table: string,
    records: readonly Fields[],
    mergeOn: readonly string[],
  ): Promise<UpsertResult> {
    const result = await super.upsertRecords(table, records, mergeOn);
    if (this.lost++ === 0) throw new Error("the answer was lost on the way");
    return result;
  }
}

const retried = dag({ id: "at_upsert_retry", schedule: null }, () => {
  new AirtableUpsertRecordOperator({
    taskId: "write_row",
    fields: row,
    fieldsToMergeOn: ["chat_id", "username", "triggered_at"],
    retries: 1,
    retryDelay: "50ms",
  });
});

describe("AirtableUpsertRecordOperator as a deferrable operator", () => {
  let stack: AirtableStack;
  let stop: (() => Promise<void>) | undefined;
  let hook: LosingHook;
  beforeAll(async () => {
    ({ stack, stop } = await startAirtableWorkerStack([retried], {
      hook: (target) => (hook = new LosingHook({ ...target })),
    }));
  });
  afterAll(() => stop?.());

  it("retries a write whose try failed, and the retry updates the one row the first try wrote", async () => {
    await stack.start("at_upsert_retry", "r1");
    const s = await stack.finished("at_upsert_retry", "r1");
    expect(s.dag_run.state).toBe("success");
    const [ti] = s.task_instances;
    expect(ti).toMatchObject({ state: "success", try_number: 2 });
    expect(ti?.tries?.[0]).toMatchObject({
      try_number: 1,
      state: "up_for_retry",
    });
    expect(ti?.tries?.[0]?.note).toContain("the answer was lost on the way");
    expect(hook.lost).toBe(2);
    const rows = stack.rows().filter((r) => r.fields.username === "retried");
    expect(rows).toHaveLength(1);
    const output = await stack.ingress.call<{ value: unknown } | null>(
      { service: "at_upsert_retry", handler: "xcom", key: "r1" },
      { task_id: "write_row" },
    );
    expect(output).toEqual({
      value: { record_id: rows[0]?.id, created: false },
    });
  });
});
