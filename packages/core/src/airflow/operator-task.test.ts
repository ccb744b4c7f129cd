import { describe, expect, it } from "vitest";
import { z } from "zod";
import { StaticConnections } from "../connections.js";
import type { Dag as CoreDag } from "../dag.js";
import { DagDefinitionError } from "../errors.js";
import type { Json } from "../json.js";
import { BaseOperator } from "../operator.js";
import { isParamRef } from "../params.js";
import { taskContext } from "../task-context.js";
import { isXComArg, resolveArgs, type Args } from "../xcom.js";
import {
  Dag,
  compileAirflowDag,
  operatorTask,
  param,
  type OperatorTask,
  type TaskRef,
} from "./index.js";

/** A provider's operator as core knows it: greets someone a number of times. */
interface GreetArgs {
  readonly name: string;
  readonly times?: number | null;
}
class GreetOperator extends BaseOperator<GreetArgs, { greeting: string }> {
  readonly title = "greet";
  constructor(options: { taskId: string }, args: Args<GreetArgs>) {
    super(options, args);
  }
  override execute(args: GreetArgs): Promise<{ greeting: string }> {
    return Promise.resolve({
      greeting: `${"hi ".repeat(args.times ?? 1)}${args.name}`,
    });
  }
}

/** What the provider exports for SDK DAGs. */
const greet = (): OperatorTask<GreetArgs, { greeting: string }> =>
  operatorTask<GreetArgs, { greeting: string }>(
    "operator",
    "GreetOperator",
    (core, args) => new GreetOperator(core, args),
  );

/** Runs a compiled DAG's operators one by one in its order, each with the outputs of those before it. */
async function runTasks(
  dag: CoreDag,
  conf: unknown = {},
): Promise<Map<string, Json>> {
  const params = dag.parseConf(conf);
  const outputs = new Map<string, Json>();
  const run = {
    dagId: dag.id,
    runId: "manual__1",
    logicalDate: new Date("2026-11-27T10:00:00.000Z"),
    params,
  };
  for (const task of dag.tasks) {
    const operator = task as BaseOperator<object, Json>;
    const args = resolveArgs<object>(task.args, { outputs, params });
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

describe("a provider's operator as dag.task(id, …)", () => {
  it("compiles to the provider's operator: references become edges, params stay params, literals stay literals", async () => {
    const sdk = new Dag("greetings", { params: { who: "world", times: 2 } });
    const name = sdk.task("name", () => "Анна")();
    const first = sdk.task(
      "first",
      greet(),
    )({
      name: param<string>("who"),
      times: param<number>("times"),
    });
    const second = sdk.task("second", greet(), { retries: 3 })({
      name,
      times: 1,
    });
    second.after(first);

    const { dag } = compileAirflowDag(sdk);
    const byId = new Map(dag.tasks.map((t) => [t.taskId, t]));
    const compiled = byId.get("second");
    expect(compiled).toBeInstanceOf(GreetOperator);
    expect((compiled as GreetOperator).retries).toBe(3);
    const args = compiled?.args as Args<GreetArgs>;
    expect(isXComArg(args.name) && args.name.taskId).toBe("name");
    expect(args.times).toBe(1);
    expect([...(compiled?.upstreamTaskIds ?? [])].sort()).toEqual([
      "first",
      "name",
    ]);
    const firstArgs = byId.get("first")?.args as Args<GreetArgs>;
    expect(isParamRef(firstArgs.name) && firstArgs.name.name).toBe("who");

    const outputs = await runTasks(dag, { who: "Борис" });
    expect(outputs.get("first")).toEqual({ greeting: "hi hi Борис" });
    expect(outputs.get("second")).toEqual({ greeting: "hi Анна" });
  });

  it("refuses a param the Dag does not declare, naming the input and the closest param", () => {
    const sdk = new Dag("typo", { params: { timeout: "6h" } });
    sdk.task("greet", greet())({ name: param<string>("tiemout") });
    expect(() => compileAirflowDag(sdk)).toThrow(DagDefinitionError);
    expect(() => compileAirflowDag(sdk)).toThrow(
      /input "name" of task "greet" reads param "tiemout".*did you mean "timeout"/,
    );
  });

  it("refuses a provider's task as the decider of a branch, which it cannot decide", () => {
    const sdk = new Dag("branching");
    const decider = sdk.task("greet", greet())({ name: "x" });
    sdk
      .if(decider as unknown as TaskRef<boolean>)
      .then(sdk.task("then", () => 1)());
    expect(() => compileAirflowDag(sdk)).toThrow(
      /task "greet" runs a provider's operator and cannot decide dag.if/,
    );
  });

  it("validates the conf with a param given as a zod schema, naming the field", () => {
    const sdk = new Dag("typed_params", {
      params: { who: z.string().min(2).default("world") },
    });
    sdk.task("greet", greet())({ name: param<string>("who") });
    const { dag } = compileAirflowDag(sdk);
    expect(dag.parseConf({})).toEqual({ who: "world" });
    expect(() => dag.parseConf({ who: "x" })).toThrow(/who/);
    expect(() => dag.parseConf({ whom: "x" })).toThrow(/did you mean "who"/);
  });

  it("warns that a sensor ignores retry options, and refuses a provider's task without an id", () => {
    const sdk = new Dag("sensing");
    const wait = operatorTask<GreetArgs, { greeting: string }>(
      "sensor",
      "GreetSensor",
      (core, args) => new GreetOperator({ taskId: core.taskId }, args),
    );
    sdk.task("wait", wait, { retries: 2 })({ name: "x" });
    expect(compileAirflowDag(sdk).warnings).toEqual([
      'DAG "sensing": option "retries" of task "wait" is ignored: GreetSensor waits, bounded by its timeout, and is not retried',
    ]);
    expect(() => (sdk.task as (op: unknown) => unknown)(greet())).toThrow(
      /a task run by GreetOperator needs an id/,
    );
  });

  // Type-checked by `npm run typecheck`: each @ts-expect-error must meet a real type error.
  it("types the inputs and the output as the operator's arguments and output", () => {
    const sdk = new Dag("typed_operator", { params: { who: "x" } });
    const word = sdk.task("word", () => "слово")();
    const count = sdk.task("count", () => 3)();
    const ok: TaskRef<{ greeting: string }> = sdk.task(
      "ok",
      greet(),
    )({
      name: word,
      times: count,
    });
    // @ts-expect-error the operator outputs an object, not a number
    const notNumber: TaskRef<number> = ok;
    // @ts-expect-error a number literal cannot feed the string argument `name`
    sdk.task("wrong_literal", greet())({ name: 42 });
    // @ts-expect-error a task returning a number cannot feed the string argument `name`
    sdk.task("wrong_ref", greet())({ name: count });
    // @ts-expect-error a boolean param cannot feed the string argument `name`
    sdk.task("wrong_param", greet())({ name: param<boolean>("who") });
    // @ts-expect-error `name` is required
    sdk.task("missing", greet())({ times: 2 });
    // @ts-expect-error an argument the operator does not take
    sdk.task("unknown", greet())({ name: "a", nmae: "b" });
    expect([ok.taskId, notNumber.taskId]).toEqual(["ok", "ok"]);
  });
});
