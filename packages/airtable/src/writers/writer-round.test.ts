import { describe, expect, it } from "vitest";
import { itemsOf } from "./queue.js";
import type { Slot } from "./queue-store.js";
import { planRound } from "./writer-round.js";

const request = (trigger: string, rows: number) =>
  itemsOf({
    kind: "write",
    trigger_id: trigger,
    table: "t",
    records: Array.from({ length: rows }, (_, i) => ({
      username: `${trigger}-${i}`,
    })),
    mode: { kind: "upsert", fieldsToMergeOn: ["username"] },
  });

const slotsOf = (...requests: ReturnType<typeof request>[]): Slot[] =>
  requests.flat().map((item, seq) => ({ seq, item }));

describe("planRound", () => {
  it("never puts two batches of one request in a round", () => {
    const slots = slotsOf(request("big", 25), request("a", 1), request("b", 1));
    const batches = planRound(slots, 10);
    const triggers = batches.map(
      (batch) => new Set(batch.map((s) => s.item.trigger)),
    );
    expect(triggers.filter((t) => t.has("big"))).toHaveLength(1);
    // The other ten rows of "big" wait for the next round; the other runs' rows fill a batch of their own.
    expect(batches.map((batch) => batch.length)).toEqual([10, 2]);
    expect(batches[1]?.map((s) => s.item.trigger)).toEqual(["a", "b"]);
  });

  it("sends each solo request of a refused batch in a batch of its own, side by side", () => {
    const slots = slotsOf(request("m", 3), request("o1", 1), request("o2", 1));
    for (const { item } of slots) (item as { solo: boolean }).solo = true;
    const batches = planRound(slots, 10);
    expect(
      batches.map((batch) => batch.map((s) => s.item.trigger).join()),
    ).toEqual(["m,m,m", "o1", "o2"]);
  });

  it("puts a run of 4 rows behind 8 others whole into the round's next batch, never part of it beside them", () => {
    const others = Array.from({ length: 8 }, (_, i) => request(`o${i}`, 1));
    const slots = slotsOf(...others, request("m", 4), request("late", 1));
    const batches = planRound(slots, 10);
    expect(batches.map((batch) => batch.map((s) => s.item.trigger))).toEqual([
      [...others.map((o) => o[0]!.trigger), "late"],
      ["m", "m", "m", "m"],
    ]);
  });
});
