import { afterEach, describe, expect, it } from "vitest";
import { StaticConnections } from "../connections.js";
import type { Dag as CoreDag } from "../dag.js";
import { DagDefinitionError } from "../errors.js";
import type { Json } from "../json.js";
import { BaseOperator } from "../operator.js";
import { taskContext } from "../task-context.js";
import { resolveArgs } from "../xcom.js";
import {
  Bundle,
  Dag,
  TaskHandler,
  VariableNotFoundError,
  collectAirflowDags,
  compileAirflowDag,
  getClient,
  getContext,
  type TaskContext,
} from "./index.js";

interface RegionRows {
  readonly region: string;
  readonly rows: number;
}

/** Runs a compiled DAG's operators one by one in its order, each with the outputs of those before it. */
async function runTasks(
  dag: CoreDag,
  conf: unknown = {},
  runId = "manual__1",
): Promise<Map<string, Json>> {
  const params = dag.parseConf(conf);
  const outputs = new Map<string, Json>();
  const run = {
    dagId: dag.id,
    runId,
    logicalDate: new Date("2026-11-27T10:00:00.000Z"),
    params,
  };
  for (const task of dag.tasks) {
    if (!(task instanceof BaseOperator)) throw new Error("not an operator");
    const operator = task as BaseOperator<object, Json>;
    const args = resolveArgs(task.args, { outputs, params }) as object;
    const context = taskContext(
      { connections: new StaticConnections([]) },
      run,
      task.taskId,
      1,
    );
    outputs.set(task.taskId, await operator.execute(args, context));
  }
  return outputs;
}

const upstreamOf = (dag: CoreDag) =>
  Object.fromEntries(
    dag.tasks.map((t) => [t.taskId, [...t.upstreamTaskIds].sort()]),
  );

describe("the SDK's Dag compiled to a poekhali DAG", () => {
  it("wires named inputs as edges and passes the upstream values to the handler", async () => {
    const dag = new Dag("regions_fan_in", { description: "two regions" });
    const north = dag.task("north", (): RegionRows => ({
      region: "north",
      rows: 3,
    }));
    const south = dag.task("south", (): RegionRows => ({
      region: "south",
      rows: 4,
    }));
    const summarize = dag.task(
      "summarize",
      ({ n, s, label }: { n: RegionRows; s: RegionRows; label: string }) =>
        `${label}: ${n.rows + s.rows}`,
    );
    summarize({ n: north(), s: south(), label: "total" });

    const { dag: compiled } = compileAirflowDag(dag);
    expect(compiled.id).toBe("regions_fan_in");
    expect(compiled.description).toBe("two regions");
    expect(upstreamOf(compiled)).toEqual({
      north: [],
      south: [],
      summarize: ["north", "south"],
    });
    const outputs = await runTasks(compiled);
    expect(outputs.get("summarize")).toBe("total: 7");
  });

  it("prefixes the ids of a group's tasks, and a group at one end of an edge stands for all its tasks", () => {
    const dag = new Dag("grouped");
    const extract = dag.taskGroup("extract");
    const inner = extract.taskGroup("eu");
    const north = extract.task("north", () => 1);
    const west = inner.task("west", () => 2);
    const report = dag.task("report", () => "done");
    north();
    west();
    const reported = report();
    extract.before(reported);

    expect(dag.taskIds).toEqual(["extract.north", "extract.eu.west", "report"]);
    const { dag: compiled } = compileAirflowDag(dag);
    expect(upstreamOf(compiled)).toEqual({
      "extract.north": [],
      "extract.eu.west": [],
      report: ["extract.eu.west", "extract.north"],
    });
  });

  it("keeps the ids declared in a group with prefixGroupId: false, as Python's prefix_group_id=False", () => {
    const dag = new Dag("unprefixed");
    const flat = dag.taskGroup("flat", { prefixGroupId: false });
    flat.task("one", () => 1)();
    flat.taskGroup("inner").task("two", () => 2)();
    expect(dag.taskIds).toEqual(["one", "inner.two"]);
    expect(() => dag.taskGroup("x", { prefix: false } as never)).toThrow(
      'unknown option "prefix" for task group "x"',
    );
  });

  it("draws order-only edges with before() and after(), and a downstream reads an upstream's value with getXCom", async () => {
    const dag = new Dag("ordered");
    const load = dag.task("load", () => ({ loaded: 5 }));
    const clean = dag.task("clean", async () => {
      const loaded = await getClient().getXCom<{ loaded: number }>({
        key: "return_value",
        taskId: "load",
      });
      return loaded?.loaded ?? -1;
    });
    const notify = dag.task("notify", () => "sent");
    const loaded = load();
    const cleaned = clean().after(loaded);
    cleaned.before(notify());

    const { dag: compiled } = compileAirflowDag(dag);
    expect(upstreamOf(compiled)).toEqual({
      load: [],
      clean: ["load"],
      notify: ["clean"],
    });
    const outputs = await runTasks(compiled);
    expect(outputs.get("clean")).toBe(5);
  });

  it("turns retries, retry delay and execution timeout (seconds, as the SDK gives them) into the operator's", () => {
    const dag = new Dag("options");
    dag.task("flaky", () => 1, {
      retries: 3,
      retryDelay: 10,
      executionTimeout: 2.5,
    })();
    dag.task("plain", () => 2)();
    const { dag: compiled } = compileAirflowDag(dag);
    const flaky = compiled.task("flaky") as BaseOperator<object, Json>;
    const plain = compiled.task("plain") as BaseOperator<object, Json>;
    expect(flaky.retries).toBe(3);
    expect(flaky.retryDelayAfter(1)).toBe(10_000);
    expect(flaky.executionTimeout).toBe("2.5s");
    expect(plain.retries).toBe(0);
    // Airflow's default retry delay: 300 seconds.
    expect(plain.retryDelayAfter(1)).toBe(300_000);
    expect(plain.executionTimeout).toBeNull();
  });

  it("gives a handler its context through getContext(): dag, run, task, try, logical date and params", async () => {
    const dag = new Dag("context", { params: { greeting: "hello" } });
    const group = dag.taskGroup("g");
    let seen: TaskContext | undefined;
    group.task("look", async () => {
      await Promise.resolve();
      seen = getContext();
      return null;
    })();
    const { dag: compiled } = compileAirflowDag(dag);
    await runTasks(compiled, { greeting: "привет" }, "manual__ctx");
    expect(seen).toMatchObject({
      dagId: "context",
      runId: "manual__ctx",
      taskId: "g.look",
      tryNumber: 1,
      mapIndex: -1,
      params: { greeting: "привет" },
    });
    expect(seen?.logicalDate.toISOString()).toBe("2026-11-27T10:00:00.000Z");
    expect(() => getContext()).toThrow(
      /getContext\(\) is only available inside a task handler/,
    );
  });
});

