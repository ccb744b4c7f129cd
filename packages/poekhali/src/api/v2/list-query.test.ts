import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import {
  dateRange,
  ordering,
  pageParams,
  patternMatcher,
  sortBy,
} from "./list-query.js";
import { answerError } from "./v2-error.js";

describe("Airflow's list parameters", () => {
  it("matches *_pattern as Airflow's ILIKE: substring, any case, % and _ wildcards, | for either, ~ for all", () => {
    const ids = ["telegram_go_button", "Echo", "a%b", "daily_report"];
    const match = (p: string) => ids.filter(patternMatcher(p));
    expect(match("ECHO")).toEqual(["Echo"]);
    expect(match("go_b")).toEqual(["telegram_go_button"]);
    expect(match("tele%button")).toEqual(["telegram_go_button"]);
    expect(match("d_ily")).toEqual(["daily_report"]);
    expect(match("echo | report")).toEqual(["Echo", "daily_report"]);
    expect(match("~")).toEqual(ids);
    // Regex characters are text, not patterns.
    expect(match(".*")).toEqual([]);
  });

  it("orders by several keys, `-` descending, nulls last ascending and first descending, ties by the tie-break", () => {
    const rows = [
      { id: 1, state: "success", end: "2026-01-02" },
      { id: 2, state: "failed", end: null },
      { id: 3, state: "success", end: "2026-01-01" },
    ];
    const value = (r: (typeof rows)[number], key: string) =>
      key === "state" ? r.state : r.end;
    const ids = (order: string[]) =>
      sortBy(rows, ordering(order, ["state", "end"]), value, (r) => r.id).map(
        (r) => r.id,
      );
    expect(ids(["end"])).toEqual([3, 1, 2]);
    expect(ids(["-end"])).toEqual([2, 1, 3]);
    expect(ids(["-state", "end"])).toEqual([3, 1, 2]);
    expect(() => ordering(["colour"], ["state"])).toThrow(
      "Ordering with 'colour' is disallowed or the attribute does not exist on the model",
    );
  });

  it("reads limit (default 50, at most 100), offset and date ranges, refusing bad ones with 422", async () => {
    const app = new Hono();
    app.onError(answerError);
    app.get("/page", (c) => c.json(pageParams(c)));
    app.get("/range", (c) => {
      const within = dateRange(c, "end_date");
      return c.json(
        ["2026-01-01T00:00:00Z", "2026-03-01T00:00:00Z", null].map(within),
      );
    });
    const get = async (path: string) => {
      const res = await app.request(path);
      return { status: res.status, body: (await res.json()) as unknown };
    };
    expect(await get("/page")).toEqual({
      status: 200,
      body: { limit: 50, offset: 0 },
    });
    expect((await get("/page?limit=1000&offset=7")).body).toEqual({
      limit: 100,
      offset: 7,
    });
    expect(await get("/page?limit=1.5")).toMatchObject({
      status: 422,
      body: { detail: [{ loc: ["query", "limit"], type: "int_parsing" }] },
    });
    expect(
      (await get("/range?end_date_gte=2026-02-01T00:00:00%2B00:00")).body,
    ).toEqual([false, true, false]);
    expect(await get("/range?end_date_lt=2026-02-01T00:00:00")).toMatchObject({
      status: 422,
      body: {
        detail: [{ loc: ["query", "end_date_lt"], type: "timezone_aware" }],
      },
    });
  });
});
