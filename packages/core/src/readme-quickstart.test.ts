import { connect, createServer } from "node:http2";
import type { AddressInfo } from "node:net";
import { createEndpointHandler } from "@restatedev/restate-sdk";
import { expect, it } from "vitest";
import { z } from "zod";
import {
  BaseOperator,
  StaticConnections,
  dag,
  dagWorkflow,
  task,
  taskContext,
} from "./index.js";
import type { Args, BaseOperatorOptions, TaskContext } from "./index.js";

// The README's quickstart, step for step (port 0 instead of 9080); a real run is e2e/consumer.e2e.test.ts.
class Greet extends BaseOperator<{ name: string }, string> {
  readonly title = "greet someone";
  constructor(options: BaseOperatorOptions & Args<{ name: string }>) {
    super(options, { name: options.name });
  }
  // eslint-disable-next-line @typescript-eslint/require-await -- as the README writes it
  override async execute({ name }: { name: string }, context: TaskContext) {
    context.log.info(`greeting ${name}`);
    return `Привет, ${name}!`;
  }
}

const hello = dag(
  {
    id: "hello",
    schedule: null,
    params: z.object({ name: z.string().default("мир") }),
  },
  ({ params }) => {
    const greeting = new Greet({
      taskId: "greet",
      name: params.name,
      retries: 2,
    });
    task(
      { taskId: "shout" },
      ({ text }: { text: string }) => text.toUpperCase(),
      { text: greeting.output },
    );
  },
);

it("runs the README quickstart: the DAG builds, its tasks run, and the endpoint offers its workflow", async () => {
  const endpoint = createEndpointHandler({
    services: [dagWorkflow(hello, { connections: new StaticConnections([]) })],
  });
  const server = createServer(endpoint);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));

  expect(hello.tasks.map((t) => [t.taskId, t.upstreamTaskIds])).toEqual([
    ["greet", []],
    ["shout", ["greet"]],
  ]);
  const params = hello.parseConf({ name: "Анна" });
  const run = {
    dagId: "hello",
    runId: "run_1",
    logicalDate: new Date(),
    params,
  };
  const kept: string[] = [];
  const greet = hello.task("greet") as Greet;
  const greeting = await greet.execute(
    { name: params.name },
    taskContext(
      { connections: new StaticConnections([]) },
      run,
      "greet",
      1,
      undefined,
      kept,
    ),
  );
  expect(greeting).toBe("Привет, Анна!");
  expect(kept.join("\n")).toContain("INFO greeting Анна");
  expect(greet.retries).toBe(2);

  // What restate-server asks an endpoint when it is registered.
  const client = connect(
    `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
  );
  const manifest = await new Promise<string>((resolve, reject) => {
    const req = client.request({
      ":path": "/discover",
      accept: "application/vnd.restate.endpointmanifest.v3+json",
    });
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => resolve(body));
    req.on("error", reject);
    req.end();
  });
  client.close();
  server.close();
  const services = (
    JSON.parse(manifest) as {
      services: { name: string; ty: string; handlers: { name: string }[] }[];
    }
  ).services;
  expect(
    services.map((s) => [s.name, s.ty, s.handlers.map((h) => h.name).sort()]),
  ).toEqual([["hello", "WORKFLOW", ["logs", "run", "status", "xcom"]]]);
});
