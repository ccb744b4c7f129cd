import type { EndpointOptions } from "@restatedev/restate-sdk";
import type { Hono } from "hono";
import { dagStateObject } from "../src/api-state/dag-state-object.js";
import { runRecordObject } from "../src/api-state/run-record-object.js";
import {
  startTemporaryRestate,
  type TemporaryRestate,
} from "../src/restate/temporary-restate.js";
import { ApiState } from "../src/api/api-state.js";
import { SimpleAuth } from "../src/api/auth/simple-auth.js";
import { DagRuns } from "../src/api/dag-runs.js";
import { EventLog } from "../src/api/event-log.js";
import { gate } from "../src/api/gate.js";
import type { RestApiOptions } from "../src/api/rest-api.js";
import { Variables } from "../src/api/variables.js";

/** The auth secret of the tests' and benchmarks' gates (32 characters or more, as `SimpleAuth` asks). */
export const TEST_AUTH_SECRET = "a-test-secret-of-at-least-32-characters";

/**
 * The gate on loopback as `poekhali up` puts it in front of everything, for tests and benchmarks to mount first.
 *
 * @example
 * const web = new Hono();
 * web.route("/", testGate({ password: "a password" }));
 * web.route("/", restApi(restApiOn(restate, { dags, state })));
 */
export function testGate(
  options: {
    /** The UI's password; none (the default) leaves the API open on loopback. */
    readonly password?: string | undefined;
    readonly secret?: string;
    /** Paths that carry a secret of their own (the Telegram webhook). */
    readonly ownSecretPaths?: readonly string[];
  } = {},
): Hono {
  return gate({
    bindHost: "127.0.0.1",
    allowedHosts: [],
    auth: new SimpleAuth({
      username: "admin",
      password: options.password,
      secret: options.secret ?? TEST_AUTH_SECRET,
    }),
    ownSecretPaths: options.ownSecretPaths ?? [],
  });
}

/** The REST API's options for a web talking to this throwaway Restate: its runs, variables and event log there. */
export function restApiOn(
  restate: TemporaryRestate,
  options: Pick<RestApiOptions, "dags" | "state"> & Partial<RestApiOptions>,
): RestApiOptions {
  return {
    runs: new DagRuns(restate.ingress, restate.server),
    ready: () => true,
    variables: new Variables(restate.ingress.url, restate.server),
    eventLog: new EventLog(restate.ingress.url, restate.server),
    ...options,
  };
}

/** A throwaway Restate serving these services beside the web state's objects (pauses, run records), and its ApiState. */
export async function startApiStateRestate(
  prefix: string,
  /** The services, or what makes them of this Restate (those that call its admin API or ingress). */
  services:
    | EndpointOptions["services"]
    | ((restate: TemporaryRestate) => EndpointOptions["services"]),
): Promise<{ restate: TemporaryRestate; state: ApiState }> {
  const restate = await startTemporaryRestate(prefix);
  try {
    await restate.deploy([
      ...(typeof services === "function" ? services(restate) : services),
      dagStateObject,
      runRecordObject,
    ]);
  } catch (error) {
    await restate.stop();
    throw error;
  }
  return { restate, state: new ApiState(restate.ingress.url, restate.server) };
}

/** An answer of the app, its body parsed as JSON (null when empty). */
export interface TestAnswer<B = unknown> {
  readonly status: number;
  readonly type: string | null;
  readonly headers: Headers;
  readonly body: B;
}

/** Sends a request (a JSON body when one is given) to an app on 127.0.0.1 and reads its answer. */
export async function requestApp<B = unknown>(
  web: {
    request(input: string, init: RequestInit): Response | Promise<Response>;
  },
  method: string,
  path: string,
  body?: unknown,
): Promise<TestAnswer<B>> {
  const res = await web.request(`http://127.0.0.1${path}`, {
    method,
    ...(body === undefined
      ? {}
      : {
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        }),
  });
  const text = await res.text();
  return {
    status: res.status,
    type: res.headers.get("content-type"),
    headers: res.headers,
    body: (text ? JSON.parse(text) : null) as B,
  };
}
