/** A DAG code version's segment, `/v/<12 hex>/`, anywhere in a request's path (a load balancer may add a prefix). */
const VERSION_SEGMENT = /\/v\/([0-9a-f]{12})\//;

/**
 * Picks the endpoint for a request to a worker: the version its path names, wherever `/v/<hash>/` stands in it, or
 * the current version when the path names none. A path naming a version this worker does not serve gets nothing
 * (the caller answers 404): falling back to the current code would replay a parked run on code it did not start on.
 *
 * @example
 * const route = versionRoute("/poekhali/v/0123456789ab/discover", endpoints, current.hash);
 */
export function versionRoute<H>(
  url: string,
  endpoints: ReadonlyMap<string, H>,
  currentHash: string,
): { readonly hash: string; readonly endpoint: H | undefined } {
  const path = url.split("?", 1)[0] ?? "";
  const hash = VERSION_SEGMENT.exec(path)?.[1] ?? currentHash;
  return { hash, endpoint: endpoints.get(hash) };
}
