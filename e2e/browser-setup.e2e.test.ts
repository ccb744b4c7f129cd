import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SETUP = fileURLToPath(new URL("./browser-setup.ts", import.meta.url));
// A PATH with node and nothing else: no apt-get, no sudo, as on a machine that cannot install packages unattended.
const bare = mkdtempSync(join(tmpdir(), "poekhali-bare-path-"));
symlinkSync(process.execPath, join(bare, "node"));

/** Runs `npm test`'s first step as npm runs it, with Chromium looked for at `chromium`. */
function setup(chromium: string, path: string) {
  return spawnSync(process.execPath, ["--import", "tsx", SETUP], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 60_000,
    env: {
      PATH: path,
      HOME: process.env.HOME ?? ROOT,
      POEKHALI_TEST_CHROMIUM_PATH: chromium,
    },
  });
}

describe("npm test's browser set-up", () => {
  afterAll(() => rmSync(bare, { recursive: true, force: true }));

  it("goes on quietly when Chromium is there", () => {
    const run = setup(
      "/usr/bin/chromium",
      `${bare}:${dirname(process.execPath)}`,
    );
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
  });

  it("stops at once, naming the command that installs Chromium, when it is missing and cannot be installed", () => {
    const missing = join(bare, "no-chromium-here");
    const started = Date.now();
    const run = setup(missing, bare);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`Chromium at ${missing}`);
    expect(run.stderr).toContain("sudo apt-get install -y chromium");
    expect(Date.now() - started).toBeLessThan(30_000);
  });
});
