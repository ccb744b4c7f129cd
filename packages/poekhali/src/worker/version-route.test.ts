import { describe, expect, it } from "vitest";
import { versionRoute } from "./version-route.js";

const CURRENT = "aaaaaaaaaaaa";
const OLD = "0123456789ab";
const endpoints = new Map([
  [CURRENT, "current"],
  [OLD, "old"],
]);

describe("versionRoute", () => {
  it("serves the version a path names, also behind a prefix a load balancer did not strip", () => {
    expect(versionRoute(`/v/${OLD}/discover`, endpoints, CURRENT)).toEqual({
      hash: OLD,
      endpoint: "old",
    });
    expect(
      versionRoute(`/poekhali/v/${OLD}/invoke/dag_x/run`, endpoints, CURRENT),
    ).toEqual({ hash: OLD, endpoint: "old" });
  });

  it("serves nothing for a version it does not have, wherever it stands, never the current code", () => {
    for (const path of [
      "/v/ffffffffffff/discover",
      "/poekhali/v/ffffffffffff/invoke/dag_x/run",
    ])
      expect(versionRoute(path, endpoints, CURRENT)).toEqual({
        hash: "ffffffffffff",
        endpoint: undefined,
      });
  });

  it("serves the current version when the path names none", () => {
    expect(versionRoute("/discover", endpoints, CURRENT)).toEqual({
      hash: CURRENT,
      endpoint: "current",
    });
    expect(
      versionRoute(`/invoke/svc/run?x=/v/${OLD}/`, endpoints, CURRENT),
    ).toEqual({ hash: CURRENT, endpoint: "current" });
  });
});
