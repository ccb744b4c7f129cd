import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { z } from "zod";
import * as v2 from "../packages/poekhali/src/api/v2/airflow-v2-contract.js";
import { alive, eventually, startApp, type AppUnderTest } from "./harness.js";
import { withToken } from "./v2-answer.js";

const ROOT = new URL("..", import.meta.url).pathname;

/** The tasks' states of a run, by task id. */
type States = Record<string, string | null | undefined>;

describe("tasks that wait for a person (Airflow's hitl/approval), answered over /api/v2 as Airflow's clients answer", () => {
  // Inside the repository, so that the DAG file is an ES module resolving from its node_modules, as in a project.
  const work = mkdtempSync(join(ROOT, "e2e", ".work-hitl-"));
  const dags = join(work, "dags");
  mkdirSync(dags, { recursive: true });
  copyFileSync(
    join(ROOT, "e2e/fixtures/hitl-sdk-dags.ts.txt"),
    join(dags, "people.ts"),
  );
  let app: AppUnderTest;
  let token = "";

  /** Calls the API with the bearer token; returns the status and the parsed body. */
  const api = async (method: string, path: string, body?: unknown) => {
    const { status, body: answer } = await withToken(
      app,
      token,
      method,
      path,
      body,
    );
    return { status, body: answer };
  };

  /** A 200 answer, checked against Airflow's schema. */
  async function ok<S extends z.ZodType>(
    schema: S,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<z.output<S>> {
    const res = await api(method, path, body);
    expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBe(
      200,
    );
    return schema.parse(res.body);
  }

  const runPath = (dagId: string, runId: string) =>
    `/api/v2/dags/${dagId}/dagRuns/${runId}`;
  const detailPath = (dagId: string, runId: string, taskId: string) =>
    `${runPath(dagId, runId)}/taskInstances/${taskId}/-1/hitlDetails`;

  async function trigger(dagId: string, runId: string): Promise<void> {
    await ok(v2.DAGRunResponse, "POST", `/api/v2/dags/${dagId}/dagRuns`, {
      dag_run_id: runId,
      logical_date: null,
    });
  }

  async function states(dagId: string, runId: string): Promise<States> {
    const { task_instances } = await ok(
      v2.TaskInstanceCollectionResponse,
      "GET",
      `${runPath(dagId, runId)}/taskInstances`,
    );
    return Object.fromEntries(task_instances.map((t) => [t.task_id, t.state]));
  }

  /** Waits until the task waits for a person and its request can be read. */
  async function parked(dagId: string, runId: string, taskId: string) {
    await eventually(
      `${dagId}/${runId}/${taskId} to wait for input`,
      async () =>
        (await states(dagId, runId))[taskId] === "awaiting_input" &&
        (await api("GET", detailPath(dagId, runId, taskId))).status === 200,
      60_000,
    );
    return ok(v2.HITLDetail, "GET", detailPath(dagId, runId, taskId));
  }

  async function ended(dagId: string, runId: string): Promise<string> {
    return eventually(
      `run ${dagId}/${runId} to end`,
      async () => {
        const { state } = await ok(
          v2.DAGRunResponse,
          "GET",
          runPath(dagId, runId),
        );
        return state === "success" || state === "failed" ? state : undefined;
      },
      60_000,
    );
  }

  async function output(dagId: string, runId: string, taskId: string) {
    const { value } = await ok(
      v2.XComResponseNative,
      "GET",
      `${runPath(dagId, runId)}/taskInstances/${taskId}/xcomEntries/return_value`,
    );
    return value;
  }

  beforeAll(async () => {
    app = await startApp({
      POEKHALI_DAGS_FOLDER: dags,
      POEKHALI_HOME: join(work, "home"),
      POEKHALI_AUTH_PASSWORD: "e2e-secret",
    });
    const login = await fetch(`${app.url}/auth/token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "admin", password: "e2e-secret" }),
    });
    token = v2.LoginResponse.parse(await login.json()).access_token;
  });
  afterAll(async () => {
    await app?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it("parks an approval in awaiting_input, shows its request, and goes on with the HITLResult once approved", async () => {
    await trigger("release_sign_off", "approve_1");
    const detail = await parked("release_sign_off", "approve_1", "sign_off");
    expect(detail).toMatchObject({
      subject: "Ship 1.4.2 from approve_1?",
      body: "The release notes are in the wiki.",
      options: ["Approve", "Reject"],
      multiple: false,
      defaults: null,
      assigned_users: [{ id: "admin", name: "admin" }],
      response_received: false,
      chosen_options: null,
      responded_by_user: null,
    });
    expect(detail.task_instance).toMatchObject({
      task_id: "sign_off",
      state: "awaiting_input",
      operator: "ApprovalOperator",
    });
    const list = await ok(
      v2.HITLDetailCollection,
      "GET",
      `${runPath("release_sign_off", "approve_1")}/hitlDetails`,
    );
    expect(list.total_entries).toBe(1);
    const everywhere = await ok(
      v2.HITLDetailCollection,
      "GET",
      "/api/v2/dags/~/dagRuns/~/hitlDetails?response_received=false",
    );
    expect(
      everywhere.hitl_details.map((d) => d.task_instance.dag_run_id),
    ).toContain("approve_1");
    // Nothing downstream has run while the task waits.
    expect((await states("release_sign_off", "approve_1")).publish).toBeNull();

    const answer = await ok(
      v2.HITLDetailResponse,
      "PATCH",
      detailPath("release_sign_off", "approve_1", "sign_off"),
      { chosen_options: ["Approve"] },
    );
    expect(answer).toMatchObject({
      chosen_options: ["Approve"],
      responded_by: { id: "admin", name: "admin" },
      params_input: {},
    });
    expect(await ended("release_sign_off", "approve_1")).toBe("success");
    expect(await output("release_sign_off", "approve_1", "sign_off")).toEqual({
      chosenOptions: ["Approve"],
      paramsInput: {},
      respondedAt: answer.responded_at,
      respondedByUser: { id: "admin", name: "admin" },
      timedout: false,
    });
    expect(await output("release_sign_off", "approve_1", "publish")).toEqual({
      published: true,
      by: "admin",
      at: answer.responded_at,
    });
    const after = await ok(
      v2.HITLDetail,
      "GET",
      detailPath("release_sign_off", "approve_1", "sign_off"),
    );
    expect(after).toMatchObject({
      response_received: true,
      chosen_options: ["Approve"],
      responded_by_user: { id: "admin", name: "admin" },
      responded_at: answer.responded_at,
    });
    expect(after.task_instance.state).toBe("success");
  });

  it("skips what follows a Reject, and fails the task on Reject with failOnReject", async () => {
    await trigger("release_sign_off", "reject_1");
    await trigger("strict_sign_off", "reject_2");
    await parked("release_sign_off", "reject_1", "sign_off");
    await parked("strict_sign_off", "reject_2", "sign_off");
    await ok(
      v2.HITLDetailResponse,
      "PATCH",
      detailPath("release_sign_off", "reject_1", "sign_off"),
      { chosen_options: ["Reject"] },
    );
    await ok(
      v2.HITLDetailResponse,
      "PATCH",
      detailPath("strict_sign_off", "reject_2", "sign_off"),
      { chosen_options: ["Reject"] },
    );
    expect(await ended("release_sign_off", "reject_1")).toBe("success");
    expect(await states("release_sign_off", "reject_1")).toEqual({
      build: "success",
      sign_off: "success",
      publish: "skipped",
    });
    expect(await ended("strict_sign_off", "reject_2")).toBe("failed");
    expect(await states("strict_sign_off", "reject_2")).toEqual({
      sign_off: "failed",
      ship: "upstream_failed",
    });
  });

  it("takes several options with multiple, refuses a bad form value naming it (422), then takes a good one", async () => {
    await trigger("choose_regions", "regions_1");
    const detail = await parked("choose_regions", "regions_1", "choose");
    expect(detail.params).toMatchObject({
      replicas: {
        value: 2,
        description: "Per region",
        schema: { type: "integer", minimum: 1, maximum: 5 },
      },
    });
    const path = detailPath("choose_regions", "regions_1", "choose");
    const bad = await api("PATCH", path, {
      chosen_options: ["eu", "asia"],
      params_input: { replicas: 9 },
    });
    expect(bad.status).toBe(422);
    expect(v2.HTTPValidationError.parse(bad.body).detail).toEqual([
      expect.objectContaining({
        loc: ["body", "params_input", "replicas"],
        msg: 'Value error, param "replicas" must be ≤ 5',
      }),
    ]);
    const stray = await api("PATCH", path, { chosen_options: ["mars"] });
    expect(stray.status).toBe(422);
    expect(JSON.stringify(stray.body)).toContain('\\"mars\\" is not one of');
    // Nothing was recorded by the refusals: the request still waits.
    expect((await ok(v2.HITLDetail, "GET", path)).response_received).toBe(
      false,
    );

    await ok(v2.HITLDetailResponse, "PATCH", path, {
      chosen_options: ["eu", "asia"],
      params_input: { replicas: 3, note: "two regions" },
    });
    expect(await ended("choose_regions", "regions_1")).toBe("success");
    expect(await output("choose_regions", "regions_1", "deploy")).toEqual({
      regions: ["eu", "asia"],
      replicas: 3,
      note: "two regions",
    });
  });

  it("answers the response timeout with the defaults (timedout), or fails the task without defaults", async () => {
    await trigger("timed_choice", "timed_1");
    await trigger("lapsed_choice", "lapsed_1");
    expect(await ended("timed_choice", "timed_1")).toBe("success");
    expect(await output("timed_choice", "timed_1", "use")).toMatchObject({
      chosenOptions: ["b"],
      paramsInput: {},
      respondedByUser: null,
      timedout: true,
    });
    const detail = await ok(
      v2.HITLDetail,
      "GET",
      detailPath("timed_choice", "timed_1", "pick"),
    );
    expect(detail).toMatchObject({
      response_received: true,
      chosen_options: ["b"],
      responded_by_user: null,
    });
    expect(await ended("lapsed_choice", "lapsed_1")).toBe("failed");
    expect(await states("lapsed_choice", "lapsed_1")).toEqual({
      pick: "failed",
    });
    // The worker's log says why (the run's kept log holds tries' steps, not the timeout's).
    await eventually("the worker to log the timeout", () =>
      app
        .output()
        .includes("lapsed_choice/lapsed_1/pick#1 error: Response timed out"),
    );
    const late = await api(
      "PATCH",
      detailPath("lapsed_choice", "lapsed_1", "pick"),
      { chosen_options: ["a"] },
    );
    expect(late.status).toBe(409);
  });

  it("takes exactly one of two answers sent at once (200 and 409), and refuses a user not assigned (403)", async () => {
    await trigger("release_sign_off", "race_1");
    await trigger("ann_only", "ann_1");
    await parked("release_sign_off", "race_1", "sign_off");
    const path = detailPath("release_sign_off", "race_1", "sign_off");
    const answers = await Promise.all([
      api("PATCH", path, { chosen_options: ["Approve"] }),
      api("PATCH", path, { chosen_options: ["Reject"] }),
    ]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
    const won = answers.find((a) => a.status === 200);
    const chosen = v2.HITLDetailResponse.parse(won?.body).chosen_options;
    expect(await ended("release_sign_off", "race_1")).toBe("success");
    expect((await states("release_sign_off", "race_1")).publish).toBe(
      chosen[0] === "Approve" ? "success" : "skipped",
    );

    await parked("ann_only", "ann_1", "ask");
    const refused = await api("PATCH", detailPath("ann_only", "ann_1", "ask"), {
      chosen_options: ["Approve"],
    });
    expect(refused).toEqual({
      status: 403,
      body: {
        detail: "User=admin (id=admin) is not a respondent for the task.",
      },
    });
  });

  it("keeps the request and takes its answer across a worker killed while the task waits", async () => {
    await trigger("release_sign_off", "restart_1");
    await parked("release_sign_off", "restart_1", "sign_off");
    const before = app.pids().worker;
    process.kill(before, "SIGKILL");
    await eventually("the killed worker to be gone", () => !alive(before));
    // Sent while no worker runs: Restate holds the answer until one is back.
    const answered = api(
      "PATCH",
      detailPath("release_sign_off", "restart_1", "sign_off"),
      { chosen_options: ["Approve"] },
    );
    await eventually("a new worker", () => {
      const pid = app.pids().worker;
      return pid !== before && alive(pid);
    });
    expect((await answered).status).toBe(200);
    expect(await ended("release_sign_off", "restart_1")).toBe("success");
    expect(await states("release_sign_off", "restart_1")).toEqual({
      build: "success",
      sign_off: "success",
      publish: "success",
    });
  });
});
