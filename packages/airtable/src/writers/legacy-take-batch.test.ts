import { describe, expect, it } from "vitest";
import { legacyTakeBatch } from "./legacy-take-batch.js";
import { itemsOf, type QueuedItem } from "./queue.js";
import type { WriteMode } from "./writer-protocol.js";

const mode: WriteMode = { kind: "create", identifyBy: ["username"] };
const run = (trigger: string, rows: number): QueuedItem[] =>
  itemsOf({
    kind: "write",
    trigger_id: trigger,
    table: "t",
    records: Array.from({ length: rows }, (_, i) => ({
      username: `${trigger}-${i}`,
    })),
    mode,
  });
const solo = (items: QueuedItem[]) => {
  for (const item of items) (item as { solo: boolean }).solo = true;
  return items;
};
const names = (items: QueuedItem[]) =>
  items.map((i) => (i.kind === "row" ? String(i.fields.username) : i.trigger));

// Each case's answer is what main's takeBatch (commit db017ea) picks: a `drain` in flight at the upgrade journaled
// a step named after its batch, and replays only if today's `drain` picks the same.
describe("legacyTakeBatch, main's batching rule", () => {
  it("splits a run across batches at 10 rows, filling from the oldest", () => {
    const queue = [
      ...run("o", 8).flatMap((_, i) => run(`o${i}`, 1)),
      ...run("m", 4),
    ];
    expect(names(legacyTakeBatch(queue))).toEqual([
      ...Array.from({ length: 8 }, (_, i) => `o${i}-0`),
      "m-0",
      "m-1",
    ]);
  });

  it("sends a solo row alone, even beside solo rows of its own run", () => {
    expect(
      names(legacyTakeBatch([...solo(run("m", 3)), ...run("o", 1)])),
    ).toEqual(["m-0"]);
  });

  it("leaves solo rows out of a batch headed by a row that is not", () => {
    expect(
      names(
        legacyTakeBatch([...run("a", 1), ...solo(run("m", 2)), ...run("b", 1)]),
      ),
    ).toEqual(["a-0", "b-0"]);
  });

  it("sends a look-up alone and every schema check together", () => {
    const find = itemsOf({
      kind: "find",
      trigger_id: "f",
      table: "t",
      formula: "1",
    });
    expect(names(legacyTakeBatch([...find, ...run("a", 1)]))).toEqual(["f"]);
    const check = (t: string) =>
      itemsOf({ kind: "schema", trigger_id: t, table: "t" });
    expect(
      names(legacyTakeBatch([...check("c1"), ...run("a", 1), ...check("c2")])),
    ).toEqual(["c1", "c2"]);
  });
});
