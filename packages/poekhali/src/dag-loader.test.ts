import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
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

  it("compiles every Dag of Airflow's TypeScript SDK a file constructs or serves, and reports a broken one", async () => {
    const sdk = join(folder, "sdk");
    mkdirSync(sdk);
    writeFileSync(
      join(sdk, "a_made.ts"),
      [
        'import { Dag } from "@poekhali/core/airflow";',
        'export const made = new Dag("sdk_made", { schedule: "@daily" });',
        'const north = made.task("north", () => 3);',
        'const total = made.task("total", ({ n }: { n: number }) => n + 1);',
        "total({ n: north() });",
        "",
      ].join("\n"),
    );
    writeFileSync(
      join(sdk, "b_served.ts"),
      [
        'import { Bundle, Dag } from "@poekhali/core/airflow";',
        'import { made } from "./a_made.js";',
        'const served = new Dag("sdk_served");',
        'served.task("only", () => "x")();',
        "await new Bundle(served, made).serve();",
        "",
      ].join("\n"),
    );
    writeFileSync(
      join(sdk, "c_cycle.ts"),
      [
        'import { Dag } from "@poekhali/core/airflow";',
        'const looped = new Dag("sdk_cycle");',
        'const a = looped.task("a", () => 1)();',
        'const b = looped.task("b", () => 2)();',
        "a.before(b);",
        "b.before(a);",
        "",
      ].join("\n"),
    );
    const { dags, files, errors, warnings } = await loadDags(sdk);
    expect([...dags.keys()]).toEqual(["sdk_made", "sdk_served"]);
    expect(files).toEqual(
      new Map([
        ["sdk_made", "a_made.ts"],
        ["sdk_served", "b_served.ts"],
      ]),
    );
    expect(
      dags.get("sdk_made")?.tasks.map((t) => [t.taskId, t.upstreamTaskIds]),
    ).toEqual([
      ["north", []],
      ["total", ["north"]],
    ]);
    expect(errors).toEqual([
      {
        path: join(sdk, "c_cycle.ts"),
        error: 'DAG "sdk_cycle": it has a cycle: a >> b >> a',
      },
    ]);
    expect(warnings).toEqual([
      'DAG "sdk_made": schedule "@daily" is ignored; poekhali runs it when triggered',
    ]);
  });

  it("finds nothing, without failing, in a folder that does not exist", async () => {
    expect(await loadDags(join(folder, "missing"))).toEqual({
      dags: new Map(),
      files: new Map(),
      errors: [],
      warnings: [],
    });
  });
});
