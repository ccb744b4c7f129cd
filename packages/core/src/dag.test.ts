import { describe, expect, it } from "vitest";
import { z } from "zod";
import { dag } from "./dag.js";
import { ConfError, DagDefinitionError } from "./errors.js";
import { task } from "./function-operator.js";
import { BaseOperator } from "./operator.js";
import { resolveArgs, template } from "./xcom.js";

describe("dag()", () => {
  it("orders tasks so that every task comes after the tasks whose output it takes", () => {
    const d = dag({ id: "order", schedule: null }, () => {
      const a = task({ taskId: "a" }, () => 1, {});
      const b = task({ taskId: "b" }, () => 2, {});
      task({ taskId: "sum" }, ({ x, y }: { x: number; y: number }) => x + y, {
        x: a.output,
        y: b.output,
      });
    });
    expect(d.tasks.map((t) => t.taskId)).toEqual(["a", "b", "sum"]);
    expect(d.task("sum")?.upstreamTaskIds).toEqual(["a", "b"]);
  });

  it("refuses two tasks with the same id, naming the DAG and the id", () => {
    expect(() =>
      dag({ id: "dupes", schedule: null }, () => {
        task({ taskId: "same" }, () => 1, {});
        task({ taskId: "same" }, () => 2, {});
      }),
    ).toThrow(new DagDefinitionError("dupes", 'two tasks have the id "same"'));
  });

  it("refuses an edge to a task outside the DAG", () => {
    const outside = task({ taskId: "outside" }, () => 1, {});
    expect(() =>
      dag({ id: "stray", schedule: null }, () => {
        task({ taskId: "inside" }, ({ v }: { v: number }) => v, {
          v: outside.output,
        });
      }),
    ).toThrow(/uses "outside", which is not in this DAG/);
  });

  it("gives defaultArgs to the operators that do not set their own", () => {
    const d = dag(
      {
        id: "defaults",
        schedule: null,
        defaultArgs: { retries: 3, retryDelay: "1s", executionTimeout: "2m" },
      },
      () => {
        task({ taskId: "inherits" }, () => 1, {});
        task({ taskId: "overrides", retries: 0 }, () => 2, {});
      },
    );
    const operator = (taskId: string) => {
      const t = d.task(taskId);
      if (!(t instanceof BaseOperator))
        throw new Error(`${taskId} is not an operator`);
      return t;
    };
    expect([
      operator("inherits").retries,
      operator("inherits").retryDelay,
      operator("inherits").executionTimeout,
    ]).toEqual([3, "1s", "2m"]);
    expect([
      operator("overrides").retries,
      operator("overrides").retryDelay,
    ]).toEqual([0, "1s"]);
    expect(task({ taskId: "outside" }, () => 3, {}).retries).toBe(0);
  });

  it("refuses a task id with characters Airflow does not allow", () => {
    expect(() => task({ taskId: "has space" }, () => 1, {})).toThrow(
      /taskId "has space"/,
    );
  });

  it("fills param defaults and names the field of a bad conf", () => {
    const d = dag(
      {
        id: "params",
        schedule: null,
        params: z.object({
          text: z.string().default("hi"),
          n: z.number().int(),
        }),
      },
      () => undefined,
    );
    expect(d.parseConf({ n: 2 })).toEqual({ text: "hi", n: 2 });
    const error = (() => {
      try {
        d.parseConf({ n: "two" });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConfError);
    expect((error as ConfError).field).toBe("n");
    expect((error as ConfError).message).toContain('"n"');
  });

  it("renders a template from outputs and params when its task runs, with the edges of its inputs", () => {
    const d = dag(
      {
        id: "templated",
        schedule: null,
        params: z.object({ greeting: z.string().default("привет") }),
      },
      ({ params }) => {
        const name = task({ taskId: "name" }, () => "Анна", {});
        task({ taskId: "greet" }, ({ line }: { line: string }) => line, {
          line: template(
            ({ who, word }: { who: string; word: string }) =>
              `${word}, ${who}!`,
            { who: name.output, word: params.greeting },
          ),
        });
      },
    );
    const greet = d.task("greet")!;
    expect(greet.upstreamTaskIds).toEqual(["name"]);
    expect(
      resolveArgs(greet.args, {
        outputs: new Map([["name", "Анна"]]),
        params: { greeting: "привет" },
      }),
    ).toEqual({ line: "привет, Анна!" });
  });

  it("resolves params and upstream outputs into a task's arguments", () => {
    let greet:
      | ReturnType<typeof task<{ name: string; punctuation: string }, string>>
      | undefined;
    dag(
      { id: "resolve", schedule: null, params: z.object({ name: z.string() }) },
      ({ params }) => {
        const mark = task({ taskId: "mark" }, () => "!", {});
        greet = task(
          { taskId: "greet" },
          ({ name, punctuation }: { name: string; punctuation: string }) =>
            `hi ${name}${punctuation}`,
          {
            name: params.name,
            punctuation: mark.output,
          },
        );
      },
    );
    const args = resolveArgs(greet!.args, {
      outputs: new Map([["mark", "!"]]),
      params: { name: "Анна" },
    });
    expect(args).toEqual({ name: "Анна", punctuation: "!" });
  });
});
