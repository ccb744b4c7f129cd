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
import * as restate_ from "@restatedev/restate-sdk";
import {
  DAG_STATE_NAME,
  dagStateObject,
} from "../api-state/dag-state-object.js";
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
          "s",
        ),
      );
      expect(existsSync(join(dir, API_STATE_FILE))).toBe(true);
    }
  });

  it("checks the whole file before importing anything: every bad entry named, nothing imported, the file left", async () => {
    const dir = home({
      paused: { v_good: true, v_text: "true", v_number: 1, "bad id!": true },
      runs: {
        v_good: {
          r_ok: record("fine"),
          r_null: null,
          r_note: { ...record(null), note: 5 },
        },
        v_list: [record(null)],
        v_text: "runs",
        v_missing: { r: { note: null } },
        v_id: { "../r": record(null) },
      },
    });
    const refused = importApiStateFile(dir, state, (l) => log.push(l));
    await expect(refused).rejects.toThrow(/nothing of it was imported/);
    const message = await refused.then(
      () => "",
      (error: unknown) => (error as Error).message,
    );
    for (const problem of [
      'paused.v_text: must be true or false, not "true"',
      "paused.v_number: must be true or false, not 1",
      "paused.bad id!: not a DAG id",
      "runs.v_good.r_null: ",
      "runs.v_good.r_note.note: ",
      "runs.v_list: must be an object of run ids to records",
      "runs.v_text: must be an object of run ids to records",
      "runs.v_missing.r.run_after: ",
      "runs.v_id.../r: not a run id",
    ])
      expect(message).toContain(problem);
    // The good entries of the same file were not imported either, and the file stays for the operator to fix.
    expect(await state.isPaused("v_good")).toBe(false);
    expect(await state.run("v_good", "r_ok")).toBeUndefined();
    expect(readdirSync(dir)).toEqual([API_STATE_FILE]);
  });

  it("lets two instances starting on one home import the same file at once, keeping one backup", async () => {
    const dir = home({
      paused: { v_twice: true },
      runs: { v_twice: { r: record("n") } },
    });
    const [first, second] = await Promise.all([
      importApiStateFile(dir, state, (l) => log.push(l)),
      importApiStateFile(dir, state, (l) => log.push(l)),
    ]);
    // Each set only what Restate did not have: together, the file once.
    expect((first?.pauses ?? 0) + (second?.pauses ?? 0)).toBe(1);
    expect((first?.runs ?? 0) + (second?.runs ?? 0)).toBe(1);
    expect(await state.isPaused("v_twice")).toBe(true);
    expect(readdirSync(dir)).toEqual([IMPORTED_API_STATE_FILE]);
    expect(
      log.some((l) => l.includes("another instance moved the file aside")),
    ).toBe(true);
  });

  it("never overwrites an earlier backup when the file comes back, and says an old web may still be running", async () => {
    const dir = home({ paused: { v_back: true } });
    writeFileSync(
      join(dir, IMPORTED_API_STATE_FILE),
      '{"paused":{"first":true}}',
    );
    await importApiStateFile(dir, state, (l) => log.push(l));
    expect(readFileSync(join(dir, IMPORTED_API_STATE_FILE), "utf8")).toBe(
      '{"paused":{"first":true}}',
    );
    const backups = readdirSync(dir).filter(
      (f) => f !== IMPORTED_API_STATE_FILE,
    );
    expect(backups).toHaveLength(1);
    expect(backups[0]).toMatch(/^api-state\.json\.imported\.\d{4}-/);
    expect(
      JSON.parse(readFileSync(join(dir, backups[0] ?? ""), "utf8")),
    ).toEqual({
      paused: { v_back: true },
    });
    expect(log.join("\n")).toContain("is back after an earlier import");
  });
});

describe("the import stops at a final refusal instead of waiting forever", () => {
  let restate: TemporaryRestate;
  let dir: string;

  beforeAll(async () => {
    restate = await startTemporaryRestate("poekhali-api-state-file-final-");
    // A deployment whose pause object fails every import for good (a terminal error: Restate answers 500).
    await restate.deploy([
      restate_.object({
        name: DAG_STATE_NAME,
        handlers: {
          importPaused: () =>
            Promise.reject(new restate_.TerminalError("the import is broken")),
        },
      }),
    ]);
    dir = mkdtempSync(join(tmpdir(), "poekhali-api-state-file-final-"));
    writeFileSync(
      join(dir, API_STATE_FILE),
      JSON.stringify({ paused: { f: true } }),
    );
  }, 60_000);
  afterAll(async () => {
    await restate?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("throws Restate's answer, naming the file, and leaves the file", async () => {
    const lines: string[] = [];
    await expect(
      importApiStateFile(
        dir,
        new ApiState(restate.ingress.url, restate.server),
        (l) => lines.push(l),
      ),
    ).rejects.toThrow(
      /importing .*api-state\.json into Restate: Restate answered 500: the import is broken/,
    );
    expect(lines).toEqual([]);
    expect(existsSync(join(dir, API_STATE_FILE))).toBe(true);
  });
});
