import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { API_STATE_FILE, ApiState } from "./api-state.js";

describe("ApiState", () => {
  const homes: string[] = [];
  afterEach(() => {
    for (const home of homes.splice(0)) rmSync(home, { recursive: true });
  });
  const home = () => {
    const dir = mkdtempSync(join(tmpdir(), "poekhali-api-state-"));
    homes.push(dir);
    return dir;
  };

  it("keeps pauses and run records across a reopen, leaving no temporary file", () => {
    const dir = home();
    const state = ApiState.open(dir);
    expect(state.isPaused("d")).toBe(false);
    state.setPaused("d", true);
    state.setRun("d", "r", {
      logical_date: null,
      run_after: "2026-01-01T00:00:00.000Z",
      queued_at: "2026-01-01T00:00:00.000Z",
      triggered_by: "rest_api",
      triggering_user_name: "admin",
      note: "kept",
    });
    const again = ApiState.open(dir);
    expect(again.isPaused("d")).toBe(true);
    expect(again.run("d", "r")?.note).toBe("kept");
    again.deleteRun("d", "r");
    expect(ApiState.open(dir).run("d", "r")).toBeUndefined();
    expect(readdirSync(dir)).toEqual([API_STATE_FILE]);
  });

  it("refuses a file it did not write, naming it and what to do", () => {
    const dir = home();
    writeFileSync(join(dir, API_STATE_FILE), '{"paused": {"d": tr');
    expect(() => ApiState.open(dir)).toThrow(
      new RegExp(
        `${API_STATE_FILE} is not the JSON poekhali wrote .*remove it`,
      ),
    );
  });
});
