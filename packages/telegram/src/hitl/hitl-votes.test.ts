import { describe, expect, it } from "vitest";
import { tally, toggle, winner, type Voter, type Votes } from "./hitl-votes.js";

const voter = (id: number, choice: string[] | null): Voter => ({
  user_id: id,
  name: `u${id}`,
  choice,
  draft: [],
});
const votesOf = (...voters: Voter[]): Votes =>
  Object.fromEntries(voters.map((v) => [String(v.user_id), v]));

describe("counting a request's votes", () => {
  it("lets an option win once quorum distinct people chose it", () => {
    const a = voter(1, ["Approve"]);
    const b = voter(2, ["Reject"]);
    const rule = { quorum: 2, veto: [] };
    expect(winner(votesOf(a, b), b, rule)).toBeNull();
    const c = voter(3, ["Approve"]);
    expect(winner(votesOf(a, b, c), c, rule)).toEqual(["Approve"]);
    expect(tally(["Approve", "Reject"], votesOf(a, b, c))).toEqual({
      Approve: 2,
      Reject: 1,
    });
  });

  it("lets a veto option win at its first press", () => {
    const a = voter(1, ["Reject"]);
    expect(winner(votesOf(a), a, { quorum: 5, veto: ["Reject"] })).toEqual([
      "Reject",
    ]);
  });

  it("counts a multiple choice as a set, whatever order its options were toggled in", () => {
    const a = voter(1, ["us", "eu"]);
    const b = voter(2, ["eu", "us"]);
    expect(winner(votesOf(a, b), b, { quorum: 2, veto: [] })).toEqual([
      "eu",
      "us",
    ]);
    expect(toggle(["eu", "us", "asia"], ["asia"], "eu")).toEqual([
      "eu",
      "asia",
    ]);
    expect(toggle(["eu", "us"], ["eu", "us"], "eu")).toEqual(["us"]);
  });
});
