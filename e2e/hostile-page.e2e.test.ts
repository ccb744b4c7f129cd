import { createServer, type Server } from "node:http";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { xcomObjectKey } from "@poekhali/core/airflow";
import { RestateAdmin } from "../packages/poekhali/src/restate/restate-admin.js";
import { launchChromium } from "./chromium.js";
import {
  eventually,
  postJson,
  startApp,
  type AppUnderTest,
} from "./harness.js";
import {
  returnValue,
  sandboxOf,
  sensorsParked,
  taskStates,
  trigger,
  cancelRun,
} from "./sandbox.js";

const GO = "telegram_go_button";
// A key the REST API does not mask (Airflow masks names like "password"), so that the test can read it back.
const SECRET = "https://hooks.example/T0/B0/hunter2";

/** What a page's `fetch` came to: an answer it may read, an opaque one (`no-cors`), or a refusal by the browser. */
interface PageAnswer {
  readonly status?: number;
  readonly type?: string;
  readonly text?: string;
  readonly error?: string;
}

/**
 * A hostile web page the user happens to open while `npm start` runs: it knows the fixed loopback ports of
 * Restate's ingress and admin API, and calls them with `fetch` from its own origin, as any site can.
 */
describe("a web page from another origin cannot act through Restate's ingress or admin API", () => {
  let app: AppUnderTest;
  let ingress: string;
  let admin: string;
  let hostile: Server;
  let browser: Browser;
  let page: Page;
  let parkedRun: string;
  let ports: { ingressPort: number; adminPort: number; nodePort: number };

  /** Runs `fetch(url, init)` inside the hostile page. */
  const fromPage = (url: string, init: RequestInit = {}): Promise<PageAnswer> =>
    // A string, so that the test's transpiler adds nothing the page does not have.
    page.evaluate(`(async () => {
      try {
        const res = await fetch(${JSON.stringify(url)}, ${JSON.stringify(init)});
        return { status: res.status, type: res.type, text: await res.text() };
      } catch (e) {
        return { error: String(e) };
      }
    })()`);
  const json = (body: unknown): RequestInit => ({
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });

  beforeAll(async () => {
    app = await startApp();
    ports = JSON.parse(
      readFileSync(join(app.home, "ports.json"), "utf8"),
    ) as typeof ports;
    ingress = `http://127.0.0.1:${ports.ingressPort}`;
    admin = `http://127.0.0.1:${ports.adminPort}`;
    hostile = createServer((_, res) =>
      res
        .writeHead(200, { "content-type": "text/html" })
        .end("<!doctype html><title>cute cats</title><p>cats"),
    );
    await new Promise<void>((resolve) =>
      hostile.listen(0, "127.0.0.1", resolve),
    );
    browser = await launchChromium();
    page = await browser.newPage();
    // Another site than 127.0.0.1 (the ports differ too): every call below is cross-site.
    await page.goto(
      `http://localhost:${(hostile.address() as { port: number }).port}/`,
    );
    // What the user did through poekhali: a Variable with a secret, and a run parked on its button.
    expect(
      (
        await postJson(`${app.url}/api/v2/variables`, {
          key: "alerts_channel",
          value: SECRET,
        })
      ).status,
    ).toBe(201);
    parkedRun = await trigger(app, { dag_run_id: "parked_by_the_user" });
    await sensorsParked(app, [parkedRun]);
  });
  afterAll(async () => {
    await browser?.close();
    hostile?.close();
    await app?.stop();
  });

  it("refuses a page's trigger of a DAG run through the ingress, called, sent or posted without a preflight, and no task runs", async () => {
    const sb = await sandboxOf(app);
    const before = (await sb.messages()).length;
    const called = await fromPage(
      `${ingress}/${GO}/forged_call/run`,
      json({ conf: {} }),
    );
    // Restate's ingress lets the page read the answer (it allows every origin): the refusal, not a run.
    expect(called.status, JSON.stringify(called)).toBe(403);
    expect(called.text).toContain("not signed");
    const sent = await fromPage(
      `${ingress}/${GO}/forged_send/run/send`,
      json({ conf: {} }),
    );
    // A send is only accepted; the invocation then fails before its first step.
    expect(sent.status, JSON.stringify(sent)).toBe(202);
    // No content type, no body: a "simple" request, sent without a preflight even by a careful browser.
    const simple = await fromPage(`${ingress}/${GO}/forged_simple/run/send`, {
      method: "POST",
      mode: "no-cors",
    });
    expect(simple.type).toBe("opaque");
    for (const runId of ["forged_call", "forged_send", "forged_simple"])
      await eventually(`${runId} to have failed in Restate`, async () => {
        const [row] = await new RestateAdmin(admin).query<{
          status: string;
        }>(
          `SELECT status FROM sys_invocation WHERE target_service_name = '${GO}' AND target_service_key = '${runId}'`,
        );
        return row?.status === "completed" || undefined;
      });
    // They ran nothing and are no runs: the API neither shows nor lists nor counts them.
    for (const runId of ["forged_call", "forged_send", "forged_simple"]) {
      const run = await app.json<{ state: string }>(
        `/api/v2/dags/${GO}/dagRuns/${runId}`,
      );
      expect([runId, run.status]).toEqual([runId, 404]);
    }
    const listed = await app.json<{
      dag_runs: { dag_run_id: string }[];
      total_entries: number;
    }>(`/api/v2/dags/${GO}/dagRuns?limit=100`);
    expect(listed.body.dag_runs.map((r) => r.dag_run_id)).toEqual([parkedRun]);
    expect(listed.body.total_entries).toBe(1);
    // No «Поехали» message went out for any of them.
    expect((await sb.messages()).length).toBe(before);
    // A page cannot take a run id before the user: the user's trigger of it starts the run.
    expect(await trigger(app, { dag_run_id: "forged_send" })).toBe(
      "forged_send",
    );
    await sensorsParked(app, ["forged_send"]);
    expect((await taskStates(app, "forged_send")).send_button?.state).toBe(
      "success",
    );
    // And the id is then the run's: a second trigger is refused as Airflow refuses it.
    expect(
      (
        await postJson(`${app.url}/api/v2/dags/${GO}/dagRuns`, {
          dag_run_id: "forged_send",
        })
      ).status,
    ).toBe(409);
    // Two triggers of another taken id at once: one takes it back and starts the run, the other is told it exists.
    const both = await Promise.all(
      [0, 1].map(() =>
        postJson(`${app.url}/api/v2/dags/${GO}/dagRuns`, {
          dag_run_id: "forged_simple",
        }),
      ),
    );
    expect(both.map((answer) => answer.status).sort()).toEqual([200, 409]);
    await sensorsParked(app, ["forged_simple"]);
    // One button each for the two runs started, none for the forged calls.
    expect((await sb.messages()).length).toBe(before + 2);
  });

  it("refuses a page's read, change and deletion of a Variable", async () => {
    const read = await fromPage(
      `${ingress}/airflow_variable/alerts_channel/get`,
      {
        method: "POST",
      },
    );
    expect(read.status, JSON.stringify(read)).toBe(403);
    expect(read.text).not.toContain(SECRET);
    const changed = await fromPage(
      `${ingress}/airflow_variable/alerts_channel/set`,
      json({ value: "attacker's", description: null }),
    );
    expect(changed.status).toBe(403);
    const deleted = await fromPage(
      `${ingress}/airflow_variable/alerts_channel/delete`,
      { method: "POST", mode: "no-cors" },
    );
    expect(deleted.type).toBe("opaque");
    // The REST API still answers the user's value.
    const kept = await app.json<{ value: string }>(
      "/api/v2/variables/alerts_channel",
    );
    expect([kept.status, kept.body.value]).toEqual([200, SECRET]);
  });

  it("refuses a page's reads of a run's XCom and status, and its restart of a run", async () => {
    for (const [path, body] of [
      [`${GO}/${parkedRun}/xcom`, { task_id: "send_button" }],
      [`${GO}/${parkedRun}/status`, undefined],
      [
        `airflow_xcom/${encodeURIComponent(xcomObjectKey(GO, parkedRun))}/get`,
        { taskId: "send_button", key: "return_value" },
      ],
      [
        `poekhali_run_restarts/${encodeURIComponent(`${GO}/${parkedRun}`)}/restart`,
        {
          dag_id: GO,
          run_id: parkedRun,
          invocation_id: "inv_forged",
          created_at: new Date().toISOString(),
          input: { conf: {} },
        },
      ],
    ] as const) {
      const answer = await fromPage(
        `${ingress}/${path}`,
        body === undefined ? { method: "POST" } : json(body),
      );
      expect(answer.status, `${path}: ${JSON.stringify(answer)}`).toBe(403);
    }
    // The user's own reads through the REST API still answer.
    const button = (await returnValue(app, parkedRun, "send_button")) as {
      message_id: number;
    };
    expect(typeof button.message_id).toBe("number");
  });

  it("cannot reach Restate's admin API: it answers no preflight and takes JSON only", async () => {
    const before = await fetch(`${admin}/deployments`).then(
      (r) => r.json() as Promise<{ deployments: unknown[] }>,
    );
    // JSON needs a preflight, which the admin API refuses (405, no CORS headers): the browser sends nothing.
    const query = await fromPage(
      `${admin}/query`,
      json({ query: "SELECT value_utf8 FROM state" }),
    );
    expect(query.error).toContain("Failed to fetch");
    const kill = await fromPage(`${admin}/invocations/inv_1/kill`, {
      method: "PATCH",
    });
    expect(kill.error).toContain("Failed to fetch");
    // A simple request goes out, and is refused for its content type (415): nothing registered.
    const register = await fromPage(`${admin}/deployments`, {
      method: "POST",
      mode: "no-cors",
      headers: { "content-type": "text/plain" },
      body: JSON.stringify({ uri: "http://127.0.0.1:9/", force: true }),
    });
    expect(register.type).toBe("opaque");
    const after = await fetch(`${admin}/deployments`).then(
      (r) => r.json() as Promise<{ deployments: unknown[] }>,
    );
    expect(after.deployments.length).toBe(before.deployments.length);
  });

  it("binds restate-server's ingress, admin and node ports to loopback only", () => {
    // The kernel's table of listening TCP sockets: "0100007F:1F90" is 127.0.0.1:8080, state 0A is LISTEN.
    const listening = ["/proc/net/tcp", "/proc/net/tcp6"].flatMap((file) =>
      readFileSync(file, "utf8")
        .split("\n")
        .slice(1)
        .map((line) => line.trim().split(/\s+/))
        .filter((cols) => cols[3] === "0A")
        .map((cols) => {
          const [addr = "", port = ""] = (cols[1] ?? "").split(":");
          return { addr, port: parseInt(port, 16) };
        }),
    );
    for (const port of [ports.ingressPort, ports.adminPort, ports.nodePort]) {
      const bound = listening.filter((l) => l.port === port).map((l) => l.addr);
      expect(bound, `port ${port}`).toEqual(["0100007F"]);
    }
  });

  it("still cancels the parked run through the REST API after the hostile calls", async () => {
    expect(await cancelRun(app, parkedRun)).toBe(200);
  });
});
