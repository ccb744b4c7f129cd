import { describe, expect, expectTypeOf, it } from "vitest";
import { ApprovalOperator } from "../../hitl/approval-operator.js";
import { HITLOperator } from "../../hitl/hitl-operator.js";
import { compileAirflowDag, Dag, NotSupportedYetError } from "../index.js";
import type { TaskRef } from "../nodes.js";
import { approval, hitl, type HITLResult } from "./index.js";

describe("hitl(...) and approval(...) of the SDK's …/hitl module", () => {
  it("compile to poekhali's HITL operators, with the inputs their texts read as upstream edges", () => {
    const dag = new Dag("sdk_hitl_compile");
    const build = dag.task("build", () => ({ version: "2.0" }))();
    const signOff = dag.task(
      "sign_off",
      approval({
        subject: ({ b }: { b: { version: string } }) => `Ship ${b.version}?`,
        defaults: "Reject",
        responseTimeout: 60,
        failOnReject: true,
      }),
      { retries: 2 },
    )({ b: build });
    expectTypeOf(signOff).toEqualTypeOf<TaskRef<HITLResult>>();
    const group = dag.taskGroup("ask");
    group
      .task(
        "region",
        hitl({
          subject: "Where?",
          options: ["eu", "us"],
          multiple: true,
          defaults: ["eu", "us"],
        }),
      )()
      .after(signOff);

    const { dag: core, warnings } = compileAirflowDag(dag);
    const approvalTask = core.task("sign_off");
    expect(approvalTask).toBeInstanceOf(ApprovalOperator);
    expect(approvalTask?.constructor.name).toBe("ApprovalOperator");
    expect(approvalTask?.upstreamTaskIds).toEqual(["build"]);
    expect(approvalTask).toMatchObject({
      options: ["Approve", "Reject"],
      defaults: ["Reject"],
      failOnReject: true,
      timeout: "60s",
      parkedState: "awaiting_input",
    });
    const region = core.task("ask.region");
    expect(region).toBeInstanceOf(HITLOperator);
    expect(region).toMatchObject({ multiple: true, defaults: ["eu", "us"] });
    expect(region?.upstreamTaskIds).toEqual(["sign_off"]);
    expect(warnings).toEqual([
      'DAG "sdk_hitl_compile": option "retries" of task "sign_off" is ignored: a task waiting for a person is not retried, and its wait ends at responseTimeout',
    ]);
  });

  it("refuses what Airflow's SDK refuses, naming the option", () => {
    expect(() => hitl({ subject: "x", options: [] })).toThrow(
      'hitl(...) needs "options": a non-empty array of non-empty strings',
    );
    expect(() => hitl({ subject: "x", options: ["a", "a"] })).toThrow(
      'lists "a" twice',
    );
    expect(() =>
      hitl({ subject: "x", options: ["a"], defaults: ["b"] }),
    ).toThrow('holds "b", which is not one of the options ["a"]');
    expect(() =>
      hitl({ subject: "x", options: ["a", "b"], defaults: ["a", "b"] }),
    ).toThrow('gives 2 defaults, but "multiple" is not set');
    expect(() => approval({ subject: "x", colour: "red" } as never)).toThrow(
      'approval(...) has an unknown option "colour"',
    );
    expect(() => approval({ subject: "" })).toThrow('needs a "subject"');
    expect(() => approval({ subject: "x", responseTimeout: 1.5 })).toThrow(
      '"responseTimeout" must be a positive whole number of seconds',
    );
    expect(() =>
      approval({ subject: "x", assignedUsers: [{ id: "", name: "n" }] }),
    ).toThrow('option "assignedUsers" holds');
    expect(() =>
      approval({ subject: "x", ignoreDownstreamTriggerRules: true }),
    ).toThrow(NotSupportedYetError);
    const dag = new Dag("sdk_hitl_refusals");
    expect(() => dag.task(approval({ subject: "x" }) as never)).toThrow(
      "a task waiting for a person needs an id",
    );
  });

  it("types the inputs its texts read, as dag.task types a handler's", () => {
    const dag = new Dag("sdk_hitl_types");
    const ask = dag.task(
      "ask",
      approval({ subject: ({ n }: { n: number }) => `Take ${n}?` }),
    );
    // @ts-expect-error the subject reads a number, not a string
    ask({ n: "three" });
    const plain = dag.task("plain", approval({ subject: "Go?" }));
    // @ts-expect-error a request whose texts read nothing takes no inputs
    plain({ n: 3 });
  });

  it("refuses a param whose value does not fit its own schema when the DAG compiles", () => {
    const dag = new Dag("sdk_hitl_param");
    dag.task(
      "ask",
      hitl({
        subject: "How many?",
        options: ["ok"],
        params: { n: { value: 0, schema: { type: "integer", minimum: 1 } } },
      }),
    )();
    expect(() => compileAirflowDag(dag)).toThrow(
      'task "ask": the value of param "n" must be ≥ 1',
    );
  });
});
