import { spawn } from "node:child_process";
import { request } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DAGCollectionResponse,
  DAGRunCollectionResponse,
  HTTPExceptionResponse,
  LoginResponse,
} from "../packages/poekhali/src/api/v2/airflow-v2-contract.js";
import { startApp, type AppUnderTest } from "./harness.js";
import { v2Body, v2Get } from "./v2-answer.js";

const ROOT = new URL("..", import.meta.url).pathname;
const BIN = join(ROOT, "packages/poekhali/bin/poekhali.js");
const PASSWORD = "e2e correct horse";
const DAG_RUNS = "/api/v2/dags/telegram_go_button/dagRuns";
/** Airflow 2's path of the same runs: /api/v1 stays, so the gate must stand in front of it too. */
const V1_DAG_RUNS = "/api/v1/dags/telegram_go_button/dagRuns";

/** Runs the CLI to its end; returns its exit code and what it printed. */
function cli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.once("exit", (code) => resolve({ code, out }));
  });
}

/** A GET with a Host header of our choosing, which fetch does not allow. */
function getWithHost(url: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.once("error", reject);
    req.end();
  });
}

/**
 * Starts a POST of a `size`-byte body (chunked, or with its Content-Length) on a connection of its own, but writes
 * only the first `sent` bytes and then waits for the answer: a server that reads the whole body before answering
 * would wait forever (and the test time out); one that stops at its limit answers at once.
 */
function postHuge(
  url: string,
  token: string,
  size: number,
  sent: number,
  withLength: boolean,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: "POST",
        agent: false,
        headers: {
          authorization: `Bearer ${token}`,
          "content-type": "application/json",
          ...(withLength ? { "content-length": String(size) } : {}),
        },
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
        req.destroy();
      },
    );
    req.once("error", reject);
    req.flushHeaders();
    req.write(Buffer.alloc(sent, 0x20));
  });
}

