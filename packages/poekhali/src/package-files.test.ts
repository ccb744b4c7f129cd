import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

// The package's own folder, whose package.json `files` decides what npm publishes.
const PACKAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), "..");

describe("the published poekhali package", () => {
  it("ships no tests and no test helper (whose auth secret is public)", () => {
    const [packed] = JSON.parse(
      execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
        cwd: PACKAGE_DIR,
        encoding: "utf8",
      }),
    ) as [{ files: { path: string }[] }];
    const paths = packed.files.map((f) => f.path);
    // What it must ship, so an empty list cannot pass.
    expect(paths).toContain("src/cli.ts");
    expect(paths).toContain("bin/poekhali.js");
    expect(
      paths.filter(
        (p) => p.endsWith(".test.ts") || p.includes("test-web-stack"),
      ),
    ).toEqual([]);
  }, 60_000);
});
