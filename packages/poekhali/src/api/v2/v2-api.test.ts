import { Hono } from "hono";
import { createMiddleware } from "hono/factory";
import { matchedRoutes } from "hono/route";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  BaseSensor,
  HITLOperator,
  StaticConnections,
  airflowHitl,
  dag,
  dagWorkflow,
  task,
  type Dag,
  type PokeSensorOptions,
} from "@poekhali/core";
import {
  startTemporaryRestate,
  type TemporaryRestate,
} from "../../restate/temporary-restate.js";
import { waitFor } from "../../wait-for.js";
import { ApiState } from "../api-state.js";
import { dagStateObject } from "../../api-state/dag-state-object.js";
import { runRecordObject } from "../../api-state/run-record-object.js";
import { signToken } from "../auth/jwt.js";
import { SimpleAuth } from "../auth/simple-auth.js";
import { DagRuns } from "../dag-runs.js";
import { EventLog } from "../event-log.js";
import { Variables } from "../variables.js";
import { gate } from "../gate.js";
import { restApi } from "../rest-api.js";
import { v2Api } from "./v2-api.js";
import * as clients from "@restatedev/restate-sdk-clients";
import {
  RUN_RESTARTS_NAME,
  runRestarts,
  runRestartsKey,
  type RunRestarts,
} from "../../worker/run-restarts.js";
import { eventLogObject } from "@poekhali/core";
import * as v2 from "./airflow-v2-contract.js";
import {
  AIRFLOW_VARIABLE_NAME,
  AIRFLOW_XCOM_NAME,
  airflowVariable,
  airflowXCom,
  xcomObjectKey,
  type AirflowVariableObject,
  type AirflowXComObject,
} from "@poekhali/core/airflow";

const echo = dag(
  {
    id: "v2_echo",
    schedule: null,
    tags: ["demo", "echo"],
    description: "says it back",
    params: z.object({ text: z.string().default("hi") }),
  },
  ({ params }) => {
    const said = task(
      { taskId: "echo" },
      ({ text }: { text: string }, context) => {
        context.log.info(`saying ${text}`);
        return text;
      },
      { text: params.text },
    );
    task({ taskId: "shout" }, ({ s }: { s: string }) => s.toUpperCase(), {
      s: said.output,
    });
  },
);

const failing = dag({ id: "v2_fail", schedule: null, tags: ["demo"] }, () => {
  const boom = task(
    { taskId: "boom", retries: 1, retryDelay: "1s" },
    (_args: object, context) => {
      context.log.warn(`try ${context.tryNumber} fails`);
      throw new Error("it always fails");
    },
    {},
  );
  task({ taskId: "after_boom" }, () => "never", {}).after(boom);
});

/** A sensor that is never done: a run of it waits (on a durable timer) until cancelled. */
class Never extends BaseSensor<object> {
  readonly title = "wait forever";
  constructor(options: PokeSensorOptions) {
    super(options, {});
  }
  override poke() {
    return Promise.resolve(false);
  }
}
const waiting = dag({ id: "v2_wait", schedule: null }, () => {
  new Never({ taskId: "never", pokeInterval: "1h", mode: "reschedule" });
});

const many = dag({ id: "v2_many", schedule: null }, () => {
  task({ taskId: "one" }, () => 1, {});
});

/** A task waiting for a person, with a form; served beside DAGS (not listed in it, whose counts other tests check). */
const asking = dag({ id: "v2_hitl", schedule: null }, () => {
  new HITLOperator({
    taskId: "choose",
    subject: "Which colour?",
    options: ["red", "blue"],
    params: { shade: { value: 1, schema: { type: "integer", maximum: 3 } } },
  });
});

const DAGS = new Map(
  [echo, failing, waiting, many].map((d) => [d.id, d] as const),
);
const HOST = "http://127.0.0.1";
const SECRET = "a-test-secret-of-at-least-32-characters";

/** Every v2 route (method and path pattern) that answered a request in these tests. */
const answered = new Set<string>();
const recordRoutes = createMiddleware(async (c, next) => {
  await next();
  // The route that answered: the first matched one that is not a middleware or the catch-all 404.
  const route = matchedRoutes(c).find(
    (r) => r.method !== "ALL" && r.path.startsWith("/api/v2"),
  );
  if (route) answered.add(`${route.method} ${route.path}`);
});

type Answer = {
  status: number;
  type: string | null;
  body: unknown;
  headers: Headers;
};

// Before the block below: its last test checks that every /api/v2 route answered, these included.
describe("/api/v2/variables keeps Airflow Variables in Restate, in Airflow 3's shapes", () => {
  let restate: TemporaryRestate;
  let web: Hono;

  beforeAll(async () => {
    restate = await startTemporaryRestate("poekhali-v2-variables-");
    await restate.deploy([airflowVariable, dagStateObject, runRecordObject]);
    web = webApp(
      restate,
      new ApiState(restate.ingress.url, restate.server),
      undefined,
    );
  }, 60_000);
  afterAll(async () => {
    await restate?.stop();
  });

  const ok = async <S extends z.ZodType>(
    schema: S,
    method: string,
    path: string,
    body?: unknown,
    status = 200,
  ): Promise<z.output<S>> => {
    const res = await request(web, method, path, body);
    expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBe(
      status,
    );
    return conform(schema, res.body);
  };
  const refused = async (
    status: number,
    method: string,
    path: string,
    body?: unknown,
  ) => refusal(await request(web, method, path, body), status, path);
  /** What the store holds, read past the API (and its masking). */
  const stored = (key: string) =>
    clients
      .connect({ url: restate.ingress.url })
      .objectClient<AirflowVariableObject>({ name: AIRFLOW_VARIABLE_NAME }, key)
      .get();

  it("creates (201), reads, and refuses a taken key (409) and an unknown one (404)", async () => {
    const created = await ok(
      v2.VariableResponse,
      "POST",
      "/api/v2/variables",
      { key: "region", value: "north", description: "where we ship" },
      201,
    );
    expect(created).toEqual({
      key: "region",
      value: "north",
      description: "where we ship",
      is_encrypted: false,
      team_name: null,
    });
    expect(
      await ok(v2.VariableResponse, "GET", "/api/v2/variables/region"),
    ).toEqual(created);
    // A value that is not a string is kept JSON-encoded, and answered as a string.
    const limits = await ok(
      v2.VariableResponse,
      "POST",
      "/api/v2/variables",
      { key: "limits", value: { rows: 10, tags: ["a"] } },
      201,
    );
    expect(limits.value).toBe('{"rows":10,"tags":["a"]}');
    expect(limits.description).toBeNull();
    expect(
      await refused(409, "POST", "/api/v2/variables", {
        key: "region",
        value: "south",
      }),
    ).toBe("The Variable with key: `region` already exists");
    expect((await stored("region"))?.value).toBe("north");
    for (const method of ["GET", "PATCH", "DELETE"])
      expect(
        await refused(
          404,
          method,
          "/api/v2/variables/no_such_key",
          method === "PATCH" ? { key: "no_such_key", value: "x" } : undefined,
        ),
      ).toBe("The Variable with key: `no_such_key` was not found");
  });

  it("names a misspelt field, a key too long and a team in a body (422) and stores nothing", async () => {
    const typo = await refused(422, "POST", "/api/v2/variables", {
      key: "typo",
      value: "v",
      descripton: "misspelt",
    });
    expect(typo).toEqual([
      {
        loc: ["body", "descripton"],
        msg: "Extra inputs are not permitted",
        type: "extra_forbidden",
        input: "misspelt",
      },
    ]);
    const long = (await refused(422, "POST", "/api/v2/variables", {
      key: "k".repeat(251),
      value: "v",
    })) as { loc: unknown; type: string }[];
    expect(long[0]).toMatchObject({
      loc: ["body", "key"],
      type: "string_too_long",
    });
    const missing = (await refused(422, "POST", "/api/v2/variables", {
      key: "no_value",
    })) as { loc: unknown; type: string }[];
    expect(missing[0]).toMatchObject({
      loc: ["body", "value"],
      type: "missing",
    });
    await refused(422, "POST", "/api/v2/variables", {
      key: "teamed",
      value: "v",
      team_name: "blue",
    });
    for (const key of ["typo", "k".repeat(251), "no_value", "teamed"])
      expect(await stored(key)).toBeNull();
  });

  it("masks the values of sensitive keys and fields in every answer, never in the store", async () => {
    const secret = await ok(
      v2.VariableResponse,
      "POST",
      "/api/v2/variables",
      { key: "Warehouse-Password", value: "hunter2-hunter2" },
      201,
    );
    expect(secret.value).toBe("***");
    await ok(
      v2.VariableResponse,
      "POST",
      "/api/v2/variables",
      {
        key: "warehouse",
        value: { host: "db.example", api_key: "k-123456", port: 5432 },
      },
      201,
    );
    await ok(
      v2.VariableResponse,
      "POST",
      "/api/v2/variables",
      { key: "slack_token", value: 123456789 },
      201,
    );
    const one = await ok(
      v2.VariableResponse,
      "GET",
      "/api/v2/variables/warehouse",
    );
    expect(JSON.parse(one.value)).toEqual({
      host: "db.example",
      api_key: "***",
      port: 5432,
    });
    const list = await ok(
      v2.VariableCollectionResponse,
      "GET",
      "/api/v2/variables?variable_key_pattern=warehouse%20|%20token",
    );
    expect(
      Object.fromEntries(list.variables.map((v) => [v.key, v.value])),
    ).toEqual({
      "Warehouse-Password": "***",
      warehouse: JSON.stringify({
        host: "db.example",
        api_key: "***",
        port: 5432,
      }),
      slack_token: '"***"',
    });
    expect(JSON.stringify(list)).not.toContain("hunter2");
    expect(JSON.stringify(list)).not.toContain("k-123456");
    expect(JSON.stringify(list)).not.toContain("123456789");
    // Tasks read the real value: only answers are masked.
    expect((await stored("Warehouse-Password"))?.value).toBe("hunter2-hunter2");
  });

  it("pages, orders and filters the list, counting every match", async () => {
    for (const key of ["page_c", "page_a", "page_b"])
      await ok(
        v2.VariableResponse,
        "POST",
        "/api/v2/variables",
        { key, value: key.toUpperCase() },
        201,
      );
    const first = await ok(
      v2.VariableCollectionResponse,
      "GET",
      "/api/v2/variables?variable_key_pattern=page_&order_by=-key&limit=2",
    );
    expect(first.total_entries).toBe(3);
    expect(first.variables.map((v) => v.key)).toEqual(["page_c", "page_b"]);
    const rest = await ok(
      v2.VariableCollectionResponse,
      "GET",
      "/api/v2/variables?variable_key_pattern=page_&order_by=-key&limit=2&offset=2",
    );
    expect(rest.variables.map((v) => v.key)).toEqual(["page_a"]);
    const all = await ok(
      v2.VariableCollectionResponse,
      "GET",
      "/api/v2/variables",
    );
    expect(all.total_entries).toBe(all.variables.length);
    expect(all.variables.map((v) => v.key)).toContain("region");
    expect(await refused(400, "GET", "/api/v2/variables?order_by=value")).toBe(
      "Ordering with 'value' is disallowed or the attribute does not exist on the model",
    );
    await refused(422, "GET", "/api/v2/variables?limit=-1");
  });

  it("patches the fields the body gives, narrowed by update_mask, and deletes (204)", async () => {
    await ok(
      v2.VariableResponse,
      "POST",
      "/api/v2/variables",
      { key: "paths/with/slash", value: "v1", description: "first" },
      201,
    );
    const path = `/api/v2/variables/${encodeURIComponent("paths/with/slash")}`;
    const masked = await ok(
      v2.VariableResponse,
      "PATCH",
      `${path}?update_mask=description`,
      { key: "paths/with/slash", value: "ignored", description: "second" },
    );
    expect(masked).toMatchObject({ value: "v1", description: "second" });
    const whole = await ok(v2.VariableResponse, "PATCH", path, {
      key: "paths/with/slash",
      value: 2,
    });
    // No description in the body: the description is kept.
    expect(whole).toMatchObject({ value: "2", description: "second" });
    expect(
      await refused(400, "PATCH", path, { key: "other", value: "x" }),
    ).toBe("Invalid body, key from request body doesn't match uri parameter");
    expect(
      String(
        await refused(400, "PATCH", `${path}?update_mask=valeu`, {
          key: "paths/with/slash",
          value: "x",
        }),
      ),
    ).toContain("Unknown field(s) in update_mask: 'valeu'");
    await refused(400, "PATCH", `${path}?update_mask=key`, {
      key: "paths/with/slash",
      value: "x",
    });
    // An unknown key is a 404 before a bad mask is a 400, as in Airflow.
    await refused(404, "PATCH", "/api/v2/variables/nope?update_mask=valeu", {
      key: "nope",
      value: "x",
    });
    expect((await stored("paths/with/slash"))?.value).toBe("2");
    const res = await request(web, "DELETE", path);
    expect(res.status).toBe(204);
    expect(res.body).toBeNull();
    await refused(404, "GET", path);
    await refused(404, "DELETE", path);
  });
});

