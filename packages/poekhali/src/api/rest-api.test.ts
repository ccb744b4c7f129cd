import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  StaticConnections,
  dag,
  dagWorkflow,
  durationParam,
  task,
} from "@poekhali/core";
import {
  startTemporaryRestate,
  type TemporaryRestate,
} from "../restate/temporary-restate.js";
import { waitFor } from "../wait-for.js";
import { ApiState } from "./api-state.js";
import { dagStateObject } from "../api-state/dag-state-object.js";
import { runRecordObject } from "../api-state/run-record-object.js";
import { DagRuns } from "./dag-runs.js";
import { eventLogObject } from "@poekhali/core";
import { EventLog } from "./event-log.js";
import { Variables } from "./variables.js";
import { restApi } from "./rest-api.js";

const echo = dag(
  {
    id: "t_api",
    schedule: null,
    params: z.object({
      text: z.string().default("hi"),
      timeout: durationParam().default("6h"),
    }),
  },
  ({ params }) => {
    task({ taskId: "echo" }, ({ text }: { text: string }) => text, {
      text: params.text,
    });
  },
);

const MIB = 1024 * 1024;
const CHUNK = 64 * 1024;

/** A 40 MB body made only as it is read; `pulled()` says how many bytes the server took. */
function hugeBody() {
  let pulled = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulled >= 40 * 1_000_000) return controller.close();
      pulled += CHUNK;
      controller.enqueue(new Uint8Array(CHUNK).fill(0x20));
    },
  });
  return { stream, pulled: () => pulled };
}

describe("the REST API refuses bad input with a 4xx, and runs nothing", () => {
  let restate: TemporaryRestate;
  let runs: DagRuns;
  let app: Hono;

  beforeAll(async () => {
    restate = await startTemporaryRestate("poekhali-rest-api-");
    await restate.deploy([
      dagWorkflow(echo, { connections: new StaticConnections([]) }),
      eventLogObject,
      dagStateObject,
      runRecordObject,
    ]);
    runs = new DagRuns(restate.ingress, restate.server);
    app = new Hono();
    app.route(
      "/",
      restApi({
        dags: new Map([[echo.id, echo]]),
        runs,
        ready: () => true,
        state: new ApiState(restate.ingress.url, restate.server),
        variables: new Variables(restate.ingress.url, restate.server),
        eventLog: new EventLog(restate.ingress.url, restate.server),
      }),
    );
  }, 60_000);
  afterAll(async () => {
    await restate?.stop();
  });

  const trigger = (body: unknown) =>
    app.request("/api/v1/dags/t_api/dagRuns", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  const refusal = async (res: Response) => ({
    status: res.status,
    detail: ((await res.json()) as { detail: string }).detail,
  });
  const runIds = async () =>
    (await runs.list(echo)).map((r) => r.dag_run_id).sort();

  it("answers 413 to a 40 MB body with a Content-Length, before reading it", async () => {
    const body = hugeBody();
    const res = await app.request(
      new Request("http://localhost/api/v1/dags/t_api/dagRuns", {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "content-length": String(40 * 1_000_000),
        },
        body: body.stream,
        duplex: "half",
      } as RequestInit),
    );
    expect(await refusal(res)).toMatchObject({
      status: 413,
      detail: expect.stringContaining("1 MiB") as string,
    });
    expect(body.pulled()).toBeLessThanOrEqual(CHUNK);
  });

  it("answers 413 to a chunked 40 MB body after reading at most 1 MiB of it", async () => {
    const body = hugeBody();
    const res = await app.request(
      new Request("http://localhost/api/v1/dags/t_api/dagRuns", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: body.stream,
        duplex: "half",
      } as RequestInit),
    );
    expect(res.status).toBe(413);
    expect(body.pulled()).toBeLessThanOrEqual(MIB + 2 * CHUNK);
  });

  it("refuses the run ids Airflow refuses, and . and .., with 400", async () => {
    for (const id of [".", "..", "a b/c", "x".repeat(251), "", "ü"]) {
      const { status, detail } = await refusal(
        await trigger({ dag_run_id: id }),
      );
      expect(status).toBe(400);
      expect(detail).toMatch(/^dag_run_id: /);
    }
    expect(
      (await refusal(await app.request("/api/v1/dags/t_api/dagRuns/a%20b")))
        .status,
    ).toBe(400);
  });

  it("refuses a conf nested 5,000 levels deep with 400 naming the limit", async () => {
    const deep = '{"a":'.repeat(5_000) + "1" + "}".repeat(5_000);
    const res = await app.request("/api/v1/dags/t_api/dagRuns", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: `{"dag_run_id":"deep","conf":${deep}}`,
    });
    const { status, detail } = await refusal(res);
    expect(status).toBe(400);
    expect(detail).toContain("nested deeper than 32 levels");
  });

  it("refuses a conf key the params do not declare, naming it and the closest one", async () => {
    const { status, detail } = await refusal(
      await trigger({ dag_run_id: "typo", conf: { tiemout: "3s" } }),
    );
    expect(status).toBe(400);
    expect(detail).toContain(
      '"tiemout" is not a param of this DAG (did you mean "timeout"?)',
    );
  });

  it("refuses a conf key __proto__ as undeclared, rather than dropping it unseen", async () => {
    // Written out: JSON.stringify of an object literal would not carry the key.
    const res = await app.request("/api/v1/dags/t_api/dagRuns", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"dag_run_id": "proto", "conf": {"__proto__": {"timeout": "1s"}}}',
    });
    const { status, detail } = await refusal(res);
    expect(status).toBe(400);
    expect(detail).toContain('"__proto__" is not a param of this DAG');
  });

  it("refuses durations outside 1 s … 366 d or not whole ms before anything runs", async () => {
    for (const timeout of ["0s", "0.0001ms", "99999999999d"]) {
      const { status, detail } = await refusal(
        await trigger({ dag_run_id: `bad_${timeout}`, conf: { timeout } }),
      );
      expect(status).toBe(400);
      expect(detail).toContain('"timeout"');
    }
  });

  it("has run nothing it refused, and runs what it accepts", async () => {
    expect(
      (await trigger({ dag_run_id: "good", conf: { timeout: "1s" } })).status,
    ).toBe(200);
    await waitFor(
      "the accepted run to succeed",
      20_000,
      async () => (await runs.get(echo, "good"))?.run.state === "success",
    );
    expect(await runIds()).toEqual(["good"]);
  });

  it("records the trigger it accepted in the event log, and none it refused", async () => {
    const entries = async () => {
      const res = await app.request("/api/v2/eventLogs?dag_id=" + echo.id);
      expect(res.status).toBe(200);
      return (
        (await res.json()) as {
          event_logs: { event: string; run_id: string; owner: string }[];
        }
      ).event_logs;
    };
    await waitFor(
      "the trigger's entry",
      20_000,
      async () => (await entries()).length > 0,
    );
    expect((await entries()).map((e) => [e.event, e.run_id, e.owner])).toEqual([
      ["trigger_dag_run", "good", "Anonymous"],
    ]);
  });
});
