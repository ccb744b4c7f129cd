import { describe, expect, it } from "vitest";
import { itemsOf, takeBatch, type QueuedItem } from "./queue.js";
import type { WriteMode } from "./writer-protocol.js";

const mode: WriteMode = {
  kind: "upsert",
  fieldsToMergeOn: ["chat_id", "username"],
};
const rows = (n: number, table = "t", same = false, from = 0): QueuedItem[] =>
  Array.from({ length: n }, (_, k) => k + from).flatMap((i) =>
    itemsOf({
      kind: "write",
      trigger_id: `r${table}${i}`,
      table,
      records: [{ chat_id: "1", username: same ? "x" : `u${i}` }],
      mode,
    }),
  );

describe("takeBatch", () => {
  it("takes up to 10 rows of different runs for the same table", () => {
    expect(takeBatch(rows(13))).toHaveLength(10);
  });

  it("keeps rows of another table for their own request", () => {
    const batch = takeBatch([
      ...rows(2, "a"),
      ...rows(3, "b"),
      ...rows(2, "a", false, 2),
    ]);
    expect(batch.map((i) => i.table)).toEqual(["a", "a", "a", "a"]);
  });

  it("never puts two rows with the same identity in one upsert", () => {
    expect(takeBatch(rows(3, "t", true))).toHaveLength(1);
  });

  it("sends a row marked solo with no other request's rows", () => {
    const queue = rows(3);
    (queue[0] as { solo: boolean }).solo = true;
    (queue[1] as { solo: boolean }).solo = true;
    expect(takeBatch(queue)).toEqual([queue[0]]);
  });

  it("sends the rows of a request marked solo together, and only them", () => {
    const request = itemsOf({
      kind: "write",
      trigger_id: "many",
      table: "t",
      records: [1, 2, 3].map((i) => ({ chat_id: "1", username: `m${i}` })),
      mode,
    });
    const queue = [...rows(2), ...request, ...rows(2, "t", false, 2)];
    for (const item of queue) (item as { solo: boolean }).solo = true;
    expect(takeBatch(queue.slice(2))).toEqual(request);
  });

  it("takes a run's rows all or none: a 4-row run behind 8 rows waits whole for the next batch", () => {
    const run = itemsOf({
      kind: "write",
      trigger_id: "many",
      table: "t",
      records: [1, 2, 3, 4].map((i) => ({ chat_id: "1", username: `m${i}` })),
      mode,
    });
    const queue = [...rows(8), ...run, ...rows(2, "t", false, 8)];
    const first = takeBatch(queue);
    expect(first.map((i) => i.trigger)).toEqual([
      ...rows(8).map((i) => i.trigger),
      "rt8",
      "rt9",
    ]);
    expect(takeBatch(queue.filter((i) => !first.includes(i)))).toEqual(run);
  });

  it("splits a run of more than 10 rows at 10, as the writer before the inboxes did", () => {
    const big = itemsOf({
      kind: "write",
      trigger_id: "big",
      table: "t",
      records: Array.from({ length: 12 }, (_, i) => ({
        chat_id: "1",
        username: `b${i}`,
      })),
      mode,
    });
    const first = takeBatch([...big, ...rows(3)]);
    expect(first).toEqual(big.slice(0, 10));
    expect(takeBatch([...big.slice(10), ...rows(3)])).toEqual([
      ...big.slice(10),
      ...rows(3),
    ]);
  });

  it("answers every waiting schema check, of any table, with one read of the base's schema", () => {
    const check = (trigger: string, table: string) =>
      itemsOf({ kind: "schema", trigger_id: trigger, table });
    const batch = takeBatch([
      ...check("c1", "a"),
      ...rows(2),
      ...check("c2", "b"),
      ...check("c3", "a"),
    ]);
    expect(batch.map((i) => i.trigger)).toEqual(["c1", "c2", "c3"]);
  });
});