describe("poekhali up beyond loopback", () => {
  it("refuses to start on 0.0.0.0 without POEKHALI_AUTH_PASSWORD, naming both variables", async () => {
    const home = mkdtempSync(join(tmpdir(), "poekhali-e2e-doors-"));
    try {
      const { code, out } = await cli(["up"], {
        HOME: home,
        POEKHALI_HOME: home,
        POEKHALI_PORT: "0",
        POEKHALI_HOST: "0.0.0.0",
      });
      expect(code).not.toBe(0);
      expect(out).toContain("POEKHALI_AUTH_PASSWORD");
      expect(out).toContain("POEKHALI_HOST");
      expect(out).not.toContain("poekhali is up");
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});

describe("an app on 0.0.0.0 with a password", () => {
  let app: AppUnderTest;
  let token: string;
  const authed = (init: RequestInit = {}): RequestInit => ({
    ...init,
    headers: {
      authorization: `Bearer ${token}`,
      "content-type": "application/json",
      ...(init.headers as Record<string, string> | undefined),
    },
  });
  const login = (password: string) =>
    app.json<{ access_token: string }>("/auth/token", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "admin", password }),
    });
  const runIds = async () =>
    (
      await v2Get(app, DAG_RUNS, DAGRunCollectionResponse, authed())
    ).dag_runs.map((r) => r.dag_run_id);

  beforeAll(async () => {
    app = await startApp({
      POEKHALI_HOST: "0.0.0.0",
      POEKHALI_AUTH_PASSWORD: PASSWORD,
    });
    token = (await login(PASSWORD)).body.access_token;
  }, 120_000);
  afterAll(async () => {
    await app?.stop();
  });

  it("answers 401 without a token, 201 with one from /auth/token, then 200, on /api/v2 and /api/v1 alike", async () => {
    const without = await fetch(`${app.url}/api/v2/dags`);
    expect(without.headers.get("www-authenticate")).toBe("Bearer");
    expect(
      v2Body(
        "GET /api/v2/dags without a token",
        HTTPExceptionResponse,
        {
          status: without.status,
          body: await without.json(),
        },
        401,
      ),
    ).toEqual({ detail: "Not authenticated" });
    const v1Without = await fetch(`${app.url}/api/v1/dags`);
    expect(v1Without.status).toBe(401);
    expect(v1Without.headers.get("www-authenticate")).toBe("Bearer");
    expect((await login("guess")).status).toBe(401);
    const issued = v2Body(
      "POST /auth/token",
      LoginResponse,
      await login(PASSWORD),
      201,
    );
    const bearer = { authorization: `Bearer ${issued.access_token}` };
    const dags = await v2Get(app, "/api/v2/dags", DAGCollectionResponse, {
      headers: bearer,
    });
    expect(dags.dags.map((d) => d.dag_id)).toEqual([
      "telegram_approval",
      "telegram_go_button",
      "telegram_go_button_sdk",
    ]);
    expect(
      (await fetch(`${app.url}/api/v1/dags`, { headers: bearer })).status,
    ).toBe(200);
    expect(app.output()).not.toContain(PASSWORD);
    expect(app.output()).not.toContain(token);
  });

  it("refuses a text/plain or form trigger from a foreign page, and runs nothing", async () => {
    const body = JSON.stringify({
      dag_run_id: "csrf",
      conf: { text: "pwned" },
    });
    const plain = await fetch(`${app.url}${DAG_RUNS}`, {
      method: "POST",
      headers: { origin: "https://evil.example", "content-type": "text/plain" },
      body,
    });
    expect(plain.status).toBe(403);
    // The same page's trigger through Airflow 2's path meets the same door.
    const plainV1 = await fetch(`${app.url}${V1_DAG_RUNS}`, {
      method: "POST",
      headers: { origin: "https://evil.example", "content-type": "text/plain" },
      body,
    });
    expect(plainV1.status).toBe(403);
    const form = await fetch(`${app.url}${DAG_RUNS}`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${token}`,
        "content-type": "application/x-www-form-urlencoded",
      },
      body,
    });
    expect(form.status).toBe(415);
    const crossSite = await fetch(
      `${app.url}${DAG_RUNS}`,
      authed({
        method: "POST",
        body,
        headers: { "sec-fetch-site": "cross-site" },
      }),
    );
    expect(crossSite.status).toBe(403);
    expect(await runIds()).not.toContain("csrf");
  });

  it("answers 421 to a foreign Host (DNS rebinding), and serves its loopback names", async () => {
    const url = `${app.url}/login`;
    expect(await getWithHost(url, "rebound.evil.example")).toBe(421);
    expect(await getWithHost(url, `localhost:${new URL(app.url).port}`)).toBe(
      200,
    );
    // Health probes come by any name.
    expect(await getWithHost(`${app.url}/healthz`, "10.1.2.3:8000")).toBe(200);
  });

  it("refuses bad ids, deep confs, unknown keys and bad durations with 400, before anything runs", async () => {
    /** A trigger's refusal: Airflow's 400 with a `detail` sentence. */
    const refused = async (body: string) =>
      v2Body(
        `a trigger of ${body.slice(0, 60)}`,
        HTTPExceptionResponse,
        await app.json(DAG_RUNS, authed({ method: "POST", body })),
        400,
      ).detail;
    const trigger = (body: unknown) => refused(JSON.stringify(body));
    for (const id of [".", ".."])
      expect(await trigger({ dag_run_id: id })).toContain("dag_run_id");
    expect(
      await refused(
        `{"dag_run_id":"deep","conf":${'{"a":'.repeat(5_000)}1${"}".repeat(5_000)}}`,
      ),
    ).toContain("32 levels");
    const typo = await trigger({ dag_run_id: "typo", conf: { tiemout: "3s" } });
    expect(typo).toContain('"tiemout"');
    expect(typo).toContain('did you mean "timeout"');
    for (const timeout of ["0s", "0.0001ms", "99999999999d"])
      expect(
        await trigger({ dag_run_id: `d_${timeout}`, conf: { timeout } }),
      ).toContain('"timeout"');
    // 40 MB declared up front: refused before a byte of it is read.
    expect(
      await postHuge(`${app.url}${DAG_RUNS}`, token, 40_000_000, 0, true),
    ).toBe(413);
    // 40 MB chunked: refused once past 1 MiB, without waiting for the rest.
    expect(
      await postHuge(
        `${app.url}${DAG_RUNS}`,
        token,
        40_000_000,
        1_100_000,
        false,
      ),
    ).toBe(413);
    expect(await runIds()).toEqual([]);
  });

  it("lets the CLI in with POEKHALI_AUTH_PASSWORD, refuses it without, and refuses an unknown conf key", async () => {
    const url = ["--url", app.url];
    // `dags list-runs` asks the app (`dags list` reads the DAGs folder and needs no login).
    const runs = ["dags", "list-runs", "telegram_go_button", ...url];
    const list = await cli(runs, { POEKHALI_AUTH_PASSWORD: PASSWORD });
    expect(list.code).toBe(0);
    expect(list.out).toContain("dag_run_id");
    const anonymous = await cli(runs);
    expect(anonymous.code).toBe(1);
    expect(anonymous.out).toContain("POEKHALI_AUTH_PASSWORD");
    const typo = await cli(
      [
        "dags",
        "trigger",
        "telegram_go_button",
        "--conf",
        '{"tiemout": "3s"}',
        ...url,
      ],
      { POEKHALI_AUTH_PASSWORD: PASSWORD },
    );
    expect(typo.code).toBe(1);
    expect(typo.out).toContain('"tiemout" is not a param of this DAG');
    expect(await runIds()).toEqual([]);
  });
});
