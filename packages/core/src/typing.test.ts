import { describe, expect, it } from "vitest";
import { z } from "zod";
import { dag } from "./dag.js";
import { task } from "./function-operator.js";
import { template, type XComArg } from "./xcom.js";

// These DAGs are type-checked by `npm run typecheck`: each @ts-expect-error must meet a real type error.
describe("typed edges", () => {
  it("carries a task's output type to the tasks that take it", () => {
    dag(
      {
        id: "typed",
        schedule: null,
        params: z.object({ name: z.string(), times: z.number().default(1) }),
      },
      ({ params }) => {
        const count = task({ taskId: "count" }, () => 3, {});
        const word = task({ taskId: "word" }, () => "три", {});
        const asNumber: XComArg<number> = count.output;
        // @ts-expect-error a number output is not a string output
        const asString: XComArg<string> = count.output;
        expect([asNumber.taskId, asString.taskId]).toEqual(["count", "count"]);

        task(
          { taskId: "ok" },
          ({ n, s }: { n: number; s: string }) => `${s}${n}`,
          { n: count.output, s: params.name },
        );
        task({ taskId: "wrong_output" }, ({ n }: { n: number }) => n, {
          // @ts-expect-error a string output cannot feed a number argument
          n: word.output,
        });
        task({ taskId: "wrong_param" }, ({ s }: { s: string }) => s, {
          // @ts-expect-error a number param cannot feed a string argument
          s: params.times,
        });
        // @ts-expect-error every argument must be given
        task({ taskId: "missing" }, ({ n }: { n: number }) => n, {});
        task({ taskId: "wrong_template" }, ({ n }: { n: number }) => n, {
          // @ts-expect-error a template renders a string, not the number the argument wants
          n: template(({ s }: { s: string }) => s, { s: word.output }),
        });
        task({ taskId: "unknown_param" }, ({ s }: { s: string }) => s, {
          // @ts-expect-error params the schema does not declare do not exist
          s: params.nope,
        });
      },
    );
  });
});
