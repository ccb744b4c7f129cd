import { z } from "zod";
import type { AppUnderTest } from "./harness.js";

/** A `/api/v2` answer that is not what the test asked for: another status, or a body not in the contract's shape. */
export class V2AnswerError extends Error {
  override readonly name = "V2AnswerError";
}

/**
 * Checks an answer of `/api/v2` against the contract: the status expected and a body the schema (one of
 * `airflow-v2-contract.ts`) accepts; returns the parsed body, or throws naming the request and what was wrong.
 */
export function v2Body<S extends z.ZodType>(
  what: string,
  schema: S,
  answer: { status: number; body: unknown },
  status = 200,
): z.infer<S> {
  if (answer.status !== status)
    throw new V2AnswerError(
      `${what} answered ${answer.status}, not ${status}: ${JSON.stringify(answer.body)}`,
    );
  const parsed = schema.safeParse(answer.body);
  if (!parsed.success)
    throw new V2AnswerError(
      `${what} answered a body outside Airflow's v2 shape:\n${z.prettifyError(parsed.error)}\n${JSON.stringify(answer.body)}`,
    );
  return parsed.data;
}

/** GETs a path of the app's `/api/v2` and returns its body, checked by {@link v2Body}. */
export async function v2Get<S extends z.ZodType>(
  app: AppUnderTest,
  path: string,
  schema: S,
  init?: RequestInit,
): Promise<z.infer<S>> {
  return v2Body(`GET ${path}`, schema, await app.json<unknown>(path, init));
}

/** Calls the app as Airflow's clients do: a bearer token, a JSON body; returns the status and the parsed body. */
export async function withToken(
  app: AppUnderTest,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; type: string | null; body: unknown }> {
  const res = await fetch(`${app.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return {
    status: res.status,
    type: res.headers.get("content-type"),
    body: text ? (JSON.parse(text) as unknown) : null,
  };
}
