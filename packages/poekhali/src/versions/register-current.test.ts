import * as restate from "@restatedev/restate-sdk";
import { createEndpointHandler } from "@restatedev/restate-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { choosePort } from "../ports.js";
import {
  startTemporaryRestate,
  type TemporaryRestate,
} from "../restate/temporary-restate.js";
import {
  serveEndpoint,
  type ServedEndpoint,
} from "../worker/serve-endpoint.js";
import { registerCurrent } from "./register-current.js";

const before = restate.service({
  name: "Greeter",
  handlers: { greet: async () => Promise.resolve("hello") },
});
const after = restate.service({
  name: "Greeter",
  handlers: {
    greet: async () => Promise.resolve("hello"),
    wave: async () => Promise.resolve("o/"),
  },
});
const handlers = {
  before: createEndpointHandler({ services: [before] }),
  after: createEndpointHandler({ services: [after] }),
};

describe("registerCurrent", () => {
  let server: TemporaryRestate;
  let endpoint: ServedEndpoint;
  // One URI whose code changes under it, as a provider upgrade under unchanged DAG files does.
  let serving: keyof typeof handlers = "before";
  const handlersAt = async (uri: string) =>
    (await server.server.register(uri)).services.flatMap((s) => s.handlers);

  beforeAll(async () => {
    server = await startTemporaryRestate("poekhali-register-");
    endpoint = await serveEndpoint(
      (req, res) => {
        // What a worker answers for a version it does not serve.
        if (req.url.startsWith("/v/ffffffffffff/"))
          return void res.writeHead(404).end("not this version");
        handlers[serving](req, res);
      },
      { port: await choosePort(0) },
    );
  });
  afterAll(async () => {
    await endpoint?.stop();
    await server?.stop();
  });

  it("registers a new URI, and an unchanged one again without a word", async () => {
    const lines: string[] = [];
    await registerCurrent(server.server, endpoint.url, (l) => lines.push(l), {
      force: false,
    });
    await registerCurrent(server.server, endpoint.url, (l) => lines.push(l), {
      force: false,
    });
    expect(lines).toEqual([]);
    expect(await handlersAt(endpoint.url)).toEqual(["greet"]);
  });

  it("refuses the same URI serving other handlers without force, naming --force, and keeps the old deployment", async () => {
    serving = "after";
    const lines: string[] = [];
    await expect(
      registerCurrent(server.server, endpoint.url, (l) => lines.push(l), {
        force: false,
      }),
    ).rejects.toThrow(/other services or handlers.*register --force/s);
    expect(lines).toEqual([]);
    expect(await handlersAt(endpoint.url)).toEqual(["greet"]);
  });

  it("replaces it with force, with a warning", async () => {
    const lines: string[] = [];
    await registerCurrent(server.server, endpoint.url, (l) => lines.push(l), {
      force: true,
    });
    expect(lines).toEqual([
      expect.stringContaining("changed without a change to the DAG files"),
    ]);
    expect([...(await handlersAt(endpoint.url))].sort()).toEqual([
      "greet",
      "wave",
    ]);
  });

  it("never forces past another refusal (a worker that does not serve the version)", async () => {
    const lines: string[] = [];
    await expect(
      registerCurrent(
        server.server,
        `${endpoint.url}/v/ffffffffffff`,
        (l) => lines.push(l),
        { force: true },
      ),
    ).rejects.toThrow(/Restate refused to register/);
    expect(lines).toEqual([]);
  });
});
