import {
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { dagStateObject } from "../api-state/dag-state-object.js";
import { runRecordObject } from "../api-state/run-record-object.js";
import {
  startTemporaryRestate,
  type TemporaryRestate,
} from "../restate/temporary-restate.js";
import {
  API_STATE_FILE,
  IMPORTED_API_STATE_FILE,
  importApiStateFile,
} from "./api-state-file.js";
import { ApiState, type RunRecord } from "./api-state.js";
import { waitFor } from "../wait-for.js";

const record = (note: string | null): RunRecord => ({
  logical_date: null,
  run_after: "2026-01-01T00:00:00.000Z",
  queued_at: "2026-01-01T00:00:01.000Z",
  triggered_by: "rest_api",
  triggering_user_name: "admin",
  note,
});

/** An `api-state.json` as the web tier before Restate wrote it. */
const oldFile = {
  paused: { m_paused: true, m_unpaused: false },
  runs: {
    m_paused: {
      manual__1: { ...record("kept note"), task_notes: { t: "task note" } },
    },
    m_unpaused: { "r:2": record(null) },
  },
};

describe("an old POEKHALI_HOME/api-state.json is imported into Restate once, losing no pause", () => {
  let restate: TemporaryRestate;
  let state: ApiState;
  const homes: string[] = [];
  const log: string[] = [];
  const home = (kept?: unknown) => {
    const dir = mkdtempSync(join(tmpdir(), "poekhali-api-state-file-"));
    homes.push(dir);
    if (kept !== undefined)
      writeFileSync(
        join(dir, API_STATE_FILE),
        typeof kept === "string" ? kept : JSON.stringify(kept),
      );
    return dir;
  };

  beforeAll(async () => {
    restate = await startTemporaryRestate("poekhali-api-state-file-");
    state = new ApiState(restate.ingress.url, restate.server);
  }, 60_000);
  afterAll(async () => {
    await restate?.stop();
  });
  afterEach(() => {
    for (const dir of homes.splice(0)) rmSync(dir, { recursive: true });
    log.length = 0;
  });

  it("waits for the worker to serve the objects, then imports pauses and notes and keeps the file as a backup", async () => {
    const dir = home(oldFile);
    // Nothing serves the objects yet (`poekhali register` has not run): the import waits instead of failing.
    const importing = importApiStateFile(dir, state, (l) => log.push(l));
    let done = false;
    void importing.then(() => (done = true));
    await waitFor("the import to wait for the deployment", 20_000, () =>
      log.some((l) => l.includes("waits for the worker")),
    );
    expect(done).toBe(false);
    await restate.deploy([dagStateObject, runRecordObject]);
    expect(await importing).toEqual({ pauses: 2, runs: 2, kept: 0 });
    expect(await state.isPaused("m_paused")).toBe(true);
    expect(await state.isPaused("m_unpaused")).toBe(false);
    expect(await state.run("m_paused", "manual__1")).toEqual(
      oldFile.runs.m_paused.manual__1,
    );
    expect(await state.run("m_unpaused", "r:2")).toEqual(record(null));
    expect(readdirSync(dir)).toEqual([IMPORTED_API_STATE_FILE]);
    expect(
      JSON.parse(readFileSync(join(dir, IMPORTED_API_STATE_FILE), "utf8")),
    ).toEqual(oldFile);
    // The next start finds no file, and imports nothing.
    expect(await importApiStateFile(dir, state, () => {})).toBeNull();
  });

  it("imports again without undoing what was changed since (a crash before the rename, a second home)", async () => {
    const first = home({
      paused: { m_again: true },
      runs: { m_again: { r: record("old note") } },
    });
    expect(await importApiStateFile(first, state, () => {})).toEqual({
      pauses: 1,
      runs: 1,
      kept: 0,
    });
    // Changed through another web instance after the import…
    await state.setPaused("m_again", false);
    await state.setRunNote("m_again", "r", "new note", record(null));
    // …then the same file imported again: what Restate has stays.
    const second = home({
      paused: { m_again: true },
      runs: { m_again: { r: record("old note") } },
    });
    expect(await importApiStateFile(second, state, () => {})).toEqual({
      pauses: 0,
      runs: 0,
      kept: 2,
    });
    expect(await state.isPaused("m_again")).toBe(false);
    expect((await state.run("m_again", "r"))?.note).toBe("new note");
  });

  it("refuses a file it did not write, naming it and what to do, and leaves it in place", async () => {
    for (const bad of ['{"paused": {"d": tr', '{"paused": [true]}']) {
      const dir = home(bad);
      await expect(importApiStateFile(dir, state, () => {})).rejects.toThrow(
        new RegExp(
          `${API_STATE_FILE} is not the JSON poekhali wrote .*remove it`,
        ),
      );
      expect(existsSync(join(dir, API_STATE_FILE))).toBe(true);
    }
  });
});
