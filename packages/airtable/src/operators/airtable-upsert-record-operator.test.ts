import {
  BaseOperator,
  DeferrableOperator,
  DeferrableSensor,
} from "@poekhali/core";
import { describe, expect, it } from "vitest";
import { AirtableUpsertRecordOperator } from "./airtable-upsert-record-operator.js";

const fields = { chat_id: "-1", username: "anna" };

describe("AirtableUpsertRecordOperator", () => {
  it("is a deferrable operator that takes retries like any operator, not a sensor", () => {
    const op = new AirtableUpsertRecordOperator({
      taskId: "write_row",
      fields,
      fieldsToMergeOn: ["chat_id"],
      retries: 2,
      retryDelay: "1s",
    });
    expect(op).toBeInstanceOf(DeferrableOperator);
    expect(op).toBeInstanceOf(BaseOperator);
    expect(op).not.toBeInstanceOf(DeferrableSensor);
    expect(op.retries).toBe(2);
    expect(op.retryDelayAfter(1)).toBe(1000);
    expect(op.runsInProcess).toBe(true);
  });

  it("takes no sensor options", () => {
    new AirtableUpsertRecordOperator({
      taskId: "write_row_2",
      fields,
      fieldsToMergeOn: ["chat_id"],
      // @ts-expect-error a write is not a wait: it has no sensor timeout
      timeout: "1h",
    });
  });
});