describe("getClient() Variables", () => {
  const names = ["AIRFLOW_VAR_NORTH_ROWS", "AIRFLOW_VAR_REGION_CONFIG"];
  afterEach(() => {
    for (const name of names) Reflect.deleteProperty(process.env, name);
  });

  it("reads AIRFLOW_VAR_<KEY> as Airflow does: the raw string, JSON left to the caller, null when missing", async () => {
    process.env.AIRFLOW_VAR_NORTH_ROWS = "7";
    process.env.AIRFLOW_VAR_REGION_CONFIG = '{"regions":["north","south"]}';
    const dag = new Dag("variables");
    dag.task("read", async () => {
      const client = getClient();
      const rows = await client.getVariable("north_rows");
      const config = await client.getVariable("region_config");
      const missing = await client.getVariable("no_such_variable");
      return {
        rows,
        regions: (JSON.parse(config ?? "null") as { regions: string[] })
          .regions,
        missing,
      };
    })();
    const outputs = await runTasks(compileAirflowDag(dag).dag);
    expect(outputs.get("read")).toEqual({
      rows: "7",
      regions: ["north", "south"],
      missing: null,
    });
  });

  it("fails getVariableOrThrow on a missing Variable with Airflow's VariableNotFoundError", async () => {
    const dag = new Dag("missing_variable");
    dag.task("read", () =>
      getClient().getVariableOrThrow("no_such_variable"),
    )();
    const failure = await runTasks(compileAirflowDag(dag).dag).catch(
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(VariableNotFoundError);
    expect(failure).toMatchObject({
      name: "VariableNotFoundError",
      key: "no_such_variable",
      message: "Variable not found: no_such_variable",
    });
  });
});

describe("getClient() XCom", () => {
  it("refuses to write the returned value's key, and keyed XCom where no worker keeps it, saying why", async () => {
    const dag = new Dag("xcom_refusals");
    const errors: string[] = [];
    dag.task("write", async () => {
      const client = getClient();
      for (const attempt of [
        () => client.setXCom({ key: "return_value", value: 1 }),
        () => client.setXCom({ key: "total", value: 1 }),
        () => client.getXCom({ key: "total" }),
        () => client.getXCom({ key: "return_value", taskId: "elsewhere" }),
      ])
        await attempt().catch((e: unknown) => errors.push(String(e)));
      return null;
    })();
    await runTasks(compileAirflowDag(dag).dag);
    expect(errors).toEqual([
      'Error: setXCom: "return_value" is what the task\'s handler returns; return the value instead',
      'NotSupportedYetError: setXCom with key "total" outside a worker (no XCom store in this runtime) is not supported by poekhali yet',
      'NotSupportedYetError: getXCom with key "total" outside a worker (no XCom store in this runtime) is not supported by poekhali yet',
      'Error: getXCom: task "elsewhere" is not upstream of "write", so its "return_value" is not known to be written yet; pass it as an input or draw an edge with .after()',
    ]);
  });
});

describe("what the DAG loader is told", () => {
  it("collects every Dag constructed while a file loads, and the ones a Bundle serves", async () => {
    const earlier = new Dag("made_before");
    earlier.task("t", () => 1)();
    const { dags } = await collectAirflowDags(async () => {
      const made = new Dag("made_during");
      made.task("t", () => 1)();
      await new Bundle(made, earlier).serve();
    });
    expect(dags.map((d) => d.dagId)).toEqual(["made_during", "made_before"]);
  });

  it("refuses a task that is never called, a task called twice, a cycle and an unknown option, naming each", () => {
    const uncalled = new Dag("uncalled");
    uncalled.task("lonely", () => 1);
    expect(() => compileAirflowDag(uncalled)).toThrow(
      'DAG "uncalled": task "lonely" is never called',
    );

    const twice = new Dag("twice");
    const once = twice.task("once", () => 1);
    once();
    expect(() => once()).toThrow(/task "once" was already called/);

    const cyclic = new Dag("cyclic");
    const a = cyclic.task("a", () => 1)();
    const b = cyclic.task("b", () => 2)();
    a.before(b);
    b.before(a);
    expect(() => compileAirflowDag(cyclic)).toThrow(
      'DAG "cyclic": it has a cycle: a >> b >> a',
    );

    expect(
      () =>
        new Dag("typo", { sheduel: "@daily" } as unknown as {
          schedule: string;
        }),
    ).toThrow('unknown option "sheduel"');
    expect(() =>
      new Dag("typo_task").task("t", () => 1, {
        retires: 2,
      } as unknown as { retries: number }),
    ).toThrow(DagDefinitionError);
  });

  it("compiles trigger rules and branches onto the runner, and refuses a branch without its sides", () => {
    const rules = new Dag("rules");
    rules.task("cleanup", () => null, { triggerRule: "all_done" })();
    expect(compileAirflowDag(rules).dag.task("cleanup")?.triggerRule).toBe(
      "all_done",
    );
    const typo = new Dag("rule_typo");
    typo.task("cleanup", () => null, {
      triggerRule: "al_done" as "all_done",
    })();
    expect(() => compileAirflowDag(typo)).toThrow(
      /"al_done" is not a trigger rule \(did you mean "all_done"\?\)/,
    );

    const branches = new Dag("branches");
    const gate = branches.task("gate", () => true)();
    const yes = branches.task("yes", () => 1)();
    const no = branches.task("no", () => 2)();
    branches.if(gate).then(yes).else(no);
    const compiled = compileAirflowDag(branches).dag;
    expect(compiled.task("yes")?.upstreamTaskIds).toEqual(["gate"]);
    expect(compiled.task("gate")?.follow(true)).toEqual(["yes"]);
    expect(compiled.task("gate")?.follow(false)).toEqual(["no"]);
    expect(() => branches.switch(gate)).toThrow(
      'task "gate" already decides a branch; one task decides one branch',
    );
    const empty = new Dag("empty_switch");
    empty.switch(empty.task("pick", () => null)());
    expect(() => compileAirflowDag(empty)).toThrow(
      'dag.switch(...) of task "pick" has no case',
    );
    expect(
      branches.triggerDagRun({ taskId: "go", dagId: "other" }).taskId,
    ).toBe("go");
    expect(() =>
      branches.triggerDagRun({
        taskId: "reset",
        dagId: "other",
        resetDagRun: true,
      }),
    ).toThrow(/resetDagRun of dag\.triggerDagRun/);
    expect(() =>
      branches.triggerDagRun({
        taskId: "typo",
        dagId: "other",
        waitForCompletoin: true,
      } as never),
    ).toThrow('unknown option "waitForCompletoin"');
    expect(() => new TaskHandler("d", "t")).toThrow(
      "TaskHandler (a TypeScript handler for a task a Python DAG declares) is not supported by poekhali yet",
    );
  });

  it("warns once per feature it accepts but ignores, naming the DAG", () => {
    const dag = new Dag("scheduled", {
      schedule: "@daily",
      catchup: false,
      queue: "typescript",
    });
    dag.task("t", () => 1, { pool: "small" })();
    expect(compileAirflowDag(dag).warnings).toEqual([
      'DAG "scheduled": schedule "@daily" is ignored; poekhali runs it when triggered',
      'DAG "scheduled": option "catchup" is ignored',
      'DAG "scheduled": option "queue" is ignored',
      'DAG "scheduled": option "pool" of task "t" is ignored',
    ]);
  });

  it("types inputs as the SDK does: a literal of the wrong type, or a missing input, is a compile error", () => {
    const dag = new Dag("typed");
    const count = dag.task("count", (): number => 3);
    const double = dag.task("double", ({ n }: { n: number }) => n * 2);
    const triple = dag.task("triple", ({ n }: { n: number }) => n * 3);
    const none = dag.task("none", () => 0);
    double({ n: count() });
    // @ts-expect-error a string literal cannot feed a number input
    triple({ n: "three" });
    // @ts-expect-error every input must be given
    expect(() => double({})).toThrow(/already called/);
    // @ts-expect-error a task without arguments takes no inputs
    none({ n: 1 });
  });
});
