import { setTimeout as sleep } from "node:timers/promises";
import * as clients from "@restatedev/restate-sdk-clients";
import { INTERNAL_KEY_ENV } from "@poekhali/core";

/**
 * Whether waiting can help a call through Restate's ingress: the service is not served yet (404: no deployment
 * registered), Restate is busy, starting or failing over (429, 502-504), or out of reach (fetch failed). A handler's
 * own refusal is final: a terminal error (403 for our signature checks, 500 by default) or any other 4xx.
 */
export function passingIngressFailure(error: unknown): boolean {
  return error instanceof clients.HttpCallError
    ? [404, 429, 502, 503, 504].includes(error.status)
    : error instanceof TypeError; // fetch's "fetch failed"
}

/** What a call through the ingress is waiting for, said for a person reading the log. */
export function waitReason(error: unknown, service: string): string {
  if (error instanceof clients.HttpCallError && error.status === 404)
    return `Restate does not serve ${service} yet: waits for the worker's deployment (poekhali register)`;
  if (error instanceof clients.HttpCallError)
    return `Restate's ingress answers ${error.status} (busy, starting or failing over): waits for it`;
  return `Restate's ingress is out of reach (${error instanceof Error ? error.message : String(error)}): waits for it`;
}

/**
 * Calls until the call succeeds, fails for good, or `timeoutMs` has passed. For calls sent with one idempotency key
 * for every try, so that a retry after an unclear failure attaches to the first call instead of doing it again.
 * `onWait` hears each failure it waits out.
 */
export async function retryPassing<T>(
  call: () => PromiseLike<T>,
  timeoutMs: number,
  onWait: (error: unknown) => void = () => {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 100; ; delay = Math.min(2_000, delay * 2)) {
    try {
      return await call();
    } catch (error) {
      if (!passingIngressFailure(error) || Date.now() + delay > deadline)
        throw error;
      onWait(error);
      await sleep(delay);
    }
  }
}

// How often a wait that goes on says again what it waits for.
const RETELL_MS = 60_000;

/**
 * Calls for as long as it takes while waiting can help (see {@link passingIngressFailure}), for what must be done
 * before the web tier serves. Logs what it waits for when that changes, and again every minute while it lasts; a
 * final failure is thrown, a signature refusal as an error naming POEKHALI_INTERNAL_KEY.
 *
 * @example
 * await untilServed("checking POEKHALI_INTERNAL_KEY", "poekhali_dag_state", () => state.checkOnce(), log);
 */
export async function untilServed<T>(
  what: string,
  service: string,
  call: () => PromiseLike<T>,
  log: (line: string) => void,
): Promise<T> {
  let told = "";
  let toldAt = 0;
  try {
    return await retryPassing(call, Infinity, (error) => {
      const reason = waitReason(error, service);
      if (reason === told && Date.now() - toldAt < RETELL_MS) return;
      log(`${what}: ${reason}`);
      told = reason;
      toldAt = Date.now();
    });
  } catch (error) {
    if (error instanceof clients.HttpCallError && error.status === 403)
      throw new Error(
        `${what}: Restate refused the web tier's signed call: the worker's ${INTERNAL_KEY_ENV} is not this web ` +
          `tier's, or their clocks differ (${restateMessage(error)})`,
        { cause: error },
      );
    if (error instanceof clients.HttpCallError)
      throw new Error(
        `${what}: Restate answered ${error.status}: ${restateMessage(error)}`,
        { cause: error },
      );
    throw error;
  }
}

/** The message of Restate's error answer (a JSON `{"message": …}`), or its text. */
function restateMessage(error: clients.HttpCallError): string {
  try {
    const body = JSON.parse(error.responseText) as { message?: unknown };
    if (typeof body.message === "string") return body.message;
  } catch {
    // Not JSON: said as it came.
  }
  return error.responseText.slice(0, 500);
}
