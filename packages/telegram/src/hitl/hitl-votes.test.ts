import { describe, expect, it } from "vitest";
import { tally, toggle, winner, type Voter, type Votes } from "./hitl-votes.js";

const voter = (id: number, choice: string[] | null): Voter => ({
  user_id: id,
  name: `u${id}`,
  choice,
  draft: [],
});
const OPTS = ["Approve", "Reject"];
const votesOf = (...voters: Voter[]): Votes =>
  Object.fromEntries(voters.map((v) => [String(v.user_id), v]));

describe("counting a request's votes", () => {
  it("lets an option win once quorum distinct people chose it", () => {
    const a = voter(1, ["Approve"]);
    const b = voter(2, ["Reject"]);
    const rule = { quorum: 2, veto: [] };
    expect(winner(OPTS, votesOf(a, b), b, rule)).toBeNull();
    const c = voter(3, ["Approve"]);
    expect(winner(OPTS, votesOf(a, b, c), c, rule)).toEqual(["Approve"]);
    expect(tally(["Approve", "Reject"], votesOf(a, b, c))).toEqual({
      Approve: 2,
      Reject: 1,
    });
  });

  it("lets a veto option win at its first press", () => {
    const a = voter(1, ["Reject"]);
    expect(
      winner(OPTS, votesOf(a), a, { quorum: 5, veto: ["Reject"] }),
    ).toEqual(["Reject"]);
  });

  it("counts a multiple choice as a set, whatever order its options were toggled in", () => {
    const a = voter(1, ["us", "eu"]);
    const b = voter(2, ["eu", "us"]);
    expect(
      winner(["eu", "us"], votesOf(a, b), b, { quorum: 2, veto: [] }, true),
    ).toEqual(["eu", "us"]);
    expect(toggle(["eu", "us", "asia"], ["asia"], "eu")).toEqual([
      "eu",
      "asia",
    ]);
    expect(toggle(["eu", "us"], ["eu", "us"], "eu")).toEqual(["us"]);
  });

  it("decides a multiple choice by option, as the tally counts: every option quorum people chose, once one is", () => {
    const options = ["eu", "us", "asia"];
    const rule = { quorum: 2, veto: [] };
    const a = voter(1, ["eu", "us"]);
    const b = voter(2, ["eu"]);
    // Different sets, yet 2 people chose eu: eu wins, us (1) does not.
    expect(winner(options, votesOf(a, b), b, rule, true)).toEqual(["eu"]);
    const c = voter(3, ["us", "asia"]);
    expect(winner(options, votesOf(a, b, c), c, rule, true)).toEqual([
      "eu",
      "us",
    ]);
    expect(winner(options, votesOf(c), c, rule, true)).toBeNull();
  });
});
