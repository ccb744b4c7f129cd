import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadDags } from "./dag-loader.js";

// Inside the package, so that the DAG files' imports resolve from the workspace's node_modules.
const folder = mkdtempSync(
  join(new URL(".", import.meta.url).pathname, "..", ".dags-test-"),
);
afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe("loadDags", () => {
  it("loads the DAGs it can and reports each broken file with its path and error", async () => {
    writeFileSync(
      join(folder, "good.ts"),
      'import { dag, task } from "@poekhali/core";\nexport const good = dag({ id: "good", schedule: null }, () => { task({ taskId: "t" }, () => 1, {}); });\n',
    );
    writeFileSync(
      join(folder, "broken.ts"),
      'throw new Error("this DAG file is broken");\n',
    );
    writeFileSync(
      join(folder, "good.test.ts"),
      "throw new Error('tests are not DAG files');\n",
    );
    const { dags, files, errors } = await loadDags(folder);
    expect([...dags.keys()]).toEqual(["good"]);
    expect(files).toEqual(new Map([["good", "good.ts"]]));
    expect(errors).toEqual([
      { path: join(folder, "broken.ts"), error: "this DAG file is broken" },
    ]);
  });

  it("finds nothing, without failing, in a folder that does not exist", async () => {
    expect(await loadDags(join(folder, "missing"))).toEqual({
      dags: new Map(),
      files: new Map(),
      errors: [],
    });
  });
});
