import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { ApiState } from "../api-state.js";
import { SimpleAuth } from "../auth/simple-auth.js";
import { DagRuns } from "../dag-runs.js";
import { EventLog } from "../event-log.js";
import { Variables } from "../variables.js";
import { gate } from "../gate.js";
import * as contract from "./airflow-v2-contract.js";
import { openApiRoutes, v2OpenApiDocument } from "./openapi.js";
import { v2Api } from "./v2-api.js";

/** `GET /api/v2/dags/{dag_id}` and `GET /api/v2/dags/:dag_id` alike: `GET /api/v2/dags/{}`. */
const shape = (method: string, path: string) =>
  `${method.toUpperCase()} ${path.replace(/\{\w+\}|:\w+(\{[^}]*\})?/g, "{}")}`;

/** Every `$ref` in a JSON value. */
function refs(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(refs);
  if (typeof value !== "object" || value === null) return [];
  return Object.entries(value).flatMap(([key, inner]) =>
    key === "$ref" && typeof inner === "string" ? [inner] : refs(inner),
  );
}

describe("the OpenAPI document of /api/v2", () => {
  const doc = v2OpenApiDocument();

  it("describes exactly the routes /api/v2 serves, no more and no fewer", () => {
    const served = v2Api({
      dags: new Map(),
      // Routes are only built here, never called: nothing reaches Restate.
      runs: new DagRuns({} as never, {} as never),
      state: new ApiState("http://127.0.0.1:1", {} as never),
      source: { folder: "/dags", files: new Map() },
      ready: () => true,
      importErrors: [],
      loadedAt: new Date().toISOString(),
      variables: new Variables("http://127.0.0.1:1", {} as never),
      eventLog: new EventLog("http://127.0.0.1:1", {} as never),
    })
      .routes.filter((r) => r.method !== "ALL")
      .map((r) => shape(r.method, r.path));
    const documented = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith("/api/v2/"))
      .flatMap(([path, item]) =>
        Object.keys(item).map((method) => shape(method, path)),
      );
    expect(new Set(documented).size).toBe(documented.length);
    expect([...documented].sort()).toEqual([...new Set(served)].sort());
  });

  it("names every schema of the contract tests as a component, and every $ref resolves", () => {
    for (const name of Object.keys(contract))
      expect(doc.components.schemas, name).toHaveProperty(name);
    const missing = refs(doc)
      .map((r) => r.replace("#/components/schemas/", ""))
      .filter((name) => !(name in doc.components.schemas));
    expect(missing).toEqual([]);
    expect(JSON.stringify(doc)).not.toContain("__shared");
  });

  it("documents request bodies as the routes parse them: defaults optional, unknown keys refused", () => {
    const clear = doc.components.schemas.ClearTaskInstancesBody as {
      properties: Record<string, { default?: unknown }>;
      required?: string[];
      additionalProperties: boolean;
    };
    expect(clear.properties.dry_run?.default).toBe(true);
    expect(clear.properties.only_failed?.default).toBe(true);
    expect(clear.required ?? []).not.toContain("dry_run");
    expect(clear.additionalProperties).toBe(false);
    const dag = doc.components.schemas.DAGResponse as { required: string[] };
    expect(dag.required).toContain("timetable_partitioned");
  });

  it("is served at /api/v2/openapi.json and /openapi.json without a token, as Airflow serves its own", async () => {
    const web = new Hono();
    web.route(
      "/",
      gate({
        bindHost: "127.0.0.1",
        allowedHosts: [],
        auth: new SimpleAuth({
          username: "admin",
          password: "a password",
          secret: "a-test-secret-of-at-least-32-characters",
        }),
        ownSecretPaths: [],
      }),
    );
    web.route("/", openApiRoutes());
    web.get("/api/v2/dags", (c) => c.json({ dags: [] }));
    for (const path of ["/api/v2/openapi.json", "/openapi.json"]) {
      const res = await web.request(`http://127.0.0.1:8000${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
      expect(await res.json()).toEqual(JSON.parse(JSON.stringify(doc)));
    }
    const guarded = await web.request("http://127.0.0.1:8000/api/v2/dags");
    expect(guarded.status).toBe(401);
  });
});
