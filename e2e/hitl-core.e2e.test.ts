import "@poekhali/core";
import * as restate from "@restatedev/restate-sdk";
import * as clients from "@restatedev/restate-sdk-clients";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  AIRFLOW_HITL,
  ApprovalOperator,
  HITLOperator,
  StaticConnections,
  airflowHitl,
  dag,
  dagWorkflow,
  hitlObjectKey,
  HITL_ANSWER_PURPOSE,
  INTERNAL_KEY_ENV,
  signCall,
  task,
  template,
  type HITLAnswer,
  type HITLDecision,
  type HITLParam,
  type HITLResult,
} from "@poekhali/core";
import {
  startTemporaryRestate,
  type TemporaryRestate,
} from "../packages/poekhali/src/restate/temporary-restate.js";
import { dagRunClient, taskStatesOf } from "./dag-run-client.js";
import { eventually } from "./harness.js";

/** Another channel (as a chat would be) that hears each decision. */
const listener = restate.object({
  name: "hitl_test_listener",
  handlers: {
    decided: async (ctx: restate.ObjectContext, decision: HITLDecision) => {
      ctx.set("decision", decision);
      await Promise.resolve();
    },
    seen: restate.handlers.object.shared(
      async (ctx: restate.ObjectSharedContext) =>
        (await ctx.get<HITLDecision>("decision")) ?? null,
    ),
  },
});

/** poekhali's own dag() API: an approval whose subject comes from the params, then a choice that reads it. */
const deploy = dag(
  {
    id: "hitl_core_deploy",
    schedule: null,
    params: z.object({ service: z.string().default("billing") }),
  },
  ({ params }) => {
    const signOff = new ApprovalOperator({
      taskId: "sign_off",
      subject: template(({ s }: { s: string }) => `Deploy ${s}?`, {
        s: params.service,
      }),
      notify: [
        { service: "hitl_test_listener", handler: "decided", key: "deploy" },
      ],
    });
    const where = new HITLOperator({
      taskId: "where",
      subject: "Which region first?",
      options: ["eu", "us"],
    }).after(signOff);
    task(
      { taskId: "go" },
      ({ a, w }: { a: HITLResult | null; w: HITLResult }) =>
        `${a?.respondedByUser?.name ?? "?"}: ${w.chosenOptions.join(",")}`,
      { a: signOff.output, w: where.output },
    );
  },
);

/** A choice whose form asks for a note only when the run's conf says so: its params read conf. */
const form = dag(
  {
    id: "hitl_core_form",
    schedule: null,
    params: z.object({ ask_note: z.boolean().default(false) }),
  },
  ({ params }) => {
    new HITLOperator({
      taskId: "pick",
      subject: "Pick one",
      options: ["a", "b"],
      params: template(
        ({ ask }: { ask: boolean }): Record<string, HITLParam> =>
          ask
            ? { note: { value: "", schema: { type: "string", maxLength: 10 } } }
            : {},
        { ask: params.ask_note },
      ),
    });
  },
);

