import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * The environment variable with the key the web tier signs its calls to the workers' public handlers with (like
 * Airflow's `internal_api_secret_key`). Restate's ingress answers any origin's CORS preflight, so without it any web
 * page the user opens could answer a request or write the event log in someone else's name. `poekhali up` makes a
 * fresh key for each start and hands it to its worker; a cluster sets the same value on every worker and web node.
 */
export const INTERNAL_KEY_ENV = "POEKHALI_INTERNAL_KEY";

/** A call to a public handler, signed by the web tier. */
export interface SignedCall<T> {
  readonly payload: T;
  readonly signature: string;
}

const mac = (key: string, purpose: string, scope: string, payload: unknown) =>
  createHmac("sha256", key)
    .update(JSON.stringify([purpose, scope, payload]))
    .digest("base64url");

/** The key this process signs and checks with, or undefined when none is set. */
export function internalKey(
  env: Readonly<Record<string, string | undefined>> = process.env,
): string | undefined {
  const key = env[INTERNAL_KEY_ENV];
  return key ? key : undefined;
}

/**
 * Signs a call for one purpose and one object key (a signed answer to one run cannot be replayed to another).
 * Throws, naming the variable, when no key is set: an unsigned call would be refused anyway.
 */
export function signCall<T>(
  purpose: string,
  scope: string,
  payload: T,
  key = internalKey(),
): SignedCall<T> {
  if (!key)
    throw new Error(
      `${INTERNAL_KEY_ENV} is not set: the web tier cannot sign its calls to the workers`,
    );
  return { payload, signature: mac(key, purpose, scope, payload) };
}

/** Whether a call was signed with this process's key for this purpose and key; false when no key is set. */
export function verifyCall(
  purpose: string,
  scope: string,
  call: SignedCall<unknown>,
  key = internalKey(),
): boolean {
  if (!key || typeof call?.signature !== "string") return false;
  const expected = Buffer.from(mac(key, purpose, scope, call.payload));
  const given = Buffer.from(call.signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
