import * as restate from "@restatedev/restate-sdk";
import { checkAnswer, defaultAnswer } from "./hitl-answer.js";
import type { HITLOpen } from "./hitl-channel.js";
import {
  internalKey,
  signCall,
  verifyCall,
  type SignedCall,
} from "../internal-key.js";
import {
  hitlStateKey,
  type HITLAnswer,
  type HITLAnswerResult,
  type HITLClosedReason,
  type HITLDecision,
  type HITLEntry,
  type HITLRequest,
  type HITLResponse,
} from "./hitl-types.js";

/** The Restate virtual object that keeps a DAG run's requests to people and takes their answers. */
export const AIRFLOW_HITL_NAME = "airflow_hitl";

/** A waiting task's word that it stops waiting; on a timeout, the answer it takes after all (or the defaults). */
export interface HITLClose {
  readonly task_id: string;
  readonly reason: HITLClosedReason;
}

const now = async (ctx: restate.ObjectContext) =>
  new Date(await ctx.date.now()).toISOString();

/** What a signed answer is signed for: the REST API's answers to a run's requests. */
export const HITL_ANSWER_PURPOSE = "hitl-answer";

/** Takes an answer: the first valid one is recorded and wakes the task; any other is refused. */
async function take(
  ctx: restate.ObjectContext,
  answer: HITLAnswer,
): Promise<HITLAnswerResult> {
  const entry = await ctx.get<HITLEntry>(hitlStateKey(answer.task_id));
  if (!entry)
    return {
      ok: false,
      status: 404,
      detail: `Human-in-the-loop detail does not exist for Task Instance ${answer.task_id}`,
    };
  const result = checkAnswer(entry, answer, await now(ctx));
  if (result.ok) decide(ctx, entry, result.response, true);
  return result;
}

/** What the payload that wakes a task is signed for (see {@link wakePayload}). */
export const HITL_WAKE_PURPOSE = "hitl-wake";

/**
 * The decision as it wakes the task, signed with the internal key when one is set: an awakeable can be resolved by
 * anyone who learns its id through Restate's public `/restate/awakeables/<id>/resolve`, and the task takes only a
 * decision this object made (see `HITLTask`).
 */
export function wakePayload(response: HITLResponse): HITLResponse {
  const key = internalKey();
  if (!key) return response;
  return {
    ...response,
    signature: signCall(HITL_WAKE_PURPOSE, "", response, key).signature,
  } as HITLResponse;
}

/** Records the decision, wakes the task (unless it asked on its timeout) and tells the other channels. */
function decide(
  ctx: restate.ObjectContext,
  entry: HITLEntry,
  response: HITLResponse,
  wake: boolean,
): void {
  const { request } = entry;
  ctx.set<HITLEntry>(hitlStateKey(request.task_id), { ...entry, response });
  if (wake) ctx.resolveAwakeable(request.trigger_id, wakePayload(response));
  tell(ctx, request, { response });
}

/** Tells each channel the request names what became of it (one journaled message each). */
function tell(
  ctx: restate.ObjectContext,
  request: HITLRequest,
  outcome: { response: HITLResponse } | { closed: HITLClosedReason },
): void {
  const [dagId = "", runId = ""] = JSON.parse(ctx.key) as string[];
  const decision: HITLDecision = {
    dag_id: dagId,
    run_id: runId,
    task_id: request.task_id,
    response: null,
    ...outcome,
  };
  for (const target of request.notify ?? [])
    ctx.genericSend({
      service: target.service,
      method: target.handler,
      ...(target.key === undefined ? {} : { key: target.key }),
      parameter: decision,
      inputSerde: restate.serde.json,
    });
}

/**
 * Keeps the requests of one DAG run's human-in-the-loop tasks (one object key per run, one state entry per task) and
 * takes their answers one at a time: the first valid answer is recorded and wakes the task; any later one is refused
 * (409), so an answer counts exactly once whichever channel (the REST API, a chat) sends it.
 *
 * @example
 * createEndpointHandler({ services: [airflowHitl, ...workflows] });
 */