describe("HITL tasks of poekhali's dag() API, answered through the airflow_hitl object", () => {
  let stack: TemporaryRestate;
  const runs = dagRunClient(() => stack.ingress);
  const hitlOf = (runId: string) =>
    clients
      .connect({ url: stack.ingress.url })
      .objectClient(AIRFLOW_HITL, hitlObjectKey("hitl_core_deploy", runId));

  /** Answers as the web tier does: signed with the key this process shares with its in-process worker. */
  const answer = (runId: string, given: HITLAnswer) =>
    hitlOf(runId).answerSigned(
      signCall(
        HITL_ANSWER_PURPOSE,
        hitlObjectKey("hitl_core_deploy", runId),
        given,
      ),
    );

  beforeAll(async () => {
    process.env[INTERNAL_KEY_ENV] =
      "hitl-core-e2e-internal-key-0123456789abcdef";
    stack = await startTemporaryRestate("poekhali-hitl-core-");
    await stack.deploy([
      dagWorkflow(deploy, { connections: new StaticConnections([]) }),
      dagWorkflow(form, { connections: new StaticConnections([]) }),
      airflowHitl,
      listener,
    ]);
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
  });

  const waiting = (runId: string, taskId: string) =>
    eventually(`${taskId} of ${runId} to wait for input`, async () => {
      const s = await runs.status("hitl_core_deploy", runId);
      const entry = await hitlOf(runId).entry({ task_id: taskId });
      return s && taskStatesOf(s)[taskId] === "awaiting_input" && entry
        ? entry
        : undefined;
    });

  it("asks, takes one answer per request from any channel, tells the other channels, and goes on", async () => {
    await runs.start("hitl_core_deploy", "core_1", { service: "search" });
    const asked = await waiting("core_1", "sign_off");
    expect(asked.request).toMatchObject({
      subject: "Deploy search?",
      options: ["Approve", "Reject"],
    });
    const telegramUser = { id: "1001", name: "anna" };
    const first = await answer("core_1", {
      task_id: "sign_off",
      chosen_options: ["Approve"],
      user: telegramUser,
      channel: "telegram",
    });
    expect(first.ok).toBe(true);
    const second = await answer("core_1", {
      task_id: "sign_off",
      chosen_options: ["Reject"],
      user: { id: "admin", name: "admin" },
      channel: "api",
    });
    expect(second).toMatchObject({ ok: false, status: 409 });
    const heard = await eventually(
      "the listener to hear the decision",
      async () =>
        await clients
          .connect({ url: stack.ingress.url })
          .objectClient<typeof listener>(
            { name: "hitl_test_listener" },
            "deploy",
          )
          .seen(),
    );
    expect(heard).toMatchObject({
      dag_id: "hitl_core_deploy",
      run_id: "core_1",
      task_id: "sign_off",
      response: { chosen_options: ["Approve"], channel: "telegram" },
    });

    await waiting("core_1", "where");
    await answer("core_1", {
      task_id: "where",
      chosen_options: ["us"],
      user: telegramUser,
      channel: "telegram",
    });
    const done = await runs.finished("hitl_core_deploy", "core_1");
    expect(taskStatesOf(done)).toEqual({
      sign_off: "success",
      where: "success",
      go: "success",
    });
    expect(
      await stack.ingress.call<{ value: unknown }>(
        { service: "hitl_core_deploy", handler: "xcom", key: "core_1" },
        { task_id: "go" },
      ),
    ).toEqual({ value: "anna: us" });
  });

  it("refuses answers once the run that waited is cancelled", async () => {
    await runs.start("hitl_core_deploy", "core_2");
    await waiting("core_2", "sign_off");
    const [row] = await stack.server.query<{ id: string }>(
      "SELECT id FROM sys_invocation WHERE target_service_name = 'hitl_core_deploy' AND target_service_key = 'core_2' AND status != 'completed'",
    );
    await stack.server.cancel(row?.id ?? "");
    const ended = await runs.finished("hitl_core_deploy", "core_2");
    expect(taskStatesOf(ended).sign_off).toBe("failed");
    const late = await eventually("the object to hear the cancel", async () => {
      const entry = await hitlOf("core_2").entry({ task_id: "sign_off" });
      return entry?.closed ? entry : undefined;
    });
    expect(late.closed).toBe("cancelled");
    // The other channels hear that the request closed unanswered, and why.
    expect(
      await eventually("the listener to hear the close", async () => {
        const seen = await clients
          .connect({ url: stack.ingress.url })
          .objectClient<typeof listener>(
            { name: "hitl_test_listener" },
            "deploy",
          )
          .seen();
        return seen?.run_id === "core_2" ? seen : undefined;
      }),
    ).toMatchObject({
      task_id: "sign_off",
      response: null,
      closed: "cancelled",
    });
    expect(
      await answer("core_2", {
        task_id: "sign_off",
        chosen_options: ["Approve"],
        user: { id: "admin", name: "admin" },
        channel: "api",
      }),
    ).toMatchObject({ ok: false, status: 409 });
  });
  it("takes no answer from the ingress that the web tier did not sign: not unsigned, not forged, not another run's", async () => {
    await runs.start("hitl_core_deploy", "core_3");
    await waiting("core_3", "sign_off");
    const key = hitlObjectKey("hitl_core_deploy", "core_3");
    const forged: HITLAnswer = {
      task_id: "sign_off",
      chosen_options: ["Approve"],
      user: { id: "admin", name: "admin" },
      channel: "api",
    };
    // What a web page in the user's browser can send: Restate's ingress answers any origin's CORS preflight.
    const post = (handler: string, body: unknown) =>
      fetch(
        `${stack.ingress.url}/airflow_hitl/${encodeURIComponent(key)}/${handler}`,
        {
          method: "POST",
          headers: {
            "content-type": "application/json",
            origin: "https://evil.example",
          },
          body: JSON.stringify(body),
        },
      );
    const direct = await post("answer", forged);
    expect(direct.status).toBe(400);
    expect(await direct.text()).toMatch(/not public/);
    const unsigned = await post("answerSigned", {
      payload: forged,
      signature: "",
    });
    expect(await unsigned.json()).toMatchObject({ ok: false, status: 403 });
    const wrongKey = await post(
      "answerSigned",
      signCall(
        HITL_ANSWER_PURPOSE,
        key,
        forged,
        "a-key-this-deployment-never-had",
      ),
    );
    expect(await wrongKey.json()).toMatchObject({ ok: false, status: 403 });
    // Signed for another run's requests: replayed here, it is refused too.
    const elsewhere = await post(
      "answerSigned",
      signCall(
        HITL_ANSWER_PURPOSE,
        hitlObjectKey("hitl_core_deploy", "core_1"),
        forged,
      ),
    );
    expect(await elsewhere.json()).toMatchObject({ ok: false, status: 403 });
    const entry = await hitlOf("core_3").entry({ task_id: "sign_off" });
    expect(entry?.response).toBeNull();
    // The web tier's own answer still goes through.
    expect(
      await answer("core_3", { ...forged, chosen_options: ["Reject"] }),
    ).toMatchObject({ ok: true });
  });

  it("takes no decision resolved on its awakeable from outside, even by someone who learnt its id", async () => {
    await runs.start("hitl_core_deploy", "core_4");
    const asked = await waiting("core_4", "sign_off");
    // Restate resolves any awakeable whose id it is given, through its public ingress.
    const forged = await fetch(
      `${stack.ingress.url}/restate/awakeables/${asked.request.trigger_id}/resolve`,
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          chosen_options: ["Approve"],
          params_input: {},
          responded_at: new Date().toISOString(),
          responded_by_user: { id: "admin", name: "admin" },
          timedout: false,
          channel: "api",
        }),
      },
    );
    expect(forged.ok).toBe(true);
    const ended = await runs.finished("hitl_core_deploy", "core_4");
    // The task fails rather than take a decision nobody made; nothing downstream runs on it.
    expect(taskStatesOf(ended).sign_off).toBe("failed");
    expect(taskStatesOf(ended).go).not.toBe("success");
    const entry = await hitlOf("core_4").entry({ task_id: "sign_off" });
    expect(entry?.response).toBeNull();
  });

  it("asks for the form fields the run's conf calls for, and takes their answers", async () => {
    const formOf = (runId: string) =>
      clients
        .connect({ url: stack.ingress.url })
        .objectClient(AIRFLOW_HITL, hitlObjectKey("hitl_core_form", runId));
    /** Answers as the web tier does, signed. */
    const answerForm = (runId: string, given: HITLAnswer) =>
      formOf(runId).answerSigned(
        signCall(
          HITL_ANSWER_PURPOSE,
          hitlObjectKey("hitl_core_form", runId),
          given,
        ),
      );
    const entryOf = (runId: string) =>
      eventually(`pick of ${runId} to be asked`, async () => {
        const s = await runs.status("hitl_core_form", runId);
        const entry = await formOf(runId).entry({ task_id: "pick" });
        return s && taskStatesOf(s).pick === "awaiting_input" && entry
          ? entry
          : undefined;
      });
    await runs.start("hitl_core_form", "form_with", { ask_note: true });
    await runs.start("hitl_core_form", "form_without", { ask_note: false });
    expect((await entryOf("form_with")).request.params).toEqual({
      note: {
        value: "",
        description: null,
        schema: { type: "string", maxLength: 10 },
        source: "task",
      },
    });
    expect((await entryOf("form_without")).request.params).toEqual({});
    // The field is checked as a declared one is: a value too long is refused, a good one lands in params_input.
    expect(
      await answerForm("form_with", {
        task_id: "pick",
        chosen_options: ["a"],
        params_input: { note: "far too long a note" },
        user: { id: "1", name: "anna" },
        channel: "api",
      }),
    ).toMatchObject({ ok: false, status: 422 });
    expect(
      await answerForm("form_with", {
        task_id: "pick",
        chosen_options: ["a"],
        params_input: { note: "ok" },
        user: { id: "1", name: "anna" },
        channel: "api",
      }),
    ).toMatchObject({ ok: true, response: { params_input: { note: "ok" } } });
    expect(
      await answerForm("form_without", {
        task_id: "pick",
        chosen_options: ["b"],
        params_input: { note: "ok" },
        user: { id: "1", name: "anna" },
        channel: "api",
      }),
    ).toMatchObject({ ok: false, status: 422 });
    expect(
      taskStatesOf(await runs.finished("hitl_core_form", "form_with")).pick,
    ).toBe("success");
  });
});
