import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import * as restate from "@restatedev/restate-sdk";
import type { HooksProvider } from "@restatedev/restate-sdk";
import {
  INTERNAL_KEY_ENV,
  internalKey,
  internalKeyProblem,
} from "./internal-key.js";
import type { IngressTarget } from "./ingress.js";

/** The request header that carries a call's signature through Restate's ingress to the handler. */
export const INGRESS_SIGNATURE_HEADER = "x-poekhali-signature";

/**
 * The words of the gate's refusal (after the target, before the reason): how a reader of Restate's introspection
 * tells an invocation the gate refused, which ran nothing, from one that failed on its own.
 */
export const INGRESS_REFUSED = "refused this request";

/** What the hook context holds besides the request: the SDK's own flag for "not replaying a journal". */
const IS_PROCESSING = Symbol.for("@restatedev/restate-sdk/hooks.isProcessing");

const bodyBytes = (body: string | Uint8Array | undefined): Uint8Array =>
  typeof body === "string" ? Buffer.from(body) : (body ?? new Uint8Array());

/**
 * The signature of one ingress request: its target (service, key, handler) and its exact body. It is bound to the
 * target the handler sees, not to the URL, so a proxy's re-encoding, a query string (`send?delay=`) or a header the
 * caller adds cannot change what it signs.
 */
export function ingressSignature(
  key: string,
  target: {
    readonly service: string;
    readonly key?: string | undefined;
    readonly handler: string;
  },
  body: string | Uint8Array | undefined,
): string {
  const digest = createHash("sha256")
    .update(bodyBytes(body))
    .digest("base64url");
  return createHmac("sha256", key)
    .update(
      JSON.stringify([
        "ingress",
        target.service,
        target.key || null,
        target.handler,
        digest,
      ]),
    )
    .digest("base64url");
}

/**
 * The target of an ingress request's path (after the base URL's own path): `/{service}/{handler}` or
 * `/{object}/{key}/{handler}`, either followed by `/send`; null for any other path (Restate's built-in `/restate/…`).
 * `/{object}/{key}/send` (a call of an object's handler named `send`) reads as a send of the handler `{key}`;
 * {@link ingressRefusal} accepts both readings for such a target.
 */
function ingressTargetOf(path: string): IngressTarget | null {
  let segments: string[];
  try {
    segments = path.split("/").slice(1).map(decodeURIComponent);
  } catch {
    return null;
  }
  if (
    (segments.length === 3 || segments.length === 4) &&
    segments.at(-1) === "send"
  )
    segments.pop();
  const [service, a, b] = segments;
  if (!service || service === "restate" || a === undefined) return null;
  if (segments.length === 2) return { service, handler: a };
  if (segments.length === 3 && b) return { service, key: a, handler: b };
  return null;
}

/**
 * A `fetch` for calls to Restate's ingress at `baseUrl` that signs each request with `key`, by default the process's
 * POEKHALI_INTERNAL_KEY as it is when the request goes, for `clients.connect({ url, fetch })` and
 * {@link RestateIngress}. Without a key it sends requests unsigned, and the workers refuse those with a 403 naming
 * the variable. It reads a `Request` given as input whole (method, headers, body).
 *
 * @example
 * const ingress = clients.connect({ url, fetch: signedIngressFetch(url) });
 */
export function signedIngressFetch(
  baseUrl: string,
  key?: string,
): typeof fetch {
  // A base URL behind a proxy may carry a path prefix that the ingress does not see. Read when a request goes, so
  // that a client made for a URL it never uses (a test's placeholder) does not fail.
  const prefix = () => new URL(baseUrl).pathname.replace(/\/$/, "");
  return async (input, init) => {
    const signWith = key ?? internalKey();
    if (!signWith) return fetch(input, init);
    const request = new Request(input, init);
    const url = new URL(request.url);
    const path = url.pathname.startsWith(prefix())
      ? url.pathname.slice(prefix().length)
      : url.pathname;
    const target = ingressTargetOf(path);
    const body =
      request.body === null
        ? undefined
        : new Uint8Array(await request.arrayBuffer());
    const headers = new Headers(request.headers);
    if (target)
      headers.set(
        INGRESS_SIGNATURE_HEADER,
        ingressSignature(signWith, target, body),
      );
    return fetch(url, {
      method: request.method,
      headers,
      signal: request.signal,
      ...(body === undefined ? {} : { body }),
    });
  };
}

const matches = (given: string, expected: string) => {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
};

/** Why a request through the ingress is refused, or null when it is signed with `key` for its target and body. */
export function ingressRefusal(
  request: restate.Request,
  key: string,
): string | null {
  const given = request.headers.get(INGRESS_SIGNATURE_HEADER);
  if (given === undefined)
    return `it is not signed (${INGRESS_SIGNATURE_HEADER}): only poekhali's web tier and workers, which hold ${INTERNAL_KEY_ENV}, call it through the ingress`;
  const { service, key: objectKey, handler } = request.target;
  const expected = [
    ingressSignature(key, { service, key: objectKey, handler }, request.body),
  ];
  // `/{object}/{key}/send` is also how a signer reads a send of the handler `{key}` (see ingressTargetOf).
  if (objectKey && handler === "send")
    expected.push(
      ingressSignature(key, { service, handler: objectKey }, request.body),
    );
  return expected.some((e) => matches(given, e))
    ? null
    : `its signature (${INGRESS_SIGNATURE_HEADER}) is not this worker's ${INTERNAL_KEY_ENV}'s for this target and body`;
}

/**
 * A Restate hook that lets a handler run only for calls from inside Restate (another handler's, which carry no
 * headers) and for requests through the ingress signed with `key` (see {@link signedIngressFetch}); any other
 * request fails at once, before the handler runs, with a terminal 403. Restate's ingress answers every origin's CORS
 * preflight, so without it any web page the user opens could start a run or read a Variable. It checks an
 * invocation when it starts, not when it resumes from its journal: a run parked before the check existed resumes.
 *
 * @example
 * restate.object({ name, handlers, options: { hooks: [ingressGate(key)] } });
 */
export function ingressGate(key: string): HooksProvider {
  const problem = internalKeyProblem(key);
  if (problem)
    throw new Error(`${problem}: the ingress gate checks signatures with it`);
  return (hookContext) => {
    const { request } = hookContext;
    return {
      interceptor: {
        handler: async (next) => {
          const processing = (
            hookContext as { [IS_PROCESSING]?: () => boolean }
          )[IS_PROCESSING];
          // Replaying a journal means the invocation was let in when it started (or before this check existed).
          const starting = processing ? processing() : true;
          const refusal =
            starting && request.headers.size > 0
              ? ingressRefusal(request, key)
              : null;
          if (refusal !== null) {
            const error = new restate.TerminalError(
              `${request.target.service}/${request.target.handler} ${INGRESS_REFUSED}: ${refusal}.`,
              { errorCode: 403 },
            );
            // The SDK logs every refused invocation at WARN; without a stack it is one line, so a page that loops over
            // refused sends cannot fill the worker's log with traces.
            error.stack = `${error.name}: ${error.message}`;
            throw error;
          }
          await next();
        },
      },
    };
  };
}
