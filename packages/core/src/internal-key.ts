import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * The environment variable with the key the web tier signs its calls to the workers' public handlers with (like
 * Airflow's `internal_api_secret_key`). Restate's ingress answers any origin's CORS preflight, so without it any web
 * page the user opens could answer a request or write the event log in someone else's name. `poekhali up` keeps one
 * key in POEKHALI_HOME/internal-key (mode 0600) and hands it to its worker, so that what was signed (queued ingress
 * calls, parked runs' answers) still verifies after a restart; a cluster sets the same value on every worker and web node.
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

/** The fewest characters a POEKHALI_INTERNAL_KEY may have: 32 random characters carry 128 bits or more. */
export const MIN_INTERNAL_KEY_LENGTH = 32;

/**
 * Why `key` cannot sign calls (unset, with white space around it, or shorter than {@link MIN_INTERNAL_KEY_LENGTH}),
 * naming POEKHALI_INTERNAL_KEY and never showing the key; null when it can. A short key can be guessed offline from
 * one signed request.
 */
export function internalKeyProblem(key: string | undefined): string | null {
  if (!key) return `${INTERNAL_KEY_ENV} is not set`;
  // A space or line break copied with the key: one tier trimming it (a shell, a secret store) and another not would
  // sign with two keys, and every signed call would be refused far from the typo.
  if (key.trim() !== key)
    return (
      `${INTERNAL_KEY_ENV} has white space (a space, tab or line break) at its start or end: ` +
      "set the key alone, the same on every worker and web instance"
    );
  if (key.length < MIN_INTERNAL_KEY_LENGTH)
    return (
      `${INTERNAL_KEY_ENV} is too short (${key.length} characters): use a random string of at least ` +
      `${MIN_INTERNAL_KEY_LENGTH} characters (128 bits or more), e.g. the output of \`openssl rand -base64 32\``
    );
  return null;
}

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