describe("/api/v2 answers in the shapes of Airflow 3's OpenAPI document", () => {
  let restate: TemporaryRestate;
  let web: Hono;
  let state: ApiState;

  beforeAll(async () => {
    restate = await startTemporaryRestate("poekhali-v2-api-");
    await restate.deploy([
      ...[...DAGS.values(), asking].map((d) =>
        dagWorkflow(d, { connections: new StaticConnections([]) }),
      ),
      runRestarts({ admin: restate.server, ingress: restate.ingress }),
      airflowHitl,
      airflowXCom,
      eventLogObject,
      dagStateObject,
      runRecordObject,
    ]);
    state = new ApiState(restate.ingress.url, restate.server);
    web = webApp(restate, state, undefined);
  }, 60_000);
  afterAll(async () => {
    await restate?.stop();
  });

  const call = (method: string, path: string, body?: unknown) =>
    request(web, method, path, body);
  /** An answer with this status whose body the contract schema accepts. */
  const ok = async <S extends z.ZodType>(
    schema: S,
    method: string,
    path: string,
    body?: unknown,
    status = 200,
  ): Promise<z.output<S>> => {
    const res = await call(method, path, body);
    expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBe(
      status,
    );
    return conform(schema, res.body);
  };
  /** An error answer: `{ "detail": <sentence> }` (or the 422 list), content type exactly application/json. */
  const refused = async (
    status: number,
    method: string,
    path: string,
    body?: unknown,
  ) => {
    const res = await call(method, path, body);
    return refusal(res, status, `${method} ${path}`);
  };
  /** The event log's entries for a query string, as the contract reads them. */
  const list = (query: string) =>
    ok(v2.EventLogCollectionResponse, "GET", `/api/v2/eventLogs?${query}`);
  const runState = async (dagId: string, runId: string) =>
    (
      await ok(
        v2.DAGRunResponse,
        "GET",
        `/api/v2/dags/${dagId}/dagRuns/${runId}`,
      )
    ).state;
  const finished = (dagId: string, runId: string) =>
    waitFor(`${dagId}/${runId} to finish`, 60_000, async () =>
      ["success", "failed"].includes(await runState(dagId, runId)),
    );

  it("answers version and health, and /auth/token with 201 and a token", async () => {
    await ok(v2.VersionInfo, "GET", "/api/v2/version");
    const health = await ok(
      v2.HealthInfoResponse,
      "GET",
      "/api/v2/monitor/health",
    );
    expect(health.metadatabase.status).toBe("healthy");
    for (const path of ["/auth/token", "/auth/token/cli"])
      await ok(
        v2.LoginResponse,
        "POST",
        path,
        { username: "a", password: "b" },
        201,
      );
    await ok(v2.LoginResponse, "GET", "/auth/token", undefined, 201);
    const missing = await refused(422, "POST", "/auth/token", {
      username: "a",
    });
    expect(missing).toContainEqual(
      expect.objectContaining({ loc: ["body", "password"], type: "missing" }),
    );
    const extra = await refused(422, "POST", "/auth/token", {
      username: "a",
      password: "b",
      role: "admin",
    });
    expect(extra).toContainEqual(
      expect.objectContaining({
        loc: ["body", "role"],
        type: "extra_forbidden",
      }),
    );
    expect(await refused(404, "GET", "/api/v2/nothing-here")).toBe("Not Found");
  });

  it("with a password: 401 Not authenticated without a token, version and health open, 201 token then 200", async () => {
    const locked = webApp(restate, state, "s3cret");
    const get = (path: string, token?: string) =>
      locked.request(`${HOST}${path}`, {
        headers: token ? { authorization: `Bearer ${token}` } : {},
      });
    const without = await get("/api/v2/dags");
    expect(without.headers.get("www-authenticate")).toBe("Bearer");
    expect(await refusal(await answer(without), 401, "no token")).toBe(
      "Not authenticated",
    );
    const expired = signToken(SECRET, "admin", Date.now() - 25 * 3600_000);
    expect(
      await refusal(
        await answer(await get("/api/v2/dags", expired)),
        401,
        "expired",
      ),
    ).toBe("Token Expired");
    const forged = signToken("another-secret-of-at-least-32-chars!!", "admin");
    expect(
      await refusal(
        await answer(await get("/api/v2/dags", forged)),
        403,
        "forged",
      ),
    ).toBe("Invalid JWT token");
    conform(v2.VersionInfo, (await answer(await get("/api/v2/version"))).body);
    conform(
      v2.HealthInfoResponse,
      (await answer(await get("/api/v2/monitor/health"))).body,
    );
    const login = (body: unknown) =>
      request(locked, "POST", "/auth/token", body);
    expect(
      await refusal(
        await login({ username: "admin", password: "no" }),
        401,
        "wrong",
      ),
    ).toBe("Invalid credentials");
    expect(
      await refusal(
        await login({ username: "admin", password: "" }),
        400,
        "empty",
      ),
    ).toBe("Username and password must be provided");
    expect(
      await refusal(
        await request(locked, "GET", "/auth/token"),
        403,
        "GET token",
      ),
    ).toMatch(/only allowed/);
    const issued = await login({ username: "admin", password: "s3cret" });
    expect(issued.status).toBe(201);
    const { access_token } = conform(v2.LoginResponse, issued.body);
    const dags = await answer(await get("/api/v2/dags", access_token));
    expect(dags.status).toBe(200);
    conform(v2.DAGCollectionResponse, dags.body);
    // The token's user is who triggered.
    const triggered = await answer(
      await locked.request(`${HOST}/api/v2/dags/v2_many/dagRuns`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${access_token}`,
          "content-type": "application/json",
        },
        body: JSON.stringify({ dag_run_id: "by-admin" }),
      }),
    );
    expect(
      conform(v2.DAGRunResponse, triggered.body).triggering_user_name,
    ).toBe("admin");
  });

  it("lists DAGs with limit, offset, order_by, tags, dag_id_pattern and paused", async () => {
    const all = await ok(v2.DAGCollectionResponse, "GET", "/api/v2/dags");
    expect(all.total_entries).toBe(4);
    expect(all.dags.map((d) => d.dag_id)).toEqual([
      "v2_echo",
      "v2_fail",
      "v2_many",
      "v2_wait",
    ]);
    const page = await ok(
      v2.DAGCollectionResponse,
      "GET",
      "/api/v2/dags?limit=2&offset=1&order_by=-dag_id",
    );
    expect(page).toMatchObject({ total_entries: 4 });
    expect(page.dags.map((d) => d.dag_id)).toEqual(["v2_many", "v2_fail"]);
    const tagged = await ok(
      v2.DAGCollectionResponse,
      "GET",
      "/api/v2/dags?tags=echo&tags=nope",
    );
    expect(tagged.dags.map((d) => d.dag_id)).toEqual(["v2_echo"]);
    const both = await ok(
      v2.DAGCollectionResponse,
      "GET",
      "/api/v2/dags?tags=demo&tags=echo&tags_match_mode=all",
    );
    expect(both.total_entries).toBe(1);
    const pattern = await ok(
      v2.DAGCollectionResponse,
      "GET",
      "/api/v2/dags?dag_id_pattern=ECHO%20%7C%20_fa",
    );
    expect(pattern.dags.map((d) => d.dag_id)).toEqual(["v2_echo", "v2_fail"]);
    expect(await refused(400, "GET", "/api/v2/dags?order_by=colour")).toBe(
      "Ordering with 'colour' is disallowed or the attribute does not exist on the model",
    );
    expect(await refused(422, "GET", "/api/v2/dags?limit=-1")).toContainEqual(
      expect.objectContaining({
        loc: ["query", "limit"],
        type: "greater_than_equal",
      }),
    );
    expect(await refused(422, "GET", "/api/v2/dags?offset=x")).toContainEqual(
      expect.objectContaining({
        loc: ["query", "offset"],
        type: "int_parsing",
      }),
    );
    expect(
      await refused(422, "GET", "/api/v2/dags?paused=maybe"),
    ).toContainEqual(
      expect.objectContaining({
        loc: ["query", "paused"],
        type: "bool_parsing",
      }),
    );
    const one = await ok(v2.DAGResponse, "GET", "/api/v2/dags/v2_echo");
    expect(one).toMatchObject({
      fileloc: "/dags/echo.ts",
      relative_fileloc: "echo.ts",
      is_paused: false,
    });
    const details = await ok(
      v2.DAGDetailsResponse,
      "GET",
      "/api/v2/dags/v2_echo/details",
    );
    expect(details.params).toEqual({
      text: {
        value: "hi",
        description: null,
        schema: { type: "string", default: "hi" },
      },
    });
    await refused(404, "GET", "/api/v2/dags/nope");
    await refused(404, "GET", "/api/v2/dags/nope/details");
  });

  it("pauses a DAG durably; a paused DAG refuses a trigger with 409 naming the pause", async () => {
    const paused = await ok(
      v2.DAGResponse,
      "PATCH",
      "/api/v2/dags/v2_wait?update_mask=is_paused",
      { is_paused: true },
    );
    expect(paused.is_paused).toBe(true);
    // Kept in Restate: another web instance (or this one restarted) reads it back.
    expect(
      await new ApiState(restate.ingress.url, restate.server).isPaused(
        "v2_wait",
      ),
    ).toBe(true);
    const list = await ok(
      v2.DAGCollectionResponse,
      "GET",
      "/api/v2/dags?paused=true",
    );
    expect(list.dags.map((d) => d.dag_id)).toEqual(["v2_wait"]);
    expect(
      await refused(409, "POST", "/api/v2/dags/v2_wait/dagRuns", {}),
    ).toMatch(/v2_wait.*paused/);
    const v1 = await call("POST", "/api/v1/dags/v2_wait/dagRuns", {});
    expect(v1.status).toBe(409);
    expect(
      (
        await ok(
          v2.DAGRunCollectionResponse,
          "GET",
          "/api/v2/dags/v2_wait/dagRuns",
        )
      ).total_entries,
    ).toBe(0);
    expect(
      await refused(
        400,
        "PATCH",
        "/api/v2/dags/v2_wait?update_mask=description",
        { is_paused: false },
      ),
    ).toBe("Only `is_paused` field can be updated through the REST API");
    expect(
      await refused(422, "PATCH", "/api/v2/dags/v2_wait", {}),
    ).toContainEqual(
      expect.objectContaining({ loc: ["body", "is_paused"], type: "missing" }),
    );
    expect(
      await refused(422, "PATCH", "/api/v2/dags/v2_wait", {
        is_paused: false,
        owner: "x",
      }),
    ).toContainEqual(
      expect.objectContaining({
        loc: ["body", "owner"],
        type: "extra_forbidden",
      }),
    );
    await refused(404, "PATCH", "/api/v2/dags/nope", { is_paused: true });
    const unpaused = await ok(v2.DAGResponse, "PATCH", "/api/v2/dags/v2_wait", {
      is_paused: false,
    });
    expect(unpaused.is_paused).toBe(false);
  });

  it("lists a DAG's tasks and answers one", async () => {
    const tasks = await ok(
      v2.TaskCollectionResponse,
      "GET",
      "/api/v2/dags/v2_echo/tasks",
    );
    expect(tasks.tasks.map((t) => [t.task_id, t.downstream_task_ids])).toEqual([
      ["echo", ["shout"]],
      ["shout", []],
    ]);
    const desc = await ok(
      v2.TaskCollectionResponse,
      "GET",
      "/api/v2/dags/v2_echo/tasks?order_by=-task_id",
    );
    expect(desc.tasks.map((t) => t.task_id)).toEqual(["shout", "echo"]);
    const boom = await ok(
      v2.TaskResponse,
      "GET",
      "/api/v2/dags/v2_fail/tasks/boom",
    );
    expect(boom).toMatchObject({
      retries: 1,
      retry_delay: { days: 0, seconds: 1, microseconds: 0 },
      operator_name: "@task",
    });
    await ok(v2.TaskResponse, "GET", "/api/v2/dags/v2_wait/tasks/never");
    await refused(404, "GET", "/api/v2/dags/v2_echo/tasks/nope");
    await refused(400, "GET", "/api/v2/dags/v2_echo/tasks?order_by=colour");
  });

  it("triggers runs as Airflow 3 does (200, manual, null logical date), and refuses bad bodies with 422", async () => {
    const run = await ok(
      v2.DAGRunResponse,
      "POST",
      "/api/v2/dags/v2_echo/dagRuns",
      {
        conf: { text: "hello" },
        note: "first",
      },
    );
    expect(run).toMatchObject({
      state: "queued",
      run_type: "manual",
      triggered_by: "rest_api",
      logical_date: null,
      data_interval_start: null,
      data_interval_end: null,
      note: "first",
      conf: { text: "hello" },
    });
    expect(run.dag_run_id).toMatch(/^manual__\d{4}-\d\d-\d\dT[\d:.]+\+00:00$/);
    const dated = await ok(
      v2.DAGRunResponse,
      "POST",
      "/api/v2/dags/v2_echo/dagRuns",
      {
        dag_run_id: "dated",
        logical_date: "2026-05-01T12:00:00+02:00",
        conf: null,
        note: null,
      },
    );
    expect(dated).toMatchObject({
      logical_date: "2026-05-01T10:00:00.000Z",
      data_interval_start: "2026-05-01T10:00:00.000Z",
      conf: {},
    });
    const taken = await refused(409, "POST", "/api/v2/dags/v2_echo/dagRuns", {
      dag_run_id: "dated",
    });
    expect(taken).toMatchObject({ reason: "Unique constraint violation" });
    const bad = async (body: unknown, loc: unknown[], type: string) =>
      expect(
        await refused(422, "POST", "/api/v2/dags/v2_echo/dagRuns", body),
      ).toContainEqual(expect.objectContaining({ loc, type }));
    await bad(
      { logical_date: "2026-05-01T12:00:00" },
      ["body", "logical_date"],
      "value_error",
    );
    await bad({ conf: "text=hi" }, ["body", "conf"], "dict_type");
    await bad({ dag_run_id: 7 }, ["body", "dag_run_id"], "string_type");
    await bad(
      { execution_date: "2026-05-01T12:00:00Z" },
      ["body", "execution_date"],
      "extra_forbidden",
    );
    await bad(
      { data_interval_start: "2026-05-01T12:00:00Z" },
      ["body"],
      "value_error",
    );
    const notJson = await answer(
      await web.request(`${HOST}/api/v2/dags/v2_echo/dagRuns`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{conf:",
      }),
    );
    const deep = '{"conf": ' + '{"a":'.repeat(5_000) + "1" + "}".repeat(5_001);
    const tooDeep = await answer(
      await web.request(`${HOST}/api/v2/dags/v2_echo/dagRuns`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: deep,
      }),
    );
    expect(await refusal(tooDeep, 400, "a conf 5,000 levels deep")).toContain(
      "nested deeper than 32 levels",
    );
    expect(await refusal(notJson, 422, "a body that is not JSON")).toEqual([
      { loc: ["body"], msg: "JSON decode error", type: "json_invalid" },
    ]);
    expect(
      await refused(400, "POST", "/api/v2/dags/v2_echo/dagRuns", {
        conf: { text: 5 },
      }),
    ).toMatch(/text/);
    expect(
      await refused(400, "POST", "/api/v2/dags/v2_echo/dagRuns", {
        dag_run_id: "..",
      }),
    ).toMatch(/dag_run_id/);
    expect(await refused(404, "POST", "/api/v2/dags/nope/dagRuns", {})).toBe(
      "DAG with dag_id: 'nope' not found",
    );
    await finished("v2_echo", run.dag_run_id);
    await finished("v2_echo", "dated");
    // The run itself keeps the logical date it was given: what its tasks see as theirs.
    const kept = await call("GET", "/api/v1/dags/v2_echo/dagRuns/dated");
    expect(kept.body).toMatchObject({
      logical_date: "2026-05-01T10:00:00.000Z",
    });
    const done = await ok(
      v2.DAGRunResponse,
      "GET",
      `/api/v2/dags/v2_echo/dagRuns/${run.dag_run_id}`,
    );
    expect(done).toMatchObject({
      state: "success",
      note: "first",
      conf: { text: "hello" },
    });
    expect(done.duration).toBeGreaterThanOrEqual(0);
    expect(await refused(404, "GET", "/api/v2/dags/v2_echo/dagRuns/nope")).toBe(
      "The DagRun with dag_id: `v2_echo` and run_id: `nope` was not found",
    );
  });

  it("lists runs with filters and the true total, for one DAG, for ~, and through POST ~/dagRuns/list", async () => {
    await ok(v2.DAGRunResponse, "POST", "/api/v2/dags/v2_fail/dagRuns", {
      dag_run_id: "fails",
    });
    await finished("v2_fail", "fails");
    const echoes = await ok(
      v2.DAGRunCollectionResponse,
      "GET",
      "/api/v2/dags/v2_echo/dagRuns",
    );
    expect(echoes.total_entries).toBe(2);
    const failed = await ok(
      v2.DAGRunCollectionResponse,
      "GET",
      "/api/v2/dags/~/dagRuns?state=failed&run_type=manual",
    );
    expect(failed.dag_runs.map((r) => r.dag_run_id)).toEqual(["fails"]);
    const byPattern = await ok(
      v2.DAGRunCollectionResponse,
      "GET",
      "/api/v2/dags/~/dagRuns?run_id_pattern=DAT",
    );
    expect(byPattern.dag_runs.map((r) => r.dag_run_id)).toEqual(["dated"]);
    const byDate = await ok(
      v2.DAGRunCollectionResponse,
      "GET",
      "/api/v2/dags/~/dagRuns?logical_date_lte=2026-06-01T00:00:00Z",
    );
    expect(byDate.dag_runs.map((r) => r.dag_run_id)).toEqual(["dated"]);
    expect(
      await refused(422, "GET", "/api/v2/dags/~/dagRuns?state=done"),
    ).toMatch(/^Invalid value for state/);
    expect(
      await refused(400, "GET", "/api/v2/dags/~/dagRuns?order_by=colour"),
    ).toMatch(/^Ordering with 'colour'/);
    await refused(404, "GET", "/api/v2/dags/nope/dagRuns");
    const batch = await ok(
      v2.DAGRunCollectionResponse,
      "POST",
      "/api/v2/dags/~/dagRuns/list",
      {
        dag_ids: ["v2_echo", "v2_fail"],
        states: ["success", "failed"],
        order_by: "-run_id",
        page_limit: 2,
      },
    );
    expect(batch.total_entries).toBe(3);
    expect(batch.dag_runs.map((r) => r.dag_run_id)[0]).toMatch(/^manual__/);
    expect(batch.dag_runs).toHaveLength(2);
    expect(
      await refused(422, "POST", "/api/v2/dags/v2_echo/dagRuns/list", {}),
    ).toContainEqual(
      expect.objectContaining({
        loc: ["path", "dag_id"],
        type: "literal_error",
      }),
    );
    expect(
      await refused(422, "POST", "/api/v2/dags/~/dagRuns/list", {
        page_limit: -1,
      }),
    ).toContainEqual(expect.objectContaining({ loc: ["body", "page_limit"] }));
  });

  it("PATCHes a run's note, refuses a state a running run cannot take, and DELETEs a finished run", async () => {
    const noted = await ok(
      v2.DAGRunResponse,
      "PATCH",
      "/api/v2/dags/v2_echo/dagRuns/dated",
      { note: "seen" },
    );
    expect(noted.note).toBe("seen");
    const masked = await ok(
      v2.DAGRunResponse,
      "PATCH",
      "/api/v2/dags/v2_echo/dagRuns/dated?update_mask=state",
      {
        note: "ignored",
      },
    );
    expect(masked.note).toBe("seen");
    await ok(v2.DAGRunResponse, "PATCH", "/api/v2/dags/v2_echo/dagRuns/dated", {
      state: "success",
    });
    expect(
      await refused(422, "PATCH", "/api/v2/dags/v2_echo/dagRuns/dated", {
        state: "running",
      }),
    ).toContainEqual(
      expect.objectContaining({ loc: ["body", "state"], type: "enum" }),
    );
    await refused(404, "PATCH", "/api/v2/dags/v2_echo/dagRuns/nope", {
      note: "x",
    });

    const wait = await ok(
      v2.DAGRunResponse,
      "POST",
      "/api/v2/dags/v2_wait/dagRuns",
      { dag_run_id: "waits" },
    );
    await waitFor(
      "the waiting run to run",
      30_000,
      async () => (await runState("v2_wait", wait.dag_run_id)) === "running",
    );
    expect(
      await refused(400, "DELETE", "/api/v2/dags/v2_wait/dagRuns/waits"),
    ).toMatch(/still running/);
    // Success or queued would need the run's tasks decided while they run: refused, and the note is left alone.
    expect(
      await refused(409, "PATCH", "/api/v2/dags/v2_wait/dagRuns/waits", {
        state: "success",
        note: "x",
      }),
    ).toMatch(/run 'waits' is running: .* set the run's state to "failed"/);
    expect(
      (await ok(v2.DAGRunResponse, "GET", "/api/v2/dags/v2_wait/dagRuns/waits"))
        .note,
    ).toBeNull();
    expect(
      await refused(409, "POST", "/api/v2/dags/v2_wait/dagRuns/waits/clear", {
        dry_run: false,
      }),
    ).toMatch(/run 'waits' is running/);
    const stopped = await ok(
      v2.DAGRunResponse,
      "PATCH",
      "/api/v2/dags/v2_wait/dagRuns/waits",
      { state: "failed" },
    );
    expect(stopped.state).toBe("failed");
    expect(stopped.end_date).not.toBeNull();

    // Clearing: a dry run lists the task instances (run-changes.test.ts clears for real).
    const dry = await ok(
      v2.TaskInstanceCollectionResponse,
      "POST",
      "/api/v2/dags/v2_fail/dagRuns/fails/clear",
      {},
    );
    expect(dry.task_instances.map((ti) => [ti.task_id, ti.state])).toEqual([
      ["boom", "failed"],
      ["after_boom", "upstream_failed"],
    ]);
    const nothing = await ok(
      v2.DAGRunResponse,
      "POST",
      "/api/v2/dags/v2_echo/dagRuns/dated/clear",
      {
        dry_run: false,
        only_failed: true,
      },
    );
    expect(nothing.state).toBe("success");
    expect(
      await refused(422, "POST", "/api/v2/dags/v2_echo/dagRuns/dated/clear", {
        dry: true,
      }),
    ).toContainEqual(expect.objectContaining({ type: "extra_forbidden" }));

    const res = await call("DELETE", "/api/v2/dags/v2_wait/dagRuns/waits");
    expect(res.status).toBe(204);
    expect(res.body).toBeNull();
    await refused(404, "GET", "/api/v2/dags/v2_wait/dagRuns/waits");
    // Forgotten by Restate too: the workflow's state went with its invocation.
    expect(
      await restate.server.query(
        "SELECT key FROM state WHERE service_name = 'v2_wait' AND service_key = 'waits'",
      ),
    ).toEqual([]);
    await refused(404, "DELETE", "/api/v2/dags/v2_wait/dagRuns/waits");
  });

  it("answers task instances, tries, logs and XComs, and refuses what it cannot do", async () => {
    const base = "/api/v2/dags/v2_echo/dagRuns/dated/taskInstances";
    const tis = await ok(v2.TaskInstanceCollectionResponse, "GET", base);
    expect(
      tis.task_instances.map((ti) => [
        ti.task_id,
        ti.state,
        ti.try_number,
        ti.map_index,
        ti.pool,
      ]),
    ).toEqual([
      ["echo", "success", 1, -1, "default_pool"],
      ["shout", "success", 1, -1, "default_pool"],
    ]);
    const anywhere = await ok(
      v2.TaskInstanceCollectionResponse,
      "GET",
      "/api/v2/dags/~/dagRuns/~/taskInstances?state=upstream_failed",
    );
    expect(
      anywhere.task_instances.map((ti) => [ti.dag_run_id, ti.task_id]),
    ).toEqual([["fails", "after_boom"]]);
    const paged = await ok(
      v2.TaskInstanceCollectionResponse,
      "GET",
      "/api/v2/dags/v2_echo/dagRuns/~/taskInstances?limit=1&offset=1&order_by=-start_date",
    );
    expect(paged).toMatchObject({ total_entries: 4 });
    const batch = await ok(
      v2.TaskInstanceCollectionResponse,
      "POST",
      "/api/v2/dags/~/dagRuns/~/taskInstances/list",
      {
        dag_ids: ["v2_fail", "v2_echo"],
        state: ["failed", null],
        order_by: "-start_date",
      },
    );
    expect(
      batch.task_instances.map((ti) => [ti.dag_run_id, ti.task_id]),
    ).toEqual([["fails", "boom"]]);
    const echoes = await ok(
      v2.TaskInstanceCollectionResponse,
      "POST",
      "/api/v2/dags/~/dagRuns/~/taskInstances/list",
      {
        dag_run_ids: ["dated"],
        page_limit: 1,
        page_offset: 1,
      },
    );
    expect(echoes).toMatchObject({
      total_entries: 2,
      task_instances: [{ task_id: "shout" }],
    });
    expect(
      await refused(
        422,
        "POST",
        "/api/v2/dags/v2_echo/dagRuns/~/taskInstances/list",
        {},
      ),
    ).toContainEqual(
      expect.objectContaining({
        loc: ["path", "dag_id"],
        type: "literal_error",
      }),
    );
    expect(await refused(422, "GET", `${base}?state=bogus`)).toMatch(
      /^Invalid value for state/,
    );
    await refused(
      404,
      "GET",
      "/api/v2/dags/v2_echo/dagRuns/nope/taskInstances",
    );
    const one = await ok(v2.TaskInstanceResponse, "GET", `${base}/echo`);
    expect(one).toMatchObject({
      operator_name: "@task",
      executor_config: "{}",
      logical_date: "2026-05-01T10:00:00.000Z",
    });
    await refused(404, "GET", `${base}/nope`);
    await ok(v2.TaskInstanceResponse, "GET", `${base}/echo/-1`);
    expect(await refused(404, "GET", `${base}/echo/3`)).toMatch(
      /does not map tasks/,
    );

    const tries = await ok(
      v2.TaskInstanceHistoryCollectionResponse,
      "GET",
      "/api/v2/dags/v2_fail/dagRuns/fails/taskInstances/boom/tries",
    );
    // The retried try keeps its own times, not the last try's.
    expect(tries.task_instances.map((t) => [t.try_number, t.state])).toEqual([
      [1, "up_for_retry"],
      [2, "failed"],
    ]);
    const [firstTry, lastTry] = tries.task_instances;
    expect(firstTry?.end_date).not.toBeNull();
    expect(Date.parse(firstTry?.end_date ?? "")).toBeLessThan(
      Date.parse(lastTry?.start_date ?? ""),
    );
    await ok(
      v2.TaskInstanceHistoryResponse,
      "GET",
      "/api/v2/dags/v2_fail/dagRuns/fails/taskInstances/boom/tries/2",
    );

    const log = await ok(
      v2.TaskInstancesLogResponse,
      "GET",
      `${base}/echo/logs/1`,
    );
    expect(log.continuation_token).toBeNull();
    expect(log.content[0]).toMatchObject({
      event: "::group::Log message source details",
    });
    expect(log.content).toContainEqual(
      expect.objectContaining({
        event: "saying hi",
        level: "info",
        timestamp: expect.any(String) as string,
      }),
    );
    const second = await ok(
      v2.TaskInstancesLogResponse,
      "GET",
      "/api/v2/dags/v2_fail/dagRuns/fails/taskInstances/boom/logs/2",
    );
    expect(second.content).toContainEqual(
      expect.objectContaining({ event: "try 2 fails", level: "warning" }),
    );
    await refused(404, "GET", `${base}/echo/logs/2`);
    await refused(422, "GET", `${base}/echo/logs/first`);
    await refused(400, "GET", `${base}/echo/logs/1?token=forged`);

    const noted = await ok(
      v2.TaskInstanceCollectionResponse,
      "PATCH",
      `${base}/echo`,
      { note: "fine" },
    );
    expect(noted.task_instances[0]?.note).toBe("fine");
    expect(
      await refused(409, "PATCH", `${base}/echo`, { new_state: "SUCCESS" }),
    ).toBe("Task id echo is already in success state");
    expect(
      await refused(400, "PATCH", `${base}/echo`, {
        new_state: "failed",
        include_past: true,
      }),
    ).toMatch(/Cannot use include_past or include_future/);
    expect(
      await refused(422, "PATCH", `${base}/echo`, { new_state: "running" }),
    ).toContainEqual(
      expect.objectContaining({
        loc: ["body", "new_state"],
        msg: "'running' is not one of ['success', 'failed', 'skipped']",
      }),
    );

    const toClear = await ok(
      v2.TaskInstanceCollectionResponse,
      "POST",
      "/api/v2/dags/v2_fail/clearTaskInstances",
      {},
    );
    expect(toClear.task_instances.map((ti) => ti.task_id)).toEqual([
      "boom",
      "after_boom",
    ]);
    const allOfOne = await ok(
      v2.TaskInstanceCollectionResponse,
      "POST",
      "/api/v2/dags/v2_echo/clearTaskInstances",
      {
        dag_run_id: "dated",
        only_failed: false,
        task_ids: ["shout"],
      },
    );
    expect(allOfOne.task_instances.map((ti) => ti.task_id)).toEqual(["shout"]);
    expect(
      await refused(404, "POST", "/api/v2/dags/v2_echo/clearTaskInstances", {
        task_ids: ["shuot", "echo"],
      }),
    ).toBe("Task 'shuot' not found in DAG 'v2_echo' (did you mean 'shout'?)");
    await refused(422, "POST", "/api/v2/dags/v2_fail/clearTaskInstances", {
      only_running: true,
    });
    await refused(404, "POST", "/api/v2/dags/v2_fail/clearTaskInstances", {
      dag_run_id: "nope",
    });

    const xcoms = await ok(
      v2.XComCollectionResponse,
      "GET",
      `${base}/~/xcomEntries`,
    );
    expect(xcoms.xcom_entries.map((x) => [x.task_id, x.key])).toEqual([
      ["echo", "return_value"],
      ["shout", "return_value"],
    ]);
    const everywhere = await ok(
      v2.XComCollectionResponse,
      "GET",
      "/api/v2/dags/~/dagRuns/~/taskInstances/echo/xcomEntries?limit=1",
    );
    expect(everywhere).toMatchObject({ total_entries: 2 });
    const value = await ok(
      v2.XComResponseNative,
      "GET",
      `${base}/shout/xcomEntries/return_value`,
    );
    expect(value.value).toBe("HI");
    const text = await ok(
      v2.XComResponseString,
      "GET",
      "/api/v2/dags/v2_many/dagRuns/by-admin/taskInstances/one/xcomEntries/return_value?stringify=true",
    );
    expect(text.value).toBe("1");
    expect(await refused(404, "GET", `${base}/shout/xcomEntries/other`)).toBe(
      "XCom entry with key: `other` not found",
    );
  });

  it("pages 150 runs: limit/offset pages cover every run once, total_entries 150", async () => {
    const ids = Array.from(
      { length: 150 },
      (_, i) => `p-${String(i).padStart(3, "0")}`,
    );
    for (let i = 0; i < ids.length; i += 15)
      await Promise.all(
        ids.slice(i, i + 15).map((id) =>
          ok(v2.DAGRunResponse, "POST", "/api/v2/dags/v2_many/dagRuns", {
            dag_run_id: id,
          }),
        ),
      );
    const seen: string[] = [];
    // No limit: Airflow's default of 50, which airflowctl pages by.
    for (const query of [
      "",
      "?offset=50",
      "?limit=50&offset=100",
      "?offset=150",
    ]) {
      const page = await ok(
        v2.DAGRunCollectionResponse,
        "GET",
        `/api/v2/dags/v2_many/dagRuns${query}${query ? "&" : "?"}run_id_pattern=p-`,
      );
      expect(page.total_entries).toBe(150);
      seen.push(...page.dag_runs.map((r) => r.dag_run_id));
    }
    expect(seen).toHaveLength(150);
    expect(new Set(seen)).toEqual(new Set(ids));
    const capped = await ok(
      v2.DAGRunCollectionResponse,
      "GET",
      "/api/v2/dags/v2_many/dagRuns?limit=1000&order_by=-dag_run_id",
    );
    expect(capped.dag_runs).toHaveLength(100);
    expect(capped.dag_runs[0]?.dag_run_id).toBe("p-149");
    const batchSeen: string[] = [];
    for (const page_offset of [0, 100]) {
      const page = await ok(
        v2.DAGRunCollectionResponse,
        "POST",
        "/api/v2/dags/~/dagRuns/list",
        {
          dag_ids: ["v2_many"],
          order_by: "run_id",
          page_offset,
        },
      );
      expect(page.total_entries).toBe(151);
      batchSeen.push(...page.dag_runs.map((r) => r.dag_run_id));
    }
    expect(new Set(batchSeen).size).toBe(151);
  }, 120_000);

  it("counts runs by state per DAG and lists tags", async () => {
    const stats = await ok(
      v2.DagStatsCollectionResponse,
      "GET",
      "/api/v2/dagStats?dag_ids=v2_fail&dag_ids=v2_echo",
    );
    expect(stats.dags.map((d) => [d.dag_id, d.stats])).toEqual([
      [
        "v2_echo",
        [
          { state: "queued", count: 0 },
          { state: "running", count: 0 },
          { state: "success", count: 2 },
          { state: "failed", count: 0 },
        ],
      ],
      [
        "v2_fail",
        [
          { state: "queued", count: 0 },
          { state: "running", count: 0 },
          { state: "success", count: 0 },
          { state: "failed", count: 1 },
        ],
      ],
    ]);
    const tags = await ok(
      v2.DAGTagCollectionResponse,
      "GET",
      "/api/v2/dagTags?order_by=-name&limit=1",
    );
    expect(tags).toEqual({ tags: ["echo"], total_entries: 2 });
    await refused(400, "GET", "/api/v2/dagTags?order_by=dag_id");
  });

  it("answers import errors", async () => {
    const broken = new Hono();
    broken.use("*", recordRoutes);
    broken.route(
      "/",
      restApi({
        dags: DAGS,
        runs: new DagRuns(restate.ingress, restate.server),
        ready: () => true,
        state,
        variables: new Variables(restate.ingress.url, restate.server),
        eventLog: new EventLog(restate.ingress.url, restate.server),
        importErrors: [
          { path: "/dags/a.ts", error: "SyntaxError: a" },
          { path: "/dags/b.ts", error: "Error: b" },
        ],
      }),
    );
    const list = conform(
      v2.ImportErrorCollectionResponse,
      (
        await request(
          broken,
          "GET",
          "/api/v2/importErrors?order_by=-filename&limit=1",
        )
      ).body,
    );
    expect(list).toMatchObject({
      total_entries: 2,
      import_errors: [{ filename: "/dags/b.ts", stack_trace: "Error: b" }],
    });
    conform(
      v2.ImportErrorResponse,
      (await request(broken, "GET", "/api/v2/importErrors/1")).body,
    );
    await refusal(
      await request(broken, "GET", "/api/v2/importErrors/9"),
      404,
      "missing import error",
    );
    await refusal(
      await request(broken, "GET", "/api/v2/importErrors/one"),
      422,
      "bad id",
    );
  });

  it("keeps a hostile web page and a misspelt conf key out of its state changes", async () => {
    const runsBefore = (
      await ok(
        v2.DAGRunCollectionResponse,
        "GET",
        "/api/v2/dags/v2_echo/dagRuns",
      )
    ).total_entries;
    // Another site's page, in the user's browser, tries to pause a DAG and to trigger one with a form post.
    const pause = await answer(
      await web.request(`${HOST}/api/v2/dags/v2_echo`, {
        method: "PATCH",
        headers: {
          "content-type": "application/json",
          origin: "https://evil.example",
        },
        body: JSON.stringify({ is_paused: true }),
      }),
    );
    refusal(pause, 403, "a cross-site PATCH");
    const form = await answer(
      await web.request(`${HOST}/api/v2/dags/v2_echo/dagRuns`, {
        method: "POST",
        headers: { "content-type": "text/plain" },
        body: JSON.stringify({ conf: { text: "pwned" } }),
      }),
    );
    refusal(form, 415, "a text/plain trigger");
    expect(
      (await ok(v2.DAGResponse, "GET", "/api/v2/dags/v2_echo")).is_paused,
    ).toBe(false);
    // A typo in conf is named, with the key it probably meant, and starts nothing.
    const typo = await refused(400, "POST", "/api/v2/dags/v2_echo/dagRuns", {
      logical_date: null,
      conf: { txet: "hi" },
    });
    expect(String(typo)).toContain('"txet" is not a param of this DAG');
    expect(String(typo)).toContain('did you mean "text"');
    expect(
      (
        await ok(
          v2.DAGRunCollectionResponse,
          "GET",
          "/api/v2/dags/v2_echo/dagRuns",
        )
      ).total_entries,
    ).toBe(runsBefore);
  });

  it("answers a request for a person: the list, one, a PATCH taken once (by Anonymous without a password), and refusals", async () => {
    const withHitl = webApp(
      restate,
      state,
      undefined,
      new Map([...DAGS, [asking.id, asking]]),
    );
    const hcall = (method: string, path: string, body?: unknown) =>
      request(withHitl, method, path, body);
    const run = conform(
      v2.DAGRunResponse,
      (
        await hcall("POST", "/api/v2/dags/v2_hitl/dagRuns", {
          dag_run_id: "h1",
        })
      ).body,
    );
    const base = `/api/v2/dags/v2_hitl/dagRuns/${run.dag_run_id}`;
    const one = `${base}/taskInstances/choose/-1/hitlDetails`;
    await waitFor("the request to be kept", 60_000, async () => {
      return (await hcall("GET", one)).status === 200;
    });
    const detail = conform(v2.HITLDetail, (await hcall("GET", one)).body);
    expect(detail).toMatchObject({
      subject: "Which colour?",
      options: ["red", "blue"],
      params: {
        shade: {
          value: 1,
          description: null,
          schema: { type: "integer", maximum: 3 },
          source: "task",
        },
      },
      response_received: false,
    });
    expect(detail.task_instance).toMatchObject({
      state: "awaiting_input",
      operator: "HITLOperator",
    });
    const list = conform(
      v2.HITLDetailCollection,
      (
        await hcall(
          "GET",
          "/api/v2/dags/~/dagRuns/~/hitlDetails?order_by=-subject",
        )
      ).body,
    );
    expect(list.hitl_details.map((d) => d.task_instance.dag_run_id)).toEqual([
      "h1",
    ]);
    expect(
      conform(
        v2.HITLDetailCollection,
        (await hcall("GET", `${base}/hitlDetails?response_received=true`)).body,
      ).total_entries,
    ).toBe(0);
    expect(
      await refusal(
        await hcall("GET", `${base}/hitlDetails?order_by=colour`),
        400,
        "order_by",
      ),
    ).toContain("Ordering with 'colour' is disallowed");
    expect(
      await refusal(
        await hcall("GET", `${base}/taskInstances/choose/x/hitlDetails`),
        422,
        "map_index",
      ),
    ).toEqual([expect.objectContaining({ loc: ["path", "map_index"] })]);
    await refusal(
      await hcall("GET", `${base}/taskInstances/choose/0/hitlDetails`),
      404,
      "mapped",
    );
    await refusal(
      await hcall("GET", `${base}/taskInstances/nope/-1/hitlDetails`),
      404,
      "no task",
    );
    expect(
      await refusal(
        await hcall("PATCH", one, { chosen_options: [] }),
        422,
        "empty",
      ),
    ).toEqual([
      expect.objectContaining({
        loc: ["body", "chosen_options"],
      }),
    ]);
    expect(
      await refusal(
        await hcall("PATCH", one, {
          chosen_options: ["red"],
          params_input: { shade: 7 },
        }),
        422,
        "shade",
      ),
    ).toEqual([
      expect.objectContaining({ loc: ["body", "params_input", "shade"] }),
    ]);
    const answer = await hcall("PATCH", one, { chosen_options: ["blue"] });
    expect(answer.status).toBe(200);
    expect(conform(v2.HITLDetailResponse, answer.body)).toMatchObject({
      chosen_options: ["blue"],
      params_input: { shade: 1 },
      responded_by: { id: "Anonymous", name: "Anonymous" },
    });
    expect(
      await refusal(
        await hcall("PATCH", one, { chosen_options: ["red"] }),
        409,
        "twice",
      ),
    ).toContain("already been updated");
    await waitFor("the run to end", 60_000, async () => {
      const r = conform(v2.DAGRunResponse, (await hcall("GET", base)).body);
      return r.state === "success";
    });
  });

  it("keeps an event log of what was changed by hand, by whom, read back with filters and pages", async () => {
    const dags = new Map([...DAGS, [asking.id, asking]]);
    const open = webApp(restate, state, undefined, dags);
    const locked = webApp(restate, state, "s3cret", dags);
    const token = signToken(SECRET, "admin");
    const call = async (
      app: Hono,
      method: string,
      path: string,
      body: unknown,
      status = 200,
    ) => {
      const res = await answer(
        await app.request(`${HOST}${path}`, {
          method,
          headers: {
            "content-type": "application/json",
            ...(app === locked ? { authorization: `Bearer ${token}` } : {}),
          },
          body: JSON.stringify(body),
        }),
      );
      expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBe(
        status,
      );
      return res.body;
    };
    const base = "/api/v2/dags/v2_hitl/dagRuns/e1";
    const one = `${base}/taskInstances/choose/-1/hitlDetails`;
    const runEnded = (wanted: string) =>
      waitFor(`run e1 to be ${wanted}`, 60_000, async () => {
        const r = await request(open, "GET", base);
        return (r.body as { state?: string }).state === wanted;
      });
    await call(open, "POST", "/api/v2/dags/v2_hitl/dagRuns", {
      dag_run_id: "e1",
    });
    await waitFor("the request to be kept", 60_000, async () => {
      return (await request(open, "GET", one)).status === 200;
    });
    await call(open, "PATCH", one, { chosen_options: ["red"] });
    await runEnded("success");
    await call(locked, "PATCH", `${base}/taskInstances/choose`, {
      new_state: "failed",
    });
    await runEnded("failed");
    await call(open, "POST", `${base}/clear`, { dry_run: false });
    await call(open, "PATCH", "/api/v2/dags/v2_hitl", { is_paused: true });
    await call(open, "PATCH", "/api/v2/dags/v2_hitl", { is_paused: false });

    // Each entry is handed to Restate one-way: await them all, with a deadline.
    await waitFor("the six entries", 30_000, async () => {
      const ofRun = await list("dag_id=v2_hitl&run_id=e1");
      const pauses = await list("dag_id=v2_hitl&event=patch_dag");
      return ofRun.total_entries === 4 && pauses.total_entries === 2;
    });
    const ofRun = await list("dag_id=v2_hitl&run_id=e1");
    expect(
      ofRun.event_logs.map((e) => [e.event, e.owner, e.task_id ?? null]),
    ).toEqual([
      ["trigger_dag_run", "Anonymous", null],
      ["update_hitl_detail", "Anonymous", "choose"],
      ["patch_task_instance", "admin", "choose"],
      ["clear_dag_run", "Anonymous", null],
    ]);
    const [trigger, answered] = ofRun.event_logs;
    expect(JSON.parse(answered?.extra ?? "null")).toEqual({
      chosen_options: ["red"],
      params_input: { shade: 1 },
    });
    expect(
      (await list("dag_id=v2_hitl&event=patch_dag")).event_logs.map((e) =>
        String(e.extra),
      ),
    ).toEqual(['{"is_paused":true}', '{"is_paused":false}']);
    expect(
      (await list("dag_id=v2_hitl&owner=admin")).event_logs.map((e) => e.event),
    ).toEqual(["patch_task_instance"]);
    expect(
      (
        await list(
          "run_id=e1&included_events=clear_dag_run&included_events=trigger_dag_run",
        )
      ).total_entries,
    ).toBe(2);
    const page = await list(
      "dag_id=v2_hitl&run_id=e1&order_by=-id&limit=2&offset=1",
    );
    expect(page.total_entries).toBe(4);
    expect(page.event_logs.map((e) => e.event)).toEqual([
      "patch_task_instance",
      "update_hitl_detail",
    ]);
    const ids = (await list("dag_id=v2_hitl")).event_logs.map(
      (e) => e.event_log_id,
    );
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    // `after` and `before` are strict, as Airflow's.
    const after = await list(
      `dag_id=v2_hitl&run_id=e1&after=${encodeURIComponent(trigger?.when ?? "")}`,
    );
    expect(after.event_logs.map((e) => e.event)).not.toContain(
      "trigger_dag_run",
    );
    expect(
      (
        await list(
          `dag_id=v2_hitl&run_id=e1&before=${encodeURIComponent(trigger?.when ?? "")}`,
        )
      ).total_entries,
    ).toBe(0);
    const byId = conform(
      v2.EventLogResponse,
      (
        await request(
          open,
          "GET",
          `/api/v2/eventLogs/${answered?.event_log_id}`,
        )
      ).body,
    );
    expect(byId).toEqual(answered);
    await refusal(
      await request(open, "GET", "/api/v2/eventLogs/987654"),
      404,
      "no such entry",
    );
    await refusal(
      await request(open, "GET", "/api/v2/eventLogs/one"),
      422,
      "not an integer",
    );
    await refusal(
      await request(open, "GET", "/api/v2/eventLogs?order_by=colour"),
      400,
      "unknown order",
    );
  }, 120_000);

  it("answers a change as before when its event log entry cannot be kept", async () => {
    const unlogged = new Hono();
    unlogged.route(
      "/",
      restApi({
        dags: DAGS,
        runs: new DagRuns(restate.ingress, restate.server),
        ready: () => true,
        state,
        variables: new Variables(restate.ingress.url, restate.server),
        // Nothing listens there: every entry fails to reach Restate.
        eventLog: new EventLog("http://127.0.0.1:1", restate.server),
      }),
    );
    const before = (await list("dag_id=v2_many")).total_entries;
    for (const paused of [true, false]) {
      const res = await request(unlogged, "PATCH", "/api/v2/dags/v2_many", {
        is_paused: paused,
      });
      expect(res.status).toBe(200);
      expect(conform(v2.DAGResponse, res.body).is_paused).toBe(paused);
    }
    expect((await list("dag_id=v2_many")).total_entries).toBe(before);
  });

  it("lists entries whose fields hold quotes, percent signs and non-Latin letters by exact filters", async () => {
    const log = new EventLog(restate.ingress.url, restate.server);
    const odd = `v2_odd'"%_ё`;
    const record = (event: string, owner: string) =>
      log.record({
        when: new Date().toISOString(),
        event,
        owner,
        dag_id: odd,
        run_id: "r%",
        task_id: null,
        map_index: null,
        try_number: null,
        logical_date: null,
        extra: null,
      });
    await record("hitl.press.counted", "Аня");
    await record("hitl.press.refused", "bob_'x'");
    const query = (more: string) =>
      `dag_id=${encodeURIComponent(odd)}&run_id=${encodeURIComponent("r%")}${more}`;
    await waitFor(
      "both entries",
      10_000,
      async () => (await list(query(""))).total_entries === 2,
    );
    const byOwner = await list(
      query(`&owner=${encodeURIComponent("bob_'x'")}`),
    );
    expect(byOwner.event_logs.map((e) => e.event)).toEqual([
      "hitl.press.refused",
    ]);
    const byEvent = await list(query("&event=hitl.press.counted"));
    expect(byEvent.event_logs.map((e) => e.owner)).toEqual(["Аня"]);
    // A value that only looks like the start of another one matches nothing.
    expect(
      (await list(`dag_id=${encodeURIComponent("v2_odd'")}`)).total_entries,
    ).toBe(0);
  });

  it("has answered through every /api/v2 route above", () => {
    const routes = v2Api({
      dags: DAGS,
      runs: new DagRuns(restate.ingress, restate.server),
      state,
      source: { folder: "/dags", files: new Map() },
      ready: () => true,
      importErrors: [],
      loadedAt: new Date().toISOString(),
      variables: new Variables(restate.ingress.url, restate.server),
      eventLog: new EventLog(restate.ingress.url, restate.server),
    })
      .routes.filter((r) => r.method !== "ALL")
      .map((r) => `${r.method} ${r.path}`);
    expect(routes.length).toBeGreaterThan(25);
    expect(routes.filter((r) => !answered.has(r))).toEqual([]);
  });
});

/** How often `extract` of v2_flaky ran: a clear must not run it again unless it clears it. */
let extracted = 0;

/** A load that fails until the run is cleared, as one that met a passing outage. */
const flaky = dag({ id: "v2_flaky", schedule: null }, () => {
  const extract = task(
    { taskId: "extract" },
    () => {
      extracted += 1;
      return "data";
    },
    {},
  );
  const load = task(
    { taskId: "load" },
    ({ rows }: { rows: string }, context) => {
      if (context.clearNumber === 0) throw new Error("the warehouse is down");
      context.log.info(`loaded ${rows} after clear ${context.clearNumber}`);
      return rows;
    },
    { rows: extract.output },
  );
  task({ taskId: "report" }, ({ s }: { s: string }) => `${s}!`, {
    s: load.output,
  });
});

describe("/api/v2 clears and sets states of a finished run, which runs again from where it stopped", () => {
  let restate: TemporaryRestate;
  let web: Hono;
  const dags = new Map([[flaky.id, flaky]]);

  beforeAll(async () => {
    restate = await startTemporaryRestate("poekhali-v2-clear-");
    await restate.deploy([
      dagWorkflow(flaky, { connections: new StaticConnections([]) }),
      runRestarts({ admin: restate.server, ingress: restate.ingress }),
      airflowXCom,
      dagStateObject,
      runRecordObject,
    ]);
    web = webApp(
      restate,
      new ApiState(restate.ingress.url, restate.server),
      undefined,
      dags,
    );
  }, 60_000);
  afterAll(async () => {
    await restate?.stop();
  });

  const ok = async <S extends z.ZodType>(
    schema: S,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<z.output<S>> => {
    const res = await request(web, method, path, body);
    expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBe(
      200,
    );
    return conform(schema, res.body);
  };
  const run = (id: string) =>
    ok(v2.DAGRunResponse, "GET", `/api/v2/dags/v2_flaky/dagRuns/${id}`);
  const states = async (id: string) =>
    Object.fromEntries(
      (
        await ok(
          v2.TaskInstanceCollectionResponse,
          "GET",
          `/api/v2/dags/v2_flaky/dagRuns/${id}/taskInstances`,
        )
      ).task_instances.map((ti) => [ti.task_id, [ti.state, ti.try_number]]),
    );
  const ended = (id: string) =>
    waitFor(`v2_flaky/${id} to end`, 60_000, async () =>
      ["success", "failed"].includes((await run(id)).state),
    );
  const failedRun = async (id: string) => {
    await ok(v2.DAGRunResponse, "POST", "/api/v2/dags/v2_flaky/dagRuns", {
      dag_run_id: id,
    });
    await ended(id);
    expect(await states(id)).toEqual({
      extract: ["success", 1],
      load: ["failed", 1],
      report: ["upstream_failed", 0],
    });
  };

  it("clears a failed task and its downstream: they run again, the rest keeps its output and is not run", async () => {
    extracted = 0;
    await failedRun("outage");
    expect(extracted).toBe(1);
    const body = {
      dag_run_id: "outage",
      task_ids: ["load"],
      include_downstream: true,
      only_failed: false,
    };
    const dry = await ok(
      v2.TaskInstanceCollectionResponse,
      "POST",
      "/api/v2/dags/v2_flaky/clearTaskInstances",
      body,
    );
    expect(dry.task_instances.map((ti) => [ti.task_id, ti.state])).toEqual([
      ["load", "failed"],
      ["report", "upstream_failed"],
    ]);
    // What tasks wrote under keys of their own (the SDK's setXCom): the cleared task's goes, the other's stays.
    const xcoms = clients
      .connect({ url: restate.ingress.url })
      .objectClient<AirflowXComObject>(
        { name: AIRFLOW_XCOM_NAME },
        xcomObjectKey("v2_flaky", "outage"),
      );
    await xcoms.set({ taskId: "load", key: "attempted", value: 1 });
    await xcoms.set({ taskId: "extract", key: "source", value: "db" });
    const cleared = await ok(
      v2.TaskInstanceCollectionResponse,
      "POST",
      "/api/v2/dags/v2_flaky/clearTaskInstances",
      { ...body, dry_run: false },
    );
    expect(cleared.task_instances.map((ti) => ti.task_id)).toEqual([
      "load",
      "report",
    ]);
    await ended("outage");
    expect((await run("outage")).state).toBe("success");
    expect(await states("outage")).toEqual({
      extract: ["success", 1],
      load: ["success", 2],
      report: ["success", 1],
    });
    expect(extracted).toBe(1);
    expect(await xcoms.get({ taskId: "load", key: "attempted" })).toBeNull();
    expect(await xcoms.get({ taskId: "extract", key: "source" })).toBe("db");
    const xcom = (task: string) =>
      ok(
        v2.XComResponseNative,
        "GET",
        `/api/v2/dags/v2_flaky/dagRuns/outage/taskInstances/${task}/xcomEntries/return_value`,
      );
    expect((await xcom("extract")).value).toBe("data");
    expect((await xcom("report")).value).toBe("data!");
    // Each try keeps its own log: the failure of the first, the load of the second.
    const log = async (n: number) =>
      JSON.stringify(
        await ok(
          v2.TaskInstancesLogResponse,
          "GET",
          `/api/v2/dags/v2_flaky/dagRuns/outage/taskInstances/load/logs/${n}`,
        ),
      );
    expect(await log(1)).toContain("the warehouse is down");
    expect(await log(2)).toContain("loaded data after clear 1");
    const tries = await ok(
      v2.TaskInstanceHistoryCollectionResponse,
      "GET",
      "/api/v2/dags/v2_flaky/dagRuns/outage/taskInstances/load/tries",
    );
    expect(
      tries.task_instances.map((t) => [
        t.try_number,
        t.state,
        t.end_date !== null,
      ]),
    ).toEqual([
      [1, "failed", true],
      [2, "success", true],
    ]);
  });

  it("marks task instances and runs by hand: the states are set, nothing runs", async () => {
    extracted = 0;
    await failedRun("marked");
    const marked = await ok(
      v2.TaskInstanceCollectionResponse,
      "PATCH",
      "/api/v2/dags/v2_flaky/dagRuns/marked/taskInstances/load",
      { new_state: "success", include_downstream: true },
    );
    expect(marked.task_instances.map((ti) => [ti.task_id, ti.state])).toEqual([
      ["load", "success"],
      ["report", "success"],
    ]);
    expect((await run("marked")).state).toBe("success");
    expect(
      (
        await ok(
          v2.DAGRunResponse,
          "PATCH",
          "/api/v2/dags/v2_flaky/dagRuns/marked",
          { state: "failed" },
        )
      ).state,
    ).toBe("failed");
    // Marking a run failed leaves its task instances as they ended.
    expect(Object.values(await states("marked")).map(([s]) => s)).toEqual([
      "success",
      "success",
      "success",
    ]);
    await ok(
      v2.DAGRunResponse,
      "PATCH",
      "/api/v2/dags/v2_flaky/dagRuns/marked",
      {
        state: "queued",
      },
    );
    await ended("marked");
    expect((await run("marked")).state).toBe("success");
    expect(extracted).toBe(1);

    await failedRun("all-success");
    expect(
      (
        await ok(
          v2.DAGRunResponse,
          "PATCH",
          "/api/v2/dags/v2_flaky/dagRuns/all-success",
          { state: "success" },
        )
      ).state,
    ).toBe("success");
    expect(await states("all-success")).toEqual({
      extract: ["success", 1],
      load: ["success", 1],
      report: ["success", 0],
    });
  });

  it("refuses a hostile page's clear and a misspelt task id, and the run stays as it ended", async () => {
    extracted = 0;
    await failedRun("guarded");
    const body = JSON.stringify({
      dag_run_id: "guarded",
      task_ids: ["load"],
      dry_run: false,
    });
    const crossSite = await answer(
      await web.request(`${HOST}/api/v2/dags/v2_flaky/clearTaskInstances`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          origin: "https://evil.example",
        },
        body,
      }),
    );
    refusal(crossSite, 403, "a cross-site clear");
    const form = await answer(
      await web.request(`${HOST}/api/v2/dags/v2_flaky/clearTaskInstances`, {
        method: "POST",
        headers: { "content-type": "text/plain" },
        body,
      }),
    );
    refusal(form, 415, "a text/plain clear");
    const typo = await request(
      web,
      "POST",
      "/api/v2/dags/v2_flaky/clearTaskInstances",
      { dag_run_id: "guarded", task_ids: ["laod"], dry_run: false },
    );
    expect(refusal(typo, 404, "a misspelt task id")).toBe(
      "Task 'laod' not found in DAG 'v2_flaky' (did you mean 'load'?)",
    );
    expect((await run("guarded")).state).toBe("failed");
    expect(await states("guarded")).toEqual({
      extract: ["success", 1],
      load: ["failed", 1],
      report: ["upstream_failed", 0],
    });
    expect(extracted).toBe(1);
  });

  it("takes one of two clears sent at once, and the run runs once more, not twice", async () => {
    extracted = 0;
    await failedRun("busy");
    const [before] = await restate.server.query<{
      id: string;
      created_at: string;
    }>(
      "SELECT id, CAST(created_at AS VARCHAR) AS created_at FROM sys_invocation " +
        "WHERE target_service_name = 'v2_flaky' AND target_service_key = 'busy' AND target_handler_name = 'run'",
    );
    const clear = () =>
      request(web, "POST", "/api/v2/dags/v2_flaky/dagRuns/busy/clear", {
        dry_run: false,
      });
    const answers = await Promise.all([clear(), clear()]);
    // Each clear applies to the run as it finds it. The second is refused while the first one's run is being
    // started again or runs; on a slow machine that run may already have ended again, and the second clear then
    // clears it. Never are both applied to one reading of the run: it runs once per clear taken.
    const taken = answers.filter((a) => a.status === 200).length;
    expect(taken).toBeGreaterThanOrEqual(1);
    for (const refused of answers.filter((a) => a.status !== 200))
      expect(refusal(refused, 409, "the second clear")).toMatch(
        /run 'busy' (has not ended|is (queued|running)|was changed by someone else meanwhile|is being started again by another change)/,
      );
    await ended("busy");
    expect((await run("busy")).state).toBe("success");
    expect(extracted).toBe(1 + taken);
    // A change made from the run as it was before (the second clear, had it come after the run ended) is refused:
    // the invocation id stays with the key, the creation time does not.
    const stale = await clients
      .connect({ url: restate.ingress.url })
      .objectClient<RunRestarts>(
        { name: RUN_RESTARTS_NAME },
        runRestartsKey("v2_flaky", "busy"),
      )
      .restart({
        dag_id: "v2_flaky",
        run_id: "busy",
        invocation_id: before?.id ?? "",
        created_at: before?.created_at ?? "",
        input: { resume: { state: {} } },
      });
    expect(stale).toEqual({
      restarted: false,
      reason: "run 'busy' was changed by someone else meanwhile",
    });
    // Each clear taken cleared the whole run: every task ran one more try per clear.
    expect(await states("busy")).toEqual({
      extract: ["success", 1 + taken],
      load: ["success", 1 + taken],
      report: ["success", taken],
    });
  });
});

/** The app as `poekhali up` mounts it: the gate (with or without a password), then the REST API. */
function webApp(
  restate: TemporaryRestate,
  state: ApiState,
  password: string | undefined,
  dags: ReadonlyMap<string, Dag> = DAGS,
): Hono {
  const web = new Hono();
  web.use("*", recordRoutes);
  web.route(
    "/",
    gate({
      bindHost: "127.0.0.1",
      allowedHosts: [],
      auth: new SimpleAuth({
        username: "admin",
        password,
        secret: SECRET,
      }),
      ownSecretPaths: [],
    }),
  );
  web.route(
    "/",
    restApi({
      dags,
      runs: new DagRuns(restate.ingress, restate.server),
      ready: () => true,
      state,
      variables: new Variables(restate.ingress.url, restate.server),
      eventLog: new EventLog(restate.ingress.url, restate.server),
      source: {
        folder: "/dags",
        files: new Map(
          [...dags.keys()].map((id) => [
            id,
            `/dags/${id.replace("v2_", "")}.ts`,
          ]),
        ),
      },
    }),
  );
  return web;
}

async function answer(res: Response): Promise<Answer> {
  const text = await res.text();
  return {
    status: res.status,
    type: res.headers.get("content-type"),
    headers: res.headers,
    body: text ? (JSON.parse(text) as unknown) : null,
  };
}

async function request(
  web: Hono,
  method: string,
  path: string,
  body?: unknown,
): Promise<Answer> {
  const res = await web.request(`${HOST}${path}`, {
    method,
    ...(body === undefined
      ? {}
      : {
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        }),
  });
  return answer(res);
}

/** The body, parsed by the contract schema, or a failure naming every field that does not conform. */
function conform<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const parsed = schema.safeParse(body);
  if (!parsed.success)
    throw new Error(
      `answer does not conform: ${z.prettifyError(parsed.error)}\n${JSON.stringify(body, null, 1).slice(0, 3000)}`,
    );
  return parsed.data;
}

/** An error answer's detail, after checking its status, content type and shape. */
function refusal(res: Answer, status: number, what: string): unknown {
  expect(res.status, `${what}: ${JSON.stringify(res.body)}`).toBe(status);
  // airflowctl reads an error's body only when the content type is exactly this.
  expect(res.type).toBe("application/json");
  if (
    status === 422 &&
    Array.isArray((res.body as { detail?: unknown }).detail)
  )
    return conform(v2.HTTPValidationError, res.body).detail;
  return conform(v2.HTTPExceptionResponse, res.body).detail;
}
