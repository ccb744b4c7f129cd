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

  it("collects the Restate services DAG files export, and refuses a name taken by another file, a DAG or poekhali", async () => {
    const own = join(folder, "services");
    mkdirSync(own);
    const object = (name: string) =>
      `restate.object({ name: "${name}", handlers: { fire: async (ctx: restate.ObjectContext) => { ctx.clear("x"); } } })`;
    const head = [
      'import * as restate from "@restatedev/restate-sdk";',
      'import { dag, task } from "@poekhali/core";',
    ];
    writeFileSync(
      join(own, "a_events.ts"),
      [
        ...head,
        `export const events = ${object("my_events")};`,
        'export const pings = restate.service({ name: "my_pings", handlers: { ping: async () => "pong" } });',
        'export const flow = restate.workflow({ name: "my_flow", handlers: { run: async () => 1 } });',
        'export const uses = dag({ id: "uses_events", schedule: null }, () => { task({ taskId: "t" }, () => 1, {}); });',
        "",
      ].join("\n"),
    );
    // Re-exporting the same definition is no clash.
    writeFileSync(
      join(own, "b_reexport.ts"),
      'export { events } from "./a_events.js";\n',
    );
    writeFileSync(
      join(own, "c_twice.ts"),
      [
        ...head,
        `export const again = ${object("my_events")};`,
        'export const fine = dag({ id: "c_fine", schedule: null }, () => { task({ taskId: "t" }, () => 1, {}); });',
        "",
      ].join("\n"),
    );
    writeFileSync(
      join(own, "d_dag_id.ts"),
      [...head, `export const clash = ${object("uses_events")};`, ""].join(
        "\n",
      ),
    );
    writeFileSync(
      join(own, "e_ours.ts"),
      [...head, `export const router = ${object("telegram_router")};`, ""].join(
        "\n",
      ),
    );
    writeFileSync(
      join(own, "e_ours_hitl.ts"),
      [...head, `export const hitl = ${object("telegram_hitl")};`, ""].join(
        "\n",
      ),
    );
    writeFileSync(
      join(own, "f_dag_named_like_service.ts"),
      [
        ...head,
        'export const d = dag({ id: "my_pings", schedule: null }, () => { task({ taskId: "t" }, () => 1, {}); });',
        "",
      ].join("\n"),
    );
    const { dags, services, errors } = await loadDags(own);
    expect([...dags.keys()]).toEqual(["uses_events"]);
    expect([...services.keys()]).toEqual(["my_events", "my_pings", "my_flow"]);
    expect(errors).toEqual([
      {
        path: join(own, "c_twice.ts"),
        error:
          'Restate service "my_events" is exported by a_events.ts and by c_twice.ts; rename one of them',
      },
      {
        path: join(own, "d_dag_id.ts"),
        error:
          'Restate service "uses_events" exported by d_dag_id.ts has the id of a DAG of a_events.ts; rename one of them',
      },
      {
        path: join(own, "e_ours.ts"),
        error:
          'Restate service "telegram_router" exported by e_ours.ts has the name of one of poekhali\'s own services; rename it',
      },
      {
        path: join(own, "e_ours_hitl.ts"),
        error:
          'Restate service "telegram_hitl" exported by e_ours_hitl.ts has the name of one of poekhali\'s own services; rename it',
      },
      {
        path: join(own, "f_dag_named_like_service.ts"),
        error:
          'DAG "my_pings" of f_dag_named_like_service.ts has the name of a Restate service exported by a_events.ts; rename one of them',
      },
    ]);
  });

  it("finds nothing, without failing, in a folder that does not exist", async () => {
    expect(await loadDags(join(folder, "missing"))).toEqual({
      dags: new Map(),
      files: new Map(),
      services: new Map(),
      errors: [],
      warnings: [],
    });
  });
});