export const airflowHitl = restate.object({
  name: AIRFLOW_HITL_NAME,
  description:
    "Requests of a DAG run's human-in-the-loop tasks and their answers (Airflow's HITLDetail)",
  handlers: {
    /** A task parks on a request: a new try's request replaces the one before, with its answer. */
    request: restate.handlers.object.exclusive(
      { ingressPrivate: true },
      async (ctx: restate.ObjectContext, request: HITLRequest) => {
        const key = hitlStateKey(request.task_id);
        const kept = await ctx.get<HITLEntry>(key);
        if (kept?.request.trigger_id === request.trigger_id) return;
        const created_at = await now(ctx);
        ctx.set<HITLEntry>(key, {
          request,
          created_at,
          response: null,
          closed: null,
        });
        // Opened only now, so that an answer from a channel always finds the request it answers.
        const [dag_id = "", run_id = ""] = JSON.parse(ctx.key) as string[];
        for (const channel of request.channels ?? []) {
          const open: HITLOpen = {
            dag_id,
            run_id,
            created_at,
            request,
            settings: channel.settings,
          };
          ctx.genericSend({
            service: channel.open.service,
            method: channel.open.handler,
            ...(channel.open.key === undefined
              ? {}
              : { key: channel.open.key }),
            parameter: open,
            inputSerde: restate.serde.json,
          });
        }
      },
    ),

    /** An answer from a channel served beside this object (a chat): recorded and the task woken when it is the first valid one, else refused. */
    answer: restate.handlers.object.exclusive(
      { ingressPrivate: true },
      (ctx: restate.ObjectContext, answer: HITLAnswer) => take(ctx, answer),
    ),

    /**
     * An answer from the REST API, signed by the web tier (see `INTERNAL_KEY_ENV`): anything else that reaches the
     * ingress (a local process, a web page in the user's browser) is refused and changes nothing.
     */
    answerSigned: restate.handlers.object.exclusive(
      async (
        ctx: restate.ObjectContext,
        call: SignedCall<HITLAnswer>,
      ): Promise<HITLAnswerResult> => {
        if (!verifyCall(HITL_ANSWER_PURPOSE, ctx.key, call))
          return {
            ok: false,
            status: 403,
            detail: "The answer was not signed by this deployment's web tier.",
          };
        return take(ctx, call.payload);
      },
    ),

    /**
     * The task stops waiting. On a timeout it takes the answer recorded before (its wake-up still on the way), else
     * the defaults (`timedout: true`), else nothing and it fails; after a cancel or a failure later answers get 409.
     */
    close: restate.handlers.object.exclusive(
      { ingressPrivate: true },
      async (
        ctx: restate.ObjectContext,
        close: HITLClose,
      ): Promise<HITLResponse | null> => {
        const key = hitlStateKey(close.task_id);
        const entry = await ctx.get<HITLEntry>(key);
        if (!entry) return null;
        if (entry.response) return wakePayload(entry.response);
        if (entry.closed) return null;
        if (close.reason === "timeout") {
          const fallback = defaultAnswer(entry.request, await now(ctx));
          if (fallback?.ok) {
            decide(ctx, entry, fallback.response, false);
            return wakePayload(fallback.response);
          }
        }
        ctx.set<HITLEntry>(key, { ...entry, closed: close.reason });
        tell(ctx, entry.request, { closed: close.reason });
        return null;
      },
    ),

    /** One task's request and answer, or null. */
    entry: restate.handlers.object.shared(
      async (
        ctx: restate.ObjectSharedContext,
        input: { task_id: string },
      ): Promise<HITLEntry | null> =>
        (await ctx.get<HITLEntry>(hitlStateKey(input.task_id))) ?? null,
    ),
  },
});

/** The `airflow_hitl` object's Restate definition type, for typed clients. */
export type AirflowHitlObject = typeof airflowHitl;
/** The object as a typed target for clients: a renamed handler breaks the build. */
export const AIRFLOW_HITL: AirflowHitlObject = { name: AIRFLOW_HITL_NAME };
