import { setTimeout as sleep } from "node:timers/promises";
import * as clients from "@restatedev/restate-sdk-clients";

/**
 * Whether waiting can help a call through Restate's ingress: the service is not served yet (404: no deployment
 * registered), Restate is busy, starting or failing over (429, 5xx), or out of reach (fetch failed). A handler's
 * own refusal (a terminal error, 4xx) is final.
 */
export function passingIngressFailure(error: unknown): boolean {
  return error instanceof clients.HttpCallError
    ? error.status === 404 || error.status === 429 || error.status >= 500
    : error instanceof TypeError; // fetch's "fetch failed"
}

/**
 * Calls until the call succeeds, fails for good, or `timeoutMs` has passed; for calls whose handler sets a value,
 * so that doing it again after an unclear failure changes nothing. `onWait` hears each failure it waits out.
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
