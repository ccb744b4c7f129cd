import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import * as restate from "@restatedev/restate-sdk";
import type { HooksProvider } from "@restatedev/restate-sdk";
import { INTERNAL_KEY_ENV, internalKey } from "./internal-key.js";

/** The request header that carries a call's signature through Restate's ingress to the handler. */
export const INGRESS_SIGNATURE_HEADER = "x-poekhali-signature";

/** The header restate-server adds to every invocation it takes through its ingress: the request's path. */
const INGRESS_PATH_HEADER = "x-restate-ingress-path";

/** What the hook context holds besides the request: the SDK's own flag for "not replaying a journal". */
const IS_PROCESSING = Symbol.for("@restatedev/restate-sdk/hooks.isProcessing");

// The ingress merges repeated slashes and drops a trailing one: both sides sign the path as it arrives.
const normalized = (path: string) =>
  path.replace(/\/{2,}/g, "/").replace(/(.)\/$/, "$1");

const bodyBytes = (body: string | Uint8Array | undefined): Uint8Array =>
  typeof body === "string" ? Buffer.from(body) : (body ?? new Uint8Array());

/** The signature of one ingress request: its path (target, key, handler, `/send`) and its exact body. */
export function ingressSignature(
  key: string,
  path: string,
  body: string | Uint8Array | undefined,
): string {
  const digest = createHash("sha256")
    .update(bodyBytes(body))
    .digest("base64url");
  return createHmac("sha256", key)
    .update(JSON.stringify(["ingress", normalized(path), digest]))
    .digest("base64url");
}

/**
 * A `fetch` for calls to Restate's ingress at `baseUrl` that signs each request with `key`, by default the process's
 * POEKHALI_INTERNAL_KEY as it is when the request goes, for `clients.connect({ url, fetch })` and
 * {@link RestateIngress}. Without a key it sends requests unsigned, and the workers refuse those with a 403 naming
 * the variable.
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
  const prefix = () => normalized(new URL(baseUrl).pathname).replace(/\/$/, "");
  return (input, init) => {
    const signWith = key ?? internalKey();
    if (!signWith) return fetch(input, init);
    const url = new URL(input instanceof Request ? input.url : input);
    const body = init?.body ?? undefined;
    if (
      body !== undefined &&
      typeof body !== "string" &&
      !(body instanceof Uint8Array)
    )
      throw new TypeError(
        "signedIngressFetch signs string and byte bodies only",
      );
    const path = normalized(url.pathname).slice(prefix().length) || "/";
    const headers = new Headers(init?.headers);
    headers.set(
      INGRESS_SIGNATURE_HEADER,
      ingressSignature(signWith, path, body),
    );
    return fetch(url, { ...init, headers });
  };
}

/** Why a request through the ingress is refused, or null when it is signed with `key` for its path and body. */
export function ingressRefusal(
  request: restate.Request,
  key: string,
): string | null {
  const path = request.headers.get(INGRESS_PATH_HEADER);
  const given = request.headers.get(INGRESS_SIGNATURE_HEADER);
  if (path === undefined)
    return "it came with headers but without the ingress path restate-server adds to what it takes through its ingress";
  if (given === undefined)
    return `it is not signed (${INGRESS_SIGNATURE_HEADER}): only poekhali's web tier and workers, which hold ${INTERNAL_KEY_ENV}, call it through the ingress`;
  const expected = Buffer.from(ingressSignature(key, path, request.body));
  const actual = Buffer.from(given);
  return expected.length === actual.length && timingSafeEqual(expected, actual)
    ? null
    : `its signature (${INGRESS_SIGNATURE_HEADER}) is not this worker's ${INTERNAL_KEY_ENV}'s for this path and body`;
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
  if (!key)
    throw new Error(
      `${INTERNAL_KEY_ENV} is not set: the ingress gate has nothing to check signatures with`,
    );
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
          if (refusal !== null)
            throw new restate.TerminalError(
              `${request.target.service}/${request.target.handler} refused this request: ${refusal}.`,
              { errorCode: 403 },
            );
          await next();
        },
      },
    };
  };
}
